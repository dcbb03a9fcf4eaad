"""History, diffs, old revisions, blame and recent changes answered in front of Flask for
visitors without cookies (wiki.web.readcache): the same bytes and headers as the app's own
answers, and never an answer of an older state."""
import pytest
from sqlalchemy import select

from tests.web.test_caching import FlaskCalls, headers_of
from wiki.extensions import db
from wiki.models import Page, User
from wiki.services import admin as admin_service
from wiki.services import moves
from wiki.services import pages as page_service
from wiki.web import readcache
from wiki.web.caching import EXTENSION

URLS = [
    "/wiki/Guide/-/history",
    "/wiki/Guide/-/history?page=2",
    "/wiki/Guide/-/diff?from=1&to=3",
    "/wiki/Guide/-/diff",
    "/wiki/Guide/-/diff?from=2&to=3&view=inline",
    "/wiki/Guide/-/revisions/2",
    "/wiki/Guide/-/revisions/3",
    "/wiki/Guide/-/blame",
    "/-/recent",
    "/-/recent?page=2",
    "/-/search?q=status",
    "/-/search?q=guide&in=&tag=",
]


@pytest.fixture
def guide(app, make_page, make_user):
    author = make_user("bob")
    app.config["HISTORY_PAGE_SIZE"] = 50
    for n in range(1, 4):
        make_page("Guide", f"# Guide\n\nLine one.\n\nStatus {n}.\n", author, summary=f"edit {n}")
    make_page("Other", "Another page")
    return author


def anonymous(app):
    return app.test_client(use_cookies=False)


def forget(app):
    for cache in (app.extensions[EXTENSION].pages, app.extensions[readcache.EXTENSION]):
        cache.entries.clear()
        cache.size = 0


@pytest.mark.parametrize("url", URLS)
def test_cookieless_reads_are_answered_before_flask_with_the_same_bytes_and_headers(app, guide, url):
    calls = FlaskCalls(app)
    rendered = anonymous(app).get(url)
    assert calls.count == 1
    if rendered.status_code != 200:  # ?page=2 of a 3-revision history: the view's 404, never kept
        assert anonymous(app).get(url).status_code == rendered.status_code and calls.count == 2
        return
    assert rendered.headers["ETag"].startswith('W/"')
    cached = anonymous(app).get(url)
    assert calls.count == 1  # answered in front of Flask
    assert cached.status_code == 200 and cached.get_data() == rendered.get_data()
    assert headers_of(cached) == headers_of(rendered)
    head = anonymous(app).head(url)
    assert calls.count == 1 and head.get_data() == b"" and headers_of(head) == headers_of(rendered)

    etag = rendered.headers["ETag"]
    door_304 = anonymous(app).get(url, headers={"If-None-Match": etag})
    assert calls.count == 1 and door_304.status_code == 304 and door_304.get_data() == b""
    forget(app)  # another worker, which has not rendered it: the app answers the same 304
    app_304 = anonymous(app).get(url, headers={"If-None-Match": etag})
    assert calls.count == 2 and app_304.status_code == 304
    assert headers_of(app_304) == headers_of(door_304)

    forget(app)  # and a fresh rendering is what the door served
    again = anonymous(app).get(url)
    assert calls.count == 3 and again.get_data() == cached.get_data() and headers_of(again) == headers_of(cached)


def fresh(app, url):
    """What the app renders now (nothing kept), and what the door then serves."""
    forget(app)
    rendered = anonymous(app).get(url)
    served = anonymous(app).get(url)
    assert served.get_data() == rendered.get_data()
    return rendered


