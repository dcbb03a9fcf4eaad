"""Review dates (issue 20) through the HTTP interface: the banner and its caching, /-/review
and its filters, "Mark verified" (who may, CSRF, missing pages), bad settings refused at save,
renames and deletes, and the daily notice to owners and watchers (time passed in, no sleeping)."""
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from tests.conftest import PASSWORD, csrf_token, post_form
from wiki.extensions import db
from wiki.models import AuditEvent, Notification, Page, PageEvent, PageReview, SectionReview, User, Watch, utcnow
from wiki.services import moves, review
from wiki.services import pages as page_service

REVIEWED = "---\nowner: alice\nreview: 30 days\n---\n\n# Caching\n\nText.\n"


def client_for(app, name):
    client = app.test_client()
    response = post_form(client, "/-/login", {"username": name, "password": PASSWORD})
    assert response.status_code == 303
    return client


def save_form(client, title, body):
    page = client.get(f"/wiki/{title}/-/edit").get_data(as_text=True)
    base = re.search(r'name="base_revision"[^>]*value="(\d*)"', page).group(1)
    return client.post(f"/wiki/{title}/-/edit", data={
        "body": body, "summary": "", "base_revision": base, "csrf_token": csrf_token(client, f"/wiki/{title}/-/edit")})


def age(app, title, days):
    """Pretend ``days`` passed: move the page's clock (and its sections') back."""
    with app.app_context():
        page_id = db.session.scalar(select(Page.id).where(Page.title == title))
        row = db.session.get(PageReview, page_id)
        row.started_at -= timedelta(days=days)
        if row.verified_at:
            row.verified_at -= timedelta(days=days)
        if row.due_at:
            row.due_at -= timedelta(days=days)
        row.first_due_at -= timedelta(days=days)
        for section in db.session.scalars(select(SectionReview).where(SectionReview.page_id == page_id)):
            section.started_at -= timedelta(days=days)
            section.due_at -= timedelta(days=days)
        db.session.commit()


@pytest.fixture
def people(make_user):
    return make_user("alice"), make_user("bob", role="reader"), make_user("carol")


def test_a_page_not_due_says_when_and_a_due_one_shows_the_banner_since_when(app, client, people, make_page):
    make_page("Caching", REVIEWED, author=people[0])
    text = client.get("/wiki/Caching").get_data(as_text=True)
    assert "Needs review" not in text
    assert "Reviewed every 30 days by alice" in text
    assert "owner: alice" not in text  # front matter never shows
    age(app, "Caching", 42)
    text = client.get("/wiki/Caching").get_data(as_text=True)
    assert "Needs review" in text and "for 12 days" in text
    due = (utcnow() - timedelta(days=12)).date().isoformat()
    assert due in text


def test_the_cached_anonymous_view_shows_the_banner_once_due(app, client, people, make_page):
    make_page("Caching", REVIEWED, author=people[0])
    first = app.test_client().get("/wiki/Caching")  # no cookie: FastPageViews' door
    etag = first.headers["ETag"]
    cache = app.extensions["nexus.caching"].pages
    assert len(cache.entries) == 1  # the view's validator is the key the fast door computes
    again = app.test_client().get("/wiki/Caching")  # from the page cache
    assert again.headers["ETag"] == etag and "Needs review" not in again.get_data(as_text=True)
    assert app.test_client().get("/wiki/Caching", headers={"If-None-Match": etag}).status_code == 304
    age(app, "Caching", 31)
    due = app.test_client().get("/wiki/Caching", headers={"If-None-Match": etag})
    assert due.status_code == 200 and due.headers["ETag"] != etag
    assert "Needs review" in due.get_data(as_text=True)
    assert "Needs review" in app.test_client().get("/wiki/Caching").get_data(as_text=True)
    assert len(cache.entries) == 2  # kept under the new key, served from it again


def test_a_logged_in_view_gets_a_new_validator_when_due(app, people, make_page):
    make_page("Caching", REVIEWED, author=people[0])
    client = client_for(app, "carol")
    client.get("/wiki/Caching")  # shows the flashed "logged in": no validator
    etag = client.get("/wiki/Caching").headers["ETag"]
    age(app, "Caching", 31)
    response = client.get("/wiki/Caching", headers={"If-None-Match": etag})
    assert response.status_code == 200 and "Mark verified" in response.get_data(as_text=True)


