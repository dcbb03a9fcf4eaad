"""No N+1 on the watchlist and the notification list, and a save costs the same number of
statements whether nobody or 5N users watch the page: the fan-out is one job."""
import pytest
from sqlalchemy import select

from tests.blueprints.test_query_counts import N, authors, counted_statements, save, statements
from tests.conftest import post_form
from wiki.extensions import db
from wiki.models import Job, Page, Watch
from wiki.services import notifications


@pytest.fixture
def reader(app, client, make_user, login):
    user = make_user("watcher")
    login(user)
    return user


def watchlist(tag, n, user):
    for i, author in enumerate(authors(f"w{tag}u", n)):
        save(f"Watched {tag} {i}", "text", author)
        page = db.session.scalar(select(Page).where(Page.title == f"Watched {tag} {i}"))
        db.session.add(Watch(user_id=user.id, page_id=page.id))
    db.session.commit()
    return "/-/watchlist"


def notification_list(tag, n, user):
    for i, author in enumerate(authors(f"n{tag}u", n)):
        save(f"Noted {tag} {i}", "text", author)
        page = db.session.scalar(select(Page).where(Page.title == f"Noted {tag} {i}"))
        notifications.notify(user.id, "edit", page.id, page.title, author.id, "a summary", 1)
    db.session.commit()
    return "/-/notifications"


@pytest.mark.parametrize("build", [watchlist, notification_list], ids=["watchlist", "notifications"])
def test_statements_do_not_grow_with_the_rows_shown(app, client, reader, build):
    with app.app_context():
        small_url = build("a", N, reader)
    small = statements(app, client, small_url)
    with app.app_context():
        large_url = build("b", 5 * N, reader)
    large = statements(app, client, large_url)
    assert large == small, f"{build.__name__}: {small} statements for {N} rows, {large} for {5 * N}"
    assert f"{build.__name__[0]}bu{5 * N - 1}" in client.get(large_url).get_data(as_text=True)


@pytest.fixture
def app_config():
    return {"JOBS_QUEUE_URL": "memory://", "JOBS_WORKER_THREADS": 0}  # jobs wait: the save alone is counted


def test_a_save_of_a_much_watched_page_runs_the_same_statements(app, client, editor):
    def save_with_watchers(title, count):
        with app.app_context():
            save(title, "first text\n")
            page = db.session.scalar(select(Page).where(Page.title == title))
            for user in authors(f"{title.lower()}w", count):
                db.session.add(Watch(user_id=user.id, page_id=page.id))
            db.session.commit()
            before = db.session.scalar(select(db.func.max(Job.id))) or 0
        with counted_statements(app) as statements_run:
            response = post_form(client, f"/wiki/{title}/-/edit",
                                 {"body": "second text\n", "summary": "", "base_revision": "1"})
        assert response.status_code == 303
        with app.app_context():
            kinds = [job.kind for job in db.session.scalars(select(Job).where(Job.id > before))]
        return statements_run[0], kinds

    few, few_jobs = save_with_watchers("Few", 1)
    many, many_jobs = save_with_watchers("Many", 5 * N * 10)
    assert few == many
    assert few_jobs == many_jobs == ["notify_watchers"]