def test_a_save_changes_every_view_of_the_page_and_recent_changes(app, guide, make_page):
    urls = ["/wiki/Guide/-/history", "/wiki/Guide/-/diff", "/wiki/Guide/-/blame", "/wiki/Guide/-/revisions/2",
            "/-/recent"]
    before = {url: anonymous(app).get(url) for url in urls}
    for url in urls:
        anonymous(app).get(url)  # kept
    make_page("Guide", "# Guide\n\nLine one.\n\nStatus 4, saved later.\n", guide, summary="edit 4")
    calls = FlaskCalls(app)
    for url in urls:
        after = anonymous(app).get(url)
        assert after.status_code == 200 and after.headers["ETag"] != before[url].headers["ETag"]
        assert after.get_data() != before[url].get_data()  # a new row, a new "current" link...
        assert after.get_data() == fresh(app, url).get_data()
    assert calls.count >= len(urls)
    assert "Status 4, saved later." in anonymous(app).get("/wiki/Guide/-/blame").get_data(as_text=True)
    assert "edit 4" in anonymous(app).get("/wiki/Guide/-/history").get_data(as_text=True)
    assert "edit 4" in anonymous(app).get("/-/recent").get_data(as_text=True)
    # A fixed diff and an old revision do not depend on the history's length, only on what
    # they link to ("Compare with current", "Newer revision").
    assert "Status 4" not in anonymous(app).get("/wiki/Guide/-/diff?from=1&to=3").get_data(as_text=True)


def test_a_save_of_another_page_shows_in_recent_changes_only(app, guide, make_page):
    history = anonymous(app).get("/wiki/Guide/-/history")
    recent = anonymous(app).get("/-/recent")
    anonymous(app).get("/-/recent")
    make_page("Third", "A third page")
    calls = FlaskCalls(app)
    assert anonymous(app).get("/wiki/Guide/-/history").get_data() == history.get_data()
    assert calls.count == 0
    new = anonymous(app).get("/-/recent")
    assert calls.count == 1 and new.get_data() != recent.get_data() and "Third" in new.get_data(as_text=True)


def test_a_rename_a_delete_and_a_restore_are_never_answered_from_an_older_state(app, guide, make_user):
    admin = make_user("admin", role="admin")
    for url in ("/wiki/Guide/-/history", "/wiki/Guide/-/blame", "/-/recent", "/wiki/Other/-/history"):
        anonymous(app).get(url)
        assert anonymous(app).get(url).status_code == 200
    with app.app_context():
        moves.rename_page(page_service.find_page("Guide"), "Manual", db.session.get(User, admin.id),
                          leave_redirect=False)
    assert anonymous(app).get("/wiki/Guide/-/history").status_code == 404
    assert "Manual" in anonymous(app).get("/wiki/Manual/-/blame").get_data(as_text=True)
    recent = anonymous(app).get("/-/recent").get_data(as_text=True)
    assert 'href="/wiki/Manual"' in recent and 'href="/wiki/Guide"' not in recent  # rows show the new title
    assert recent == fresh(app, "/-/recent").get_data(as_text=True)

    with app.app_context():
        moves.delete_page(page_service.find_page("Other"), db.session.get(User, admin.id), "gone")
    assert anonymous(app).get("/wiki/Other/-/history").status_code == 404
    recent = anonymous(app).get("/-/recent").get_data(as_text=True)
    assert "Deleted the page: gone" in recent
    with app.app_context():
        moves.restore_page(db.session.scalar(select(Page).where(Page.title == "Other")),
                           db.session.get(User, admin.id))
    assert anonymous(app).get("/wiki/Other/-/history").status_code == 200
    assert "Restored the page" in anonymous(app).get("/-/recent").get_data(as_text=True)


def test_a_protection_change_gives_new_keys(app, guide, make_user):
    admin = make_user("admin", role="admin")
    url = "/wiki/Guide/-/history"
    first = anonymous(app).get(url)
    anonymous(app).get(url)
    with app.app_context():
        admin_service.set_protection(db.session.get(User, admin.id), page_service.find_page("Guide"), "admin")
    assert anonymous(app).get(url).headers["ETag"] != first.headers["ETag"]