def test_mark_verified_resets_the_clock_and_is_an_event_not_a_revision(app, people, make_page):
    make_page("Caching", REVIEWED, author=people[0])
    age(app, "Caching", 40)
    client = client_for(app, "carol")
    response = post_form(client, "/wiki/Caching/-/verify", {}, form_url="/wiki/Caching")
    assert response.status_code == 303
    text = client.get("/wiki/Caching").get_data(as_text=True)
    assert "Needs review" not in text and "last verified on" in text
    history = client.get("/wiki/Caching/-/history").get_data(as_text=True)
    assert "carol" in history and "marked the page verified" in history and "1 revision," in history
    assert "Verified the page" in client.get("/-/recent").get_data(as_text=True)
    with app.app_context():
        row = db.session.scalar(select(PageReview))
        assert row.verified_by_id == people[2].id and row.due_at > utcnow() + timedelta(days=29)
        assert db.session.scalar(select(PageEvent.kind)) == "verify"
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "page_verify"))


def test_verify_refusals(app, client, people, make_page):
    make_page("Caching", REVIEWED, author=people[0])
    make_page("Plain", "No review here.\n")
    reader = client_for(app, "bob")
    assert post_form(reader, "/wiki/Caching/-/verify", {}, form_url="/wiki/Caching").status_code == 403
    editor = client_for(app, "carol")
    bad_csrf = editor.post("/wiki/Caching/-/verify", data={"csrf_token": "nonsense"})
    assert bad_csrf.status_code == 400
    missing = post_form(editor, "/wiki/Nowhere/-/verify", {}, form_url="/wiki/Caching")
    assert missing.status_code == 404 and "There is no page called" in missing.get_data(as_text=True)
    plain = post_form(editor, "/wiki/Plain/-/verify", {}, form_url="/wiki/Caching")
    assert plain.status_code == 400 and "has no review date" in plain.get_data(as_text=True)
    section = post_form(editor, "/wiki/Caching/-/verify", {"section": "nope"}, form_url="/wiki/Caching")
    assert section.status_code == 404
    anonymous = app.test_client().post("/wiki/Caching/-/verify")
    assert anonymous.status_code in (302, 303, 400, 403)
    with app.app_context():
        assert db.session.scalar(select(PageEvent.id)) is None
        assert db.session.scalar(select(PageReview.verified_at)) is None


@pytest.mark.parametrize("setting, message", [
    ("review: -30 days", "at least one day"),
    ("review: 0 days", "at least one day"),
    ("review: 3 fortnights", "is not a unit"),
    ("review: 900 years", "at most five years"),
    ("review: soon", "is not a review interval"),
    ("review: 30 days\nowner: nobody", "no active user called “nobody”"),
])
def test_bad_review_settings_are_refused_at_save_with_the_text_kept(app, people, setting, message):
    client = client_for(app, "alice")
    body = f"---\n{setting}\n---\nText.\n"
    response = save_form(client, "Caching", body)
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and message in text and "Nothing was saved" in text
    assert "Text." in text  # still in the form
    with app.app_context():
        assert db.session.scalar(select(Page.id)) is None


def test_a_section_review_is_hidden_listed_and_verified_alone(app, people, make_page):
    body = "# Guide\n\nIntro.\n\n## Installing\n<!-- review: 7 days, owner: carol -->\n\nSteps.\n\n## Other\n\nMore.\n"
    make_page("Guide", body, author=people[0])
    age(app, "Guide", 10)
    client = client_for(app, "carol")
    text = client.get("/wiki/Guide").get_data(as_text=True)
    assert "review: 7 days" not in text  # the comment is never shown
    assert "A section of this page needs review" in text and 'href="#installing"' in text
    listing = client.get("/-/review").get_data(as_text=True)
    assert "Installing" in listing and "Guide" in listing
    response = post_form(client, "/wiki/Guide/-/verify", {"section": "installing"}, form_url="/wiki/Guide")
    assert response.status_code == 303 and response.headers["Location"].endswith("#installing")
    assert "needs review" not in client.get("/wiki/Guide").get_data(as_text=True)
    assert "the section <a" in client.get("/wiki/Guide/-/history").get_data(as_text=True)


