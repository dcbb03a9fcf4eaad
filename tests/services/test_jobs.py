"""Background jobs (wiki.services.jobs, wiki.services.fanout, wiki.jobqueue) on a real queue:
saves answer without doing the fan-out, a drained queue leaves every page as a from-scratch
render would, jobs survive dead workers and a broker that is down, failures are kept and shown.

The rest of the suite runs jobs "immediate" (inside the request); these tests hold them in a
queue and drain it themselves, so what a reader sees while jobs are pending is visible."""
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.conftest import PASSWORD, post_form
from wiki.extensions import db
from wiki.jobqueue import queue_of
from wiki.models import Job, Page, Revision, utcnow
from wiki.services import fanout, jobs, rendering

MISSING = 'class="wikilink new"'


@pytest.fixture
def app_config():
    # A queue of Huey's own (in memory) that nobody drains but the test.
    return {"JOBS_QUEUE_URL": "memory://", "JOBS_QUEUE_NAME": f"test-{uuid.uuid4().hex[:8]}",
            "JOBS_WORKER_THREADS": 0, "JOBS_SWEEP_SECONDS": 0, "JOBS_BATCH": 3}


@pytest.fixture
def admin(make_user, login):
    """A logged-in admin (deletes, restores, the jobs page)."""
    user = make_user("boss", role="admin")
    login(user)
    return user


def drain(app, limit=1000):
    """Run every message in the queue, retries included (as a worker would); the count run."""
    queue = queue_of(app)
    later = queue.huey._get_timestamp() + timedelta(days=1)  # retries are due at once: no waiting in tests
    count = 0
    while count < limit:
        for task in queue.huey.read_schedule(later):
            queue.huey.enqueue(task)
        task = queue.huey.dequeue()
        if task is None:
            return count
        queue.huey.execute(task, timestamp=later)
        count += 1
    raise AssertionError("the queue did not drain")


def pending_jobs(app):
    with app.app_context():
        return [(job.kind, job.state) for job in db.session.scalars(select(Job).order_by(Job.id))]


def stored_html(app, title_key):
    with app.app_context():
        return db.session.scalar(
            select(Revision.html).join(Page, Page.current_revision_id == Revision.id).where(Page.title_key == title_key))


def assert_as_rendered_from_scratch(app):
    """Every live page's stored HTML is what rendering its source now gives."""
    with app.app_context():
        rows = db.session.execute(
            select(Page.title, Revision.source, Revision.html)
            .join(Revision, Revision.id == Page.current_revision_id).where(Page.deleted.is_(False))).all()
        for title, source, html in rows:
            assert html == rendering.render(title, source).html, title


def save(client, title, body, base=0):
    return post_form(client, f"/wiki/{title.replace(' ', '_')}/-/edit",
                     {"body": body, "base_revision": str(base)}, form_url="/-/login")


def test_creating_a_linked_page_answers_before_the_linking_pages_are_rendered(app, client, editor, make_page):
    for n in range(7):
        make_page(f"Linker {n}", f"See [[Target]] and [[Other {n}]].")
    drain(app)
    response = save(client, "Target", "# Part\n\nhere")
    assert response.status_code == 303
    # Not yet re-rendered: the link is still red (it leads to Target's editor, never elsewhere).
    assert MISSING in client.get("/wiki/Linker_3").get_data(as_text=True)
    assert pending_jobs(app) == [("rerender", "queued")]
    assert drain(app) == 1
    html = client.get("/wiki/Linker_3").get_data(as_text=True)
    assert 'href="/wiki/Target"' in html and 'href="/wiki/Target/-/edit"' not in html
    assert pending_jobs(app) == []
    assert_as_rendered_from_scratch(app)


def test_heading_changes_delete_and_restore_reach_linking_pages_once_drained(app, client, admin, make_page):
    make_page("Target", "## Part\n\ntext")
    make_page("Linker", "[[Target#Part]] and [[Target]]")
    drain(app)
    assert "missing-section" not in stored_html(app, "linker")
    save(client, "Target", "## Renamed part\n\ntext", base=1)
    drain(app)
    assert "missing-section" in stored_html(app, "linker")
    post_form(client, "/wiki/Target/-/delete", {}, form_url="/-/login")
    assert pending_jobs(app) == [("rerender", "queued")]
    drain(app)
    assert MISSING in stored_html(app, "linker")
    post_form(client, "/wiki/Target/-/restore", {}, form_url="/-/login")
    drain(app)
    assert MISSING not in stored_html(app, "linker")
    assert_as_rendered_from_scratch(app)