def test_the_door_keeps_its_answers_apart_from_page_views(app, guide):
    for url in ("/wiki/Guide", "/wiki/Guide/-/history", "/wiki/Guide/-/revisions/2", "/-/recent"):
        anonymous(app).get(url)
    assert len(app.extensions[EXTENSION].pages.entries) == 1  # the page view
    assert len(app.extensions[readcache.EXTENSION].entries) == 3
    assert app.extensions[readcache.EXTENSION].limit == app.config["PAGE_CACHE_BYTES"] // 2


def test_only_cookieless_visitors_use_the_door(app, guide, make_user, login, client):
    url = "/wiki/Guide/-/history"
    anonymous(app).get(url)
    calls = FlaskCalls(app)
    login(make_user("carol"))
    before = calls.count
    mine = client.get(url)
    assert calls.count == before + 1 and "carol" in mine.get_data(as_text=True)  # the logged-in frame
    assert "ETag" not in mine.headers  # validators for anonymous visitors only


def test_filtered_or_deep_recent_changes_go_to_the_app(app, guide):
    calls = FlaskCalls(app)
    for url in ("/-/recent?hideminor=1", "/-/recent?comments=1", "/-/recent?user=bob", "/-/recent?page=21",
                "/-/recent?page=0"):
        for _ in range(2):
            response = anonymous(app).get(url)
            assert response.status_code in (200, 400, 404) and "ETag" not in response.headers
    assert calls.count == 10


def test_other_spellings_and_missing_revisions_go_to_the_app(app, guide):
    calls = FlaskCalls(app)
    assert anonymous(app).get("/wiki/guide/-/history").status_code == 301
    assert anonymous(app).get("/wiki/guide/-/history").status_code == 301
    assert anonymous(app).get("/wiki/Guide/-/revisions/9").status_code == 404
    assert anonymous(app).get("/wiki/Guide/-/revisions/9").status_code == 404
    assert anonymous(app).get("/wiki/Guide/-/diff?from=1&to=x").status_code == 400
    assert anonymous(app).get("/wiki/Guide/-/diff?from=1&to=x").status_code == 400
    assert calls.count == 6


@pytest.mark.parametrize("app_config", [{"ANONYMOUS_ACCESS": "none"}])
def test_the_door_is_shut_when_visitors_may_not_read(app, guide, app_config):
    calls = FlaskCalls(app)
    app.config["ANONYMOUS_ACCESS"] = "read"
    assert anonymous(app).get("/wiki/Guide/-/blame").status_code == 200
    assert anonymous(app).get("/wiki/Guide/-/blame").status_code == 200
    assert calls.count == 1
    app.config["ANONYMOUS_ACCESS"] = "none"
    assert anonymous(app).get("/wiki/Guide/-/blame").status_code == 302  # to the login form
    assert anonymous(app).get("/-/recent").status_code == 302
    assert calls.count == 3


def test_mark_verified_shows_in_a_cached_history_at_once(app, guide, make_page, make_user):
    # "Mark verified" makes a page event, not a revision: history lists it, so its key changes.
    editor = make_user("ed", role="editor")
    make_page("Checked", "---\nreview: 90 days\n---\n# Checked\n\nText.\n", editor)
    url = "/wiki/Checked/-/history"
    first = anonymous(app).get(url)
    assert anonymous(app).get(url).get_data() == first.get_data()  # now kept by the door
    with app.app_context():
        from wiki.services import review
        review.verify(page_service.find_page("Checked"), db.session.get(User, editor.id))
        db.session.commit()
    again = anonymous(app).get(url)
    assert again.headers["ETag"] != first.headers["ETag"]
    assert "ed" in again.get_data(as_text=True).split("Events", 1)[-1]