def test_the_review_list_is_most_overdue_first_and_filters(app, client, people, make_page):
    make_page("Ops/Deploy", "---\nowner: alice\nreview: 10 days\n---\nA\n", author=people[0])
    make_page("Ops/Backup", "---\nowner: carol\nreview: 10 days\n---\nB\n", author=people[0])
    make_page("Dev/Tests", "---\nreview: 10 days\n---\nC\n", author=people[0])
    make_page("Fresh", "---\nreview: 90 days\n---\nD\n", author=people[0])
    age(app, "Ops/Deploy", 15)
    age(app, "Ops/Backup", 40)
    age(app, "Dev/Tests", 20)
    text = client.get("/-/review").get_data(as_text=True)
    order = [text.index(name) for name in ("Ops/Backup", "Dev/Tests", "Ops/Deploy")]
    assert order == sorted(order) and "Fresh" not in text
    by_owner = client.get("/-/review?owner=alice").get_data(as_text=True)
    assert "Ops/Deploy" in by_owner and "Ops/Backup" not in by_owner
    by_prefix = client.get("/-/review?prefix=ops/").get_data(as_text=True)
    assert "Ops/Backup" in by_prefix and "Dev/Tests" not in by_prefix
    soon = client.get("/-/review?soon=1").get_data(as_text=True)
    assert "Fresh" not in soon  # due in 90 days: not soon
    for bad, message in (("owner=nobody", "There is no user called “nobody”"), ("owner=%25%25", "is not a username"),
                         ("page=x", "must be a page number"), ("page=9999", "at most"),
                         ("prefix=" + "a" * 300, "at most 255")):
        response = client.get(f"/-/review?{bad}")
        assert response.status_code == 400 and message in response.get_data(as_text=True), bad


def test_rename_keeps_and_delete_hides_and_restore_brings_back(app, client, people, make_page):
    make_page("Caching", REVIEWED, author=people[0])
    age(app, "Caching", 31)
    with app.app_context():
        actor = db.session.get(User, people[0].id)
        moves.rename_page(page_service.find_page("Caching"), "Redis", actor)
    assert "Redis" in client.get("/-/review").get_data(as_text=True)
    with app.app_context():
        moves.delete_page(page_service.find_page("Redis"), db.session.get(User, people[0].id))
    assert "Redis" not in client.get("/-/review").get_data(as_text=True)
    with app.app_context():
        moves.restore_page(page_service.find_deleted_page("Redis"), db.session.get(User, people[0].id))
    assert "Redis" in client.get("/-/review").get_data(as_text=True)


def test_an_ordinary_edit_does_not_reset_the_clock_but_a_new_interval_applies(app, people, make_page):
    make_page("Caching", REVIEWED, author=people[0])
    age(app, "Caching", 31)
    make_page("Caching", REVIEWED + "More.\n", author=people[0])
    with app.app_context():
        assert review.due_items()[0][0].page.title == "Caching"
    make_page("Caching", REVIEWED.replace("30 days", "90 days"), author=people[0])
    with app.app_context():
        assert review.due_items()[0] == []


def test_the_due_notice_goes_to_owner_and_watchers_once_per_due_period(app, people, make_page):
    make_page("Caching", REVIEWED)  # by nobody: no author watching it
    with app.app_context():
        page_id = db.session.scalar(select(Page.id))
        db.session.add(Watch(user_id=people[2].id, page_id=page_id))
        db.session.commit()
        now = utcnow()
        assert review.tick(now) == []  # nothing due yet
        later = now + timedelta(days=31)
        assert review.tick(later) == [review.REVIEW_DUE]  # the job runs at once (immediate queue)
        told = db.session.execute(select(Notification.user_id, Notification.kind, Notification.summary)).all()
        assert sorted(user for user, *_ in told) == sorted([people[0].id, people[2].id])
        assert all(kind == "review" and "due for review since" in summary for _, kind, summary in told)
        assert review.tick(later) == []  # the same day: claimed once
        assert review.tick(later + timedelta(days=1)) == []  # already told of this due date
        assert db.session.scalar(select(db.func.count()).select_from(Notification)) == 2
    client = client_for(app, "alice")
    assert "needs review" in client.get("/-/notifications").get_data(as_text=True)
    post_form(client, "/wiki/Caching/-/verify", {}, form_url="/wiki/Caching")
    with app.app_context():
        assert review.tick(utcnow() + timedelta(days=62)) == [review.REVIEW_DUE]  # a new due period
        assert db.session.scalar(select(db.func.count()).select_from(Notification)) == 4