def test_a_rename_rewrites_links_in_a_job_once_even_when_delivered_twice(app, client, editor, make_page):
    make_page("Old", "x")
    for n in range(5):
        make_page(f"Linker {n}", "[[Old]] and [[old#Part|label]] and `[[Old]]`")
    drain(app)
    response = post_form(client, "/wiki/Old/-/rename", {"new_title": "New", "rewrite_links": "y"}, form_url="/-/login")
    assert response.status_code == 303
    assert "Links to the old title on 5 page(s) are being updated" in client.get("/wiki/New").get_data(as_text=True)
    assert client.get("/wiki/Linker_0/-/raw").data == b"[[Old]] and [[old#Part|label]] and `[[Old]]`"
    with app.app_context():
        rewrite = db.session.scalar(select(Job.id).where(Job.kind == "rewrite_links"))
    queue_of(app).task(rewrite)  # a second message for the same job (a sweeper resend)
    drain(app)
    for n in range(5):
        assert client.get(f"/wiki/Linker_{n}/-/raw").data == b"[[New]] and [[New#Part|label]] and `[[Old]]`"
        history = client.get(f"/wiki/Linker_{n}/-/history").get_data(as_text=True)
        assert history.count("was renamed to") == 1  # one rewrite revision, never two
    assert pending_jobs(app) == []
    assert_as_rendered_from_scratch(app)


def test_a_rewrite_whose_page_was_deleted_meanwhile_writes_nothing(app, client, admin, make_page):
    make_page("Old", "x")
    make_page("Linker", "[[Old]]")
    drain(app)
    post_form(client, "/wiki/Old/-/rename", {"new_title": "New", "rewrite_links": "y"}, form_url="/-/login")
    post_form(client, "/wiki/New/-/delete", {}, form_url="/-/login")
    drain(app)
    assert client.get("/wiki/Linker/-/raw").data == b"[[Old]]"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Revision)
                                 .join(Page, Page.id == Revision.page_id).where(Page.title_key == "linker")) == 1
    assert_as_rendered_from_scratch(app)


def test_a_job_renamed_away_from_follows_the_page_to_its_newest_title(app, client, editor, make_page):
    make_page("Old", "x")
    make_page("Linker", "[[Old]]")
    drain(app)
    post_form(client, "/wiki/Old/-/rename", {"new_title": "Middle", "rewrite_links": "y"}, form_url="/-/login")
    post_form(client, "/wiki/Middle/-/rename", {"new_title": "Newest"}, form_url="/-/login")
    drain(app)
    assert client.get("/wiki/Linker/-/raw").data == b"[[Newest]]"
    assert_as_rendered_from_scratch(app)