def test_a_database_lost_after_the_view_rendered_gives_the_page_but_keeps_nothing(app, guide, monkeypatch):
    # The door's state is read twice: before the view and again after it, to keep the answer
    # only if nothing changed meanwhile. When the database drops in between, the rendered
    # page is still whole: the visitor gets it, and nothing unconfirmed is stored.
    import sqlite3

    from sqlalchemy import exc

    calls = FlaskCalls(app)
    real_state = readcache.state
    seen = []

    def dropping(*args, **kwargs):
        seen.append(args[2])
        if len(seen) == 2:  # the re-check after the view
            raise exc.OperationalError("SELECT", {}, sqlite3.OperationalError("disk I/O error"))
        return real_state(*args, **kwargs)

    monkeypatch.setattr(readcache, "state", dropping)
    first = anonymous(app).get("/-/recent")
    assert first.status_code == 200 and "Guide" in first.get_data(as_text=True)
    assert "ETag" not in first.headers
    monkeypatch.setattr(readcache, "state", real_state)
    again = anonymous(app).get("/-/recent")
    assert calls.count == 2  # nothing had been kept: the app answered again
    assert again.get_data() == first.get_data()


def search(app, q="status"):
    return anonymous(app).get(f"/-/search?q={q}")


def test_a_repeated_search_is_served_until_anything_search_shows_changes(app, guide, make_page, make_user):
    first = search(app)
    assert "Guide" in first.get_data(as_text=True) and "Another" not in first.get_data(as_text=True)
    calls = FlaskCalls(app)
    assert search(app).get_data() == first.get_data() and calls.count == 0
    # A save of any page (here one that did not match before) changes the answer at once.
    make_page("Other", "Another page, status unknown")
    now = search(app)
    assert calls.count == 1 and "status unknown" in now.get_data(as_text=True).replace("<mark>", "").replace("</mark>", "")
    assert now.headers["ETag"] != first.headers["ETag"]
    assert search(app).get_data() == now.get_data() and calls.count == 1
    admin = make_user("admin", role="admin")
    with app.app_context():  # a rename without a redirect writes no revision, and still shows
        moves.rename_page(page_service.find_page("Other"), "Elsewhere", db.session.get(User, admin.id),
                          leave_redirect=False)
    renamed = search(app).get_data(as_text=True)
    assert calls.count == 2 and "Elsewhere" in renamed and 'href="/wiki/Other"' not in renamed
    with app.app_context():
        moves.delete_page(page_service.find_page("Elsewhere"), db.session.get(User, admin.id), "gone")
    assert "Elsewhere" not in search(app).get_data(as_text=True) and calls.count == 3
    assert search(app).get_data(as_text=True) == fresh(app, "/-/search?q=status").get_data(as_text=True)


def test_a_hidden_comment_leaves_cached_search_results_at_once(app, guide, make_user):
    from wiki.services import discussions

    admin = make_user("admin", role="admin")
    with app.app_context():
        thread = discussions.start_thread(page_service.find_page("Guide"), db.session.get(User, admin.id),
                                          "Zebrafish are off topic here")
        comment_id = db.session.scalar(select(discussions.DiscussionComment.id)
                                       .where(discussions.DiscussionComment.thread_id == thread.id))
    assert "Zebrafish" in search(app, "zebrafish").get_data(as_text=True)
    search(app, "zebrafish")  # kept
    with app.app_context():
        comment = db.session.get(discussions.DiscussionComment, comment_id)
        discussions.set_hidden(comment, db.session.get(User, admin.id), True, "spam")
    assert "Zebrafish" not in search(app, "zebrafish").get_data(as_text=True)


def test_a_change_rolled_back_leaves_the_generation_and_a_committed_one_moves_it(app, guide):
    from wiki.services import search as search_service

    with app.app_context():
        before = search_service.generation(db.session.connection())
        db.session.rollback()
        search_service.unindex_page(page_service.find_page("Guide"))
        db.session.rollback()
        assert search_service.generation(db.session.connection()) == before
        db.session.rollback()
        search_service.unindex_page(page_service.find_page("Guide"))
        db.session.commit()
        assert search_service.generation(db.session.connection()) == before + 1
    assert "Guide" not in search(app).get_data(as_text=True)  # what the index holds now


def test_long_search_queries_go_to_the_app(app, guide):
    calls = FlaskCalls(app)
    url = "/-/search?q=" + "status+" * 120
    for _ in range(2):
        assert anonymous(app).get(url).status_code == 200
    assert calls.count == 2