@contextmanager
def counted(app):
    count = [0]

    def counter(*_args, **_kwargs):
        count[0] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", counter)


def _many_due(app, start, count):
    with app.app_context():
        owners = [User(username=f"owner{start + i}", username_key=f"owner{start + i}", password_hash="x")
                  for i in range(count)]
        db.session.add_all(owners)
        db.session.commit()
        for i, owner in enumerate(owners):
            body = (f"---\nowner: {owner.username}\nreview: 5 days\n---\n# P\n\n## S\n"
                    f"<!-- review: 5 days, owner: {owner.username} -->\n")
            page_service.save_page(f"Due {start + i}", body, "", None, base_revision=0)
        for row in db.session.scalars(select(PageReview)):
            row.due_at, row.first_due_at = row.due_at - timedelta(days=9), row.first_due_at - timedelta(days=9)
        for row in db.session.scalars(select(SectionReview)):
            row.due_at -= timedelta(days=9)
        db.session.commit()


def test_the_review_list_runs_the_same_statements_for_many_due_pages(app, client, people):
    _many_due(app, 0, 4)
    client.get("/-/review")
    with counted(app) as few:
        assert client.get("/-/review").status_code == 200
    _many_due(app, 4, 20)
    with counted(app) as many:
        text = client.get("/-/review").get_data(as_text=True)
    assert "owner23" in text
    assert many[0] == few[0]


def test_the_preview_says_what_is_wrong_before_the_save(app, people):
    client = client_for(app, "alice")
    token = csrf_token(client, "/wiki/Caching/-/edit")
    response = client.post("/wiki/Caching/-/preview", data={"body": "---\nreview: -5 days\n---\nText.\n",
                                                             "csrf_token": token})
    assert response.status_code == 200
    assert "Review settings: Front matter: A review interval must be at least one day" in response.get_data(as_text=True)
    fine = client.post("/wiki/Caching/-/preview", data={"body": "---\nreview: 5 days\n---\nText.\n", "csrf_token": token})
    assert "Review settings" not in fine.get_data(as_text=True)


def test_flask_rerender_gives_pages_saved_before_review_dates_their_schedules(app, runner, people, make_page):
    make_page("Caching", REVIEWED, author=people[0])
    with app.app_context():
        db.session.execute(PageReview.__table__.delete())  # as if saved before migration 0016
        db.session.commit()
    result = runner.invoke(args=["rerender"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(PageReview.interval_days)) == 30


def test_due_soon_lists_what_falls_due_in_two_weeks(app, client, people, make_page):
    make_page("Soon", "---\nreview: 10 days\n---\nA\n", author=people[0])
    make_page("Later", "---\nreview: 60 days\n---\nB\n", author=people[0])
    age(app, "Soon", 5)
    text = client.get("/-/review?soon=1").get_data(as_text=True)
    assert "Soon" in text and "Later" not in text and "Due on" in text
    assert "Nothing is due for review" in client.get("/-/review").get_data(as_text=True)


def test_the_admin_dashboard_counts_pages_due_for_review(app, people, make_page, make_user):
    make_page("Caching", REVIEWED, author=people[0])
    make_page("Fresh", REVIEWED, author=people[0])
    make_user("root", role="admin")
    admin = client_for(app, "root")
    assert "none: every page with a review date is up to date" in admin.get("/-/admin").get_data(as_text=True)
    age(app, "Caching", 40)
    html = admin.get("/-/admin").get_data(as_text=True)
    assert '<strong class="dashboard-alert">1</strong> page past its review date' in html
    assert 'href="/-/review">Due for review<' in html
