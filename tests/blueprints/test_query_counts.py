"""No N+1 queries: every list page runs as many SQL statements for N rows as for 5N.

Statements are counted with SQLAlchemy's ``before_cursor_execute`` event on the app's
engine, around one request. Each list is filled with rows by different authors and on
different pages, so a query per row (a lazy author, page or revision) would show.
"""
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from wiki.extensions import db
from wiki.models import User
from wiki.services import pages as page_service

N = 4


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def authors(prefix: str, count: int) -> list[User]:
    """Users made directly (hashing real passwords would only slow the test down)."""
    users = [User(username=f"{prefix}{i}", username_key=f"{prefix}{i}", password_hash="x", role="editor")
             for i in range(count)]
    db.session.add_all(users)
    db.session.commit()
    return users


def save(title, body, author=None):
    page = page_service.find_page(title)
    return page_service.save_page(title, body, "a summary", author, page.current_revision.number if page else 0)


@contextmanager
def counted_statements(app):
    """Counts the SQL statements sent while the block runs: ``with ... as count: ...; count[0]``."""
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


def statements(app, client, url) -> int:
    with counted_statements(app) as count:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return count[0]


# Each builder fills one list with ``n`` rows (names made unique by ``tag``) and returns its URL.


def history(tag, n):
    for i, user in enumerate(authors(f"h{tag}u", n)):
        save(f"History {tag}", f"text {i}\n", user)
    return f"/wiki/History_{tag}/-/history"


def blame(tag, n):
    lines = []
    for i, user in enumerate(authors(f"b{tag}u", n)):
        lines.append(f"line {i} by {user.username}")
        save(f"Blame {tag}", "\n".join(lines) + "\n", user)
    return f"/wiki/Blame_{tag}/-/blame"


def recent(tag, n):
    for i, user in enumerate(authors(f"r{tag}u", n)):
        save(f"recent{tag}/Page {i}", "text", user)
    return f"/-/recent?prefix=recent{tag}/"


def contributions(tag, n):
    (user,) = authors(f"c{tag}u", 1)
    for i in range(n):
        save(f"Contrib {tag} {i}", "text", user)
    return f"/-/user/c{tag}u0"


def backlinks(tag, n):
    for i, user in enumerate(authors(f"l{tag}u", n)):
        save(f"Linker {tag} {i}", f"[[Target {tag}]] and [[Target {tag}#Part]]", user)
    return f"/wiki/Target_{tag}/-/backlinks"


def search(tag, n):
    for i, user in enumerate(authors(f"s{tag}u", n)):
        save(f"Found {tag} {i}", f"zebra{tag} appears here, number {i}", user)
    return f"/-/search?q=zebra{tag}"


def all_pages(tag, n):
    for i in range(n):
        save(f"index{tag}/Page {i}", "text")
    return "/-/pages"


def wanted(tag, n):
    for i in range(n):
        save(f"Wanter {tag} {i}", f"[[Missing {tag} {i}]]")
    return "/-/wanted"


def orphans(tag, n):
    for i in range(n):
        save(f"Orphan {tag} {i}", "nobody links here")
    return "/-/orphans"


LISTS = [history, blame, recent, contributions, backlinks, search, all_pages, wanted, orphans]


@pytest.mark.parametrize("build", LISTS, ids=[b.__name__ for b in LISTS])
def test_statements_do_not_grow_with_the_rows_shown(app, client, build):
    with app.app_context():
        small_url = build("a", N)
    small = statements(app, client, small_url)
    with app.app_context():
        large_url = build("b", 5 * N)
    large = statements(app, client, large_url)
    assert large == small, f"{build.__name__}: {small} statements for {N} rows, {large} for {5 * N}"


def test_the_counter_sees_a_query_per_row(app, client):
    """The check would catch an N+1: a lazy load per row is counted."""
    with app.app_context():
        history("x", N)
        engine = db.engine
    count = 0

    def counter(*_args, **_kwargs):
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", counter)
    try:
        with app.app_context():
            page = page_service.find_page("History x")
            revisions, _ = page_service.history(page, 1, 50)
            before = count
            for revision in revisions:
                db.session.expire(revision, ["summary"])
                _ = revision.summary
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    assert count - before == N


def test_a_save_runs_as_many_statements_after_a_long_history(app, client, editor):
    """Saving is O(1) in the number of revisions: nothing reads the whole history."""
    from tests.conftest import post_form

    def save_after(title, revisions):
        with app.app_context():
            for n in range(revisions):
                save(title, f"# {title}\n\nrevision {n}\n")
        url = f"/wiki/{title}/-/edit"
        data = {"body": f"# {title}\n\nthe next one\n", "summary": "", "base_revision": str(revisions)}
        with counted_statements(app) as count:
            response = post_form(client, url, data)
        assert response.status_code == 303
        return count[0]

    assert save_after("Short", N) == save_after("Long", 5 * N)