def test_a_failing_job_is_retried_then_kept_for_an_admin_who_can_retry_it(app, client, admin, make_page, monkeypatch):
    make_page("Linker", "[[Target]]")
    drain(app)
    real = jobs.HANDLERS[fanout.RERENDER]

    def broken(job, settings):
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(jobs.HANDLERS, fanout.RERENDER, broken)
    assert save(client, "Target", "text").status_code == 303  # the save itself succeeds
    drain(app)
    with app.app_context():
        job = db.session.scalar(select(Job))
        assert (job.state, job.attempts, job.error) == ("failed", 5, "RuntimeError: disk on fire")
    page = client.get("/-/admin/jobs").get_data(as_text=True)
    assert "RuntimeError: disk on fire" in page and "0 queued, 0 running, 1 failed" in page and "Retry" in page
    health = client.get("/healthz").get_json()
    assert health["status"] == "ok" and health["jobs"]["failed"] == 1
    assert MISSING in stored_html(app, "linker")

    monkeypatch.setitem(jobs.HANDLERS, fanout.RERENDER, real)
    response = post_form(client, f"/-/admin/jobs/{job.id}/retry", {}, form_url="/-/admin/jobs")
    assert response.status_code == 303
    drain(app)
    assert MISSING not in stored_html(app, "linker")
    assert "No jobs are waiting, running or failed." in client.get("/-/admin/jobs").get_data(as_text=True)
    again = post_form(client, f"/-/admin/jobs/{job.id}/retry", {}, form_url="/-/admin/jobs")
    assert "has not failed" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_a_job_of_a_dead_worker_is_taken_over_when_its_lease_runs_out(app, client, editor, make_page):
    for n in range(7):
        make_page(f"Linker {n}", "[[Target]]")
    drain(app)
    save(client, "Target", "text")
    with app.app_context():
        job_id = db.session.scalar(select(Job.id))
        settings = jobs.Settings(lease_seconds=60, batch=3)
        job = jobs.claim(job_id, settings)  # a worker takes it, does one batch, and dies
        batch = fanout._linking(["target"], 0, 3)
        for page in batch:
            fanout.rerender_page(page)
        jobs.extend(job, settings, cursor=batch[-1].id, done=len(batch))
        db.session.commit()
        assert jobs.overdue(settings, grace_seconds=0) == []  # its lease still runs
        assert jobs.run(job_id, settings) == "skipped"  # so nobody else takes it yet
        db.session.execute(update(Job).values(lease_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert jobs.overdue(settings, grace_seconds=0) == [job_id]
    assert queue_of(app).sweep() == 1
    drain(app)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0
    for n in range(7):
        assert MISSING not in stored_html(app, f"linker {n}")
    assert_as_rendered_from_scratch(app)


@pytest.mark.parametrize("app_config", [{"JOBS_QUEUE_URL": "redis://127.0.0.1:9/0", "JOBS_WORKER_THREADS": 0,
                                         "JOBS_SWEEP_SECONDS": 0}])
def test_a_broker_that_is_down_is_not_an_outage(app, client, admin, make_page):
    make_page("Linker", "[[Target]]")  # its own fan-out is kept too
    response = save(client, "Target", "text")
    assert response.status_code == 303
    assert "text" in client.get("/wiki/Target").get_data(as_text=True)
    health = client.get("/healthz")
    assert health.status_code == 200
    body = health.get_json()
    assert body["status"] == "degraded"
    assert body["jobs"]["broker"] == "unreachable" and body["jobs"]["queued"] == 2
    assert "not answering" in client.get("/-/admin/jobs").get_data(as_text=True)
    # Once a broker answers, the sweeper sends what was kept, and a worker runs it.
    with app.app_context():
        assert len(jobs.overdue(queue_of(app).settings, grace_seconds=0)) == 2


@pytest.fixture
def redis_queue(redis_url):
    return {"JOBS_QUEUE_URL": redis_url, "JOBS_QUEUE_NAME": f"test-{uuid.uuid4().hex[:8]}",
            "JOBS_WORKER_THREADS": 0, "JOBS_SWEEP_SECONDS": 0}


def test_jobs_travel_through_a_real_redis(database_urls, redis_queue, tmp_path):
    from tests.conftest import _base_config, wipe
    from wiki import create_app
    from wiki.services import pages, users

    config = _base_config(database_urls["sqlite"])
    config.update(redis_queue)
    app = create_app(config)
    try:
        with app.app_context():
            author = users.create_user("alice", PASSWORD)
            pages.save_page("Linker", "[[Target]]", "", author, None)
            pages.save_page("Target", "text", "", author, None)
        queue = queue_of(app)
        assert queue.broker_state() == ("ok", 2)  # two messages wait in Redis
        assert drain(app) == 2
        assert MISSING not in stored_html(app, "linker")
        assert queue.broker_state() == ("ok", 0)
    finally:
        queue_of(app).huey.flush()
        wipe(app)


def test_the_default_queue_is_sqlite_run_by_a_thread_in_the_app(database_urls, tmp_path):
    from tests.conftest import _base_config, wipe
    from wiki import create_app
    from wiki.services import pages, users

    config = _base_config(database_urls["sqlite"])
    config.update({"JOBS_QUEUE_URL": "sqlite:///" + str(tmp_path / "jobs.db"), "JOBS_WORKER_THREADS": 1,
                   "JOBS_SWEEP_SECONDS": 1})
    app = create_app(config)
    queue = queue_of(app)
    assert queue.kind == "sqlite"
    try:
        with app.app_context():
            author = users.create_user("alice", PASSWORD)
            pages.save_page("Linker", "[[Target]]", "", author, None)
            pages.save_page("Target", "text", "", author, None)
        assert MISSING in stored_html(app, "linker")
        app.test_client().get("/healthz")  # the first request starts the app's worker thread
        deadline = time.monotonic() + 20
        while MISSING in stored_html(app, "linker") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert MISSING not in stored_html(app, "linker")
    finally:
        queue.stop.set()
        wipe(app)


def test_a_large_fan_out_is_cut_into_ranges_that_workers_share(app, client, editor, make_page, monkeypatch):
    monkeypatch.setattr(fanout, "SPLIT_PAGES", 3)
    for n in range(8):
        make_page(f"Linker {n}", "[[Target]]")
    drain(app)
    save(client, "Target", "text")
    assert pending_jobs(app) == [("rerender", "queued")]
    queue = queue_of(app)
    queue.huey.execute(queue.huey.dequeue())  # the first job only cuts the work into ranges
    with app.app_context():
        ranges = [jobs.payload(job) for job in db.session.scalars(select(Job).order_by(Job.id))]
    assert [(r["first"] <= r["last"]) for r in ranges] == [True, True, True]
    assert all(MISSING in stored_html(app, f"linker {n}") for n in range(8))
    assert drain(app) == 3
    assert all(MISSING not in stored_html(app, f"linker {n}") for n in range(8))
    assert pending_jobs(app) == []
    assert_as_rendered_from_scratch(app)
