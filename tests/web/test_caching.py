"""Conditional GETs of pages and revisions (ETag, Last-Modified, 304), and static file caching."""
import re
from datetime import timedelta

import pytest
from werkzeug.http import http_date

from tests.conftest import post_form
from wiki.extensions import db
from wiki.models import Revision
from wiki.services import moves
from wiki.services import pages as page_service


def fetch(client, url="/wiki/Home", **headers):
    return client.get(url, headers=headers)


def settled(client, url="/wiki/Home"):
    """The page once any pending flash message has been shown (it is never validated)."""
    fetch(client, url)
    response = fetch(client, url)
    assert response.status_code == 200
    return response


def etag_of(client, url="/wiki/Home"):
    response = settled(client, url)
    assert response.headers["ETag"].startswith('W/"')
    return response.headers["ETag"]


def test_page_view_has_validators_and_revalidates(client, make_page):
    make_page("Home", "Hello")
    response = settled(client)
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["ETag"]
    assert response.headers["Last-Modified"]
    again = fetch(client, **{"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == response.headers["ETag"]
    assert again.headers["Cache-Control"] == "private, no-cache"


def test_other_etag_gets_the_page(client, make_page):
    make_page("Home", "Hello")
    response = fetch(client, **{"If-None-Match": 'W/"something else"'})
    assert response.status_code == 200
    assert "Hello" in response.get_data(as_text=True)


def test_an_edit_changes_the_etag(client, make_page):
    make_page("Home", "Hello")
    before = etag_of(client)
    make_page("Home", "Hello again")
    response = fetch(client, **{"If-None-Match": before})
    assert response.status_code == 200
    assert "Hello again" in response.get_data(as_text=True)
    assert response.headers["ETag"] != before


def test_creating_a_linked_page_changes_the_etag(client, make_page):
    """Red link turns blue: same revision, re-rendered HTML, so a new validator."""
    make_page("Home", "See [[Elsewhere]].")
    before = etag_of(client)
    assert 'href="/wiki/Elsewhere/-/edit"' in fetch(client).get_data(as_text=True)
    make_page("Elsewhere", "Now it exists.")
    response = fetch(client, **{"If-None-Match": before})
    assert response.status_code == 200
    assert 'href="/wiki/Elsewhere"' in response.get_data(as_text=True)


def test_deleting_a_linked_page_changes_the_etag(app, client, make_page, make_user):
    make_page("Home", "See [[Elsewhere]].")
    make_page("Elsewhere", "Here.")
    before = etag_of(client)
    with app.app_context():
        moves.delete_page(page_service.find_page("Elsewhere"), make_user("admin", role="admin"))
    assert fetch(client, **{"If-None-Match": before}).status_code == 200


def test_login_and_logout_change_the_etag(client, make_page, make_user, login):
    make_page("Home", "Hello")
    anonymous = etag_of(client)
    login(make_user("alice"))
    logged_in = etag_of(client)
    assert logged_in != anonymous
    assert fetch(client, **{"If-None-Match": anonymous}).status_code == 200
    assert fetch(client, **{"If-None-Match": logged_in}).status_code == 304
    assert post_form(client, "/-/logout", {}, form_url="/wiki/Home").status_code == 303
    response = fetch(client, **{"If-None-Match": logged_in})
    assert response.status_code == 200  # not the logged-in page (and it shows the flash)
    assert "You are logged out" in response.get_data(as_text=True)
    assert etag_of(client) == anonymous


def test_two_users_get_different_etags(app, make_page, make_user):
    make_page("Home", "Hello")
    tags = []
    for name, role in (("alice", "editor"), ("bob", "editor"), ("carol", "reader")):
        make_user(name, role=role)
        client = app.test_client()
        post_form(client, "/-/login", {"username": name, "password": "correct horse battery"})
        tags.append(etag_of(client))
    assert len(set(tags)) == 3


def test_a_new_session_of_the_same_user_changes_the_etag(app, make_page, make_user):
    """The logout form's CSRF token belongs to the session."""
    make_page("Home", "Hello")
    make_user("alice")
    tags = []
    for _ in range(2):
        client = app.test_client()
        post_form(client, "/-/login", {"username": "alice", "password": "correct horse battery"})
        tags.append(etag_of(client))
    assert tags[0] != tags[1]


def test_a_pending_flash_is_never_answered_with_304(client, make_page, make_user, login):
    make_page("Home", "Hello")
    login(make_user("alice"))  # flashes "Welcome back"
    response = fetch(client, **{"If-None-Match": "*"})
    assert response.status_code == 200
    assert "Welcome back" in response.get_data(as_text=True)
    assert "ETag" not in response.headers


def test_if_modified_since(app, client, make_page):
    make_page("Home", "Hello")
    response = settled(client)
    stamp = response.headers["Last-Modified"]
    assert fetch(client, **{"If-Modified-Since": stamp}).status_code == 304
    with app.app_context():
        created = db.session.scalar(db.select(Revision.created_at))
    earlier = http_date(created - timedelta(days=1))
    assert fetch(client, **{"If-Modified-Since": earlier}).status_code == 200


def test_if_modified_since_sees_a_save_elsewhere(app, client, make_page):
    """A page created later may have turned one of this page's links blue."""
    make_page("Home", "See [[Elsewhere]].")
    with app.app_context():  # saved a while ago, so the next save is seconds later
        for revision in db.session.scalars(db.select(Revision)):
            revision.created_at -= timedelta(minutes=5)
        db.session.commit()
    stamp = settled(client).headers["Last-Modified"]
    assert fetch(client, **{"If-Modified-Since": stamp}).status_code == 304
    make_page("Elsewhere", "Now it exists.")
    response = fetch(client, **{"If-Modified-Since": stamp})
    assert response.status_code == 200
    assert 'href="/wiki/Elsewhere"' in response.get_data(as_text=True)


def test_if_modified_since_is_not_enough_for_a_logged_in_viewer(client, make_page, editor):
    make_page("Home", "Hello")
    stamp = settled(client).headers["Last-Modified"]
    assert fetch(client, **{"If-Modified-Since": stamp}).status_code == 200


def test_if_none_match_wins_over_if_modified_since(client, make_page):
    make_page("Home", "Hello")
    stamp = settled(client).headers["Last-Modified"]
    response = fetch(client, **{"If-Modified-Since": stamp, "If-None-Match": 'W/"stale"'})
    assert response.status_code == 200


def test_old_revision_view_revalidates_and_changes_with_a_new_revision(client, make_page):
    make_page("Home", "one")
    make_page("Home", "two")
    url = "/wiki/Home/-/revisions/1"
    before = etag_of(client, url)
    assert fetch(client, url, **{"If-None-Match": before}).status_code == 304
    make_page("Home", "three")  # the old revision's page now links to a newer current one
    assert fetch(client, url, **{"If-None-Match": before}).status_code == 200


def test_revision_views_differ_between_revisions(client, make_page):
    make_page("Home", "one")
    make_page("Home", "two")
    assert etag_of(client, "/wiki/Home/-/revisions/1") != etag_of(client, "/wiki/Home/-/revisions/2")


def test_redirected_from_is_part_of_the_validator(client, make_page):
    make_page("Target", "Here.")
    make_page("Old", "#REDIRECT [[Target]]")
    plain = etag_of(client, "/wiki/Target")
    assert etag_of(client, "/wiki/Target?redirected_from=Old") != plain


def test_other_html_pages_are_not_cached_by_shared_caches(client, make_page):
    make_page("Home", "Hello")
    assert client.get("/wiki/Home/-/history").headers["Cache-Control"] == "private, no-cache"


STATIC_RE = re.compile(r'href="(/static/css/nexus\.css\?v=([0-9a-f]+))"')


def test_static_urls_carry_a_content_hash(client, make_page):
    make_page("Home", "Hello")
    match = STATIC_RE.search(fetch(client).get_data(as_text=True))
    assert match, "the stylesheet URL has no ?v=<hash>"
    response = client.get(match.group(1))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    response.close()


@pytest.mark.parametrize("query", ["", "?v=0123456789ab"])
def test_unversioned_or_outdated_static_urls_get_a_short_max_age(client, query):
    response = client.get("/static/css/nexus.css" + query)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    response.close()


def test_static_version_changes_with_the_content(app, tmp_path):
    from wiki import create_app
    from wiki.web.caching import versions

    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "a.css").write_text("a {}")
    other = create_app({**app.config, "TESTING": True})
    other.static_folder = str(static)
    from wiki.web.caching import _versions

    first = _versions(other).static["css/a.css"]
    (static / "css" / "a.css").write_text("a { color: red }")
    assert _versions(other).static["css/a.css"] != first
    with app.app_context():
        assert versions().static["css/nexus.css"]


# The per-process cache of page views for anonymous readers.


def cached_entries(app):
    from wiki.web.caching import EXTENSION

    return app.extensions[EXTENSION].pages.entries


def test_anonymous_views_are_served_from_the_page_cache(app, client, make_page):
    make_page("Home", "Hello")
    first = fetch(client)
    assert len(cached_entries(app)) == 1
    second = fetch(client)
    assert second.status_code == 200
    assert second.get_data() == first.get_data()
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Content-Security-Policy"]  # every other hook still ran
    assert fetch(client, **{"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_the_page_cache_never_serves_an_old_state(app, client, make_page):
    make_page("Home", "See [[Elsewhere]].")
    fetch(client)
    make_page("Elsewhere", "Here.")  # same revision of Home, re-rendered
    assert 'href="/wiki/Elsewhere"' in fetch(client).get_data(as_text=True)
    make_page("Home", "Changed.")
    assert "Changed." in fetch(client).get_data(as_text=True)


def test_the_page_cache_is_for_anonymous_readers_only(app, client, make_page, make_user, login):
    make_page("Home", "Hello")
    fetch(client)
    login(make_user("alice"))
    html = settled(client).get_data(as_text=True)
    assert "alice" in html and "Log out" in html
    assert len(cached_entries(app)) == 1


def test_the_page_cache_keeps_no_flashed_message(app, client, make_page, make_user, login):
    make_page("Home", "Hello")
    login(make_user("alice"))
    post_form(client, "/-/logout", {}, form_url="/wiki/Home")
    assert "You are logged out" in fetch(client).get_data(as_text=True)
    assert "You are logged out" not in fetch(client).get_data(as_text=True)
    assert all(b"logged out" not in body for body, _type in cached_entries(app).values())


def test_the_page_cache_leaves_redirects_to_the_view(app, client, make_page):
    make_page("Home", "Hello")
    fetch(client)
    assert client.get("/wiki/home").status_code == 301
    make_page("Old", "#REDIRECT [[Home]]")
    assert client.get("/wiki/Old").status_code == 302
    assert client.get("/wiki/Home?redirected_from=Old").status_code == 200


def test_the_page_cache_is_bounded(app, client, make_page):
    from wiki.web.caching import EXTENSION

    cache = app.extensions[EXTENSION].pages
    make_page("Page 0", "text " * 10)
    cache.limit = 5 * len(fetch(client, "/wiki/Page_0").get_data())
    for n in range(12):
        make_page(f"Page {n}", "text " * 10)
        fetch(client, f"/wiki/Page_{n}")
    assert cache.size <= cache.limit
    assert 0 < len(cache.entries) < 12


def test_the_page_cache_never_keeps_a_page_with_a_csrf_token(app, client, make_page, monkeypatch):
    """Should an anonymous page ever carry a form, its token is the session's own."""
    make_page("Home", "Hello")
    client.get("/-/login")  # the session now holds a CSRF token
    from flask_wtf.csrf import generate_csrf

    def can_edit_with_a_form(*_args):
        generate_csrf()  # as a form rendered for anonymous visitors would
        return False

    monkeypatch.setitem(app.jinja_env.globals, "can_edit", can_edit_with_a_form)
    assert fetch(client).status_code == 200
    assert len(cached_entries(app)) == 0


class FlaskCalls:
    """Counts the requests that reach Flask behind wiki.web.caching.FastPageViews."""

    def __init__(self, app):
        from wiki.web.caching import FastPageViews

        layer = app.wsgi_app
        while not isinstance(layer, FastPageViews):
            layer = getattr(layer, "wsgi_app", None) or layer.app  # request log, ProxyFix
        self.fast, self.inner, self.count = layer, layer.wsgi_app, 0
        layer.wsgi_app = self

    def __call__(self, environ, start_response):
        self.count += 1
        return self.inner(environ, start_response)


def headers_of(response):
    return sorted(response.headers.items())


def test_cookieless_views_are_answered_before_flask_with_the_same_bytes_and_headers(app, make_page):
    make_page("Home", "Hello [[Elsewhere]]")
    calls = FlaskCalls(app)
    rendered = app.test_client(use_cookies=False).get("/wiki/Home")  # the view renders and keeps it
    assert calls.count == 1
    cached = app.test_client(use_cookies=False).get("/wiki/Home")
    assert calls.count == 1  # answered in front of Flask
    assert cached.status_code == 200 and cached.get_data() == rendered.get_data()
    assert headers_of(cached) == headers_of(rendered)
    head = app.test_client(use_cookies=False).head("/wiki/Home")
    assert calls.count == 1 and head.get_data() == b"" and headers_of(head) == headers_of(rendered)

    # 304: the same headers as the app's own 304 (given to a visitor with a session cookie).
    etag = rendered.headers["ETag"]
    fast_304 = app.test_client(use_cookies=False).get("/wiki/Home", headers={"If-None-Match": etag})
    assert calls.count == 1 and fast_304.status_code == 304 and fast_304.get_data() == b""
    with_session = app.test_client()
    with_session.get("/-/login")  # a session cookie (its CSRF token): Flask answers
    before = calls.count
    app_304 = with_session.get("/wiki/Home", headers={"If-None-Match": etag})
    assert calls.count == before + 1 and app_304.status_code == 304
    # (the app's answer also refreshes that visitor's own session cookie)
    assert headers_of(fast_304) == [h for h in headers_of(app_304) if h[0] != "Set-Cookie"]


def test_the_fast_door_serves_only_what_the_view_would_serve(app, make_page, make_user):
    make_page("Home", "Hello")
    client = app.test_client(use_cookies=False)
    client.get("/wiki/Home")
    calls = FlaskCalls(app)
    assert client.get("/wiki/home").status_code == 301  # another spelling: the view redirects
    assert client.get("/wiki/Home?x=1").status_code == 200  # a query string: the view
    assert client.get("/wiki/Home/-/history").status_code == 200  # another endpoint
    assert client.get("/wiki/Home", headers={"If-Modified-Since": "Thu, 01 Jan 2099 00:00:00 GMT"}).status_code == 304
    assert calls.count == 4
    admin = make_user("admin", role="admin")
    with app.app_context():
        moves.delete_page(page_service.find_page("Home"), admin)
    assert client.get("/wiki/Home").status_code == 404  # the stored entry is never served again
    assert calls.count == 5


@pytest.mark.parametrize("app_config", [{"ANONYMOUS_ACCESS": "none"}])
def test_the_fast_door_is_shut_when_visitors_may_not_read(app, make_page, app_config):
    make_page("Home", "Hello")
    client = app.test_client(use_cookies=False)
    with app.test_request_context():
        from wiki.web.caching import EXTENSION
    calls = FlaskCalls(app)
    assert client.get("/wiki/Home").status_code == 302  # to the login form
    app.config["ANONYMOUS_ACCESS"] = "read"
    assert client.get("/wiki/Home").status_code == 200
    assert client.get("/wiki/Home").status_code == 200
    assert calls.count == 2  # the first readable view is rendered, the next one comes from the cache
    app.config["ANONYMOUS_ACCESS"] = "none"
    assert client.get("/wiki/Home").status_code == 302
    assert len(app.extensions[EXTENSION].pages.entries) == 1


def test_a_page_views_title_is_read_off_the_path_as_the_url_map_would_give_it(app):
    # caching.view_title skips the URL map's matcher for paths under /wiki/ without "/-/",
    # on the promise that only the page view's rule has such paths: checked here.
    from werkzeug.test import EnvironBuilder

    from wiki.web.caching import view_title

    assert [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/wiki") and "/-/" not in r.rule] \
        == ["/wiki/<path:title>"]
    for path in ("/wiki/Home", "/wiki/guides/Caching_basics", "/wiki/Caf%C3%A9/Cr%C3%A8me", "/wiki/a/",
                 "/wiki/Guide/-/history", "/wiki/", "/-/recent", "/wiki/x%2Fy"):
        environ = EnvironBuilder(path=path).get_environ()
        try:
            endpoint, args = app.url_map.bind_to_environ(environ).match()
            expected = args.get("title") if endpoint == "pages.view" else None
        except Exception:  # noqa: BLE001 - a 404 or a redirect of the matcher: no page view
            expected = None
        assert view_title(app, environ) == expected, path
