"""Logged-in page views from a cached frame (issue 21, wiki.web.frames): each user gets their
own bytes (name, notification count, watch button, CSRF token, role), and every change to
those shows at the next request."""
import functools
import re

import pytest

from tests.conftest import CSRF_RE, PASSWORD, post_form
from wiki.extensions import db
from wiki.models import User
from wiki.services import admin as admin_service
from wiki.services import notifications, users, watching
from wiki.services import pages as page_service

TOKENS = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+(")')


class ViewCalls:
    """Counts the page views that reach the view function (the others came from a frame)."""

    def __init__(self, app):
        inner = app.view_functions["pages.view"]
        self.count = 0

        @functools.wraps(inner)
        def counted(**kwargs):
            self.count += 1
            return inner(**kwargs)

        app.view_functions["pages.view"] = counted


def frames_kept(app):
    from wiki.web.frames import EXTENSION

    return len(app.extensions[EXTENSION].entries)


def logged_in(app, user, password=PASSWORD):
    client = app.test_client()
    response = post_form(client, "/-/login", {"username": user.username, "password": password})
    assert response.status_code == 303
    client.get("/-/account")  # shows (and clears) the welcome message
    return client


def view(client, url="/wiki/Home"):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def without_tokens(text: str) -> str:
    return TOKENS.sub(r"\1TOKEN\2", text)


def test_two_users_of_one_role_share_a_frame_and_get_their_own_parts(app, make_page, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    make_page("Home", "Hello [[Elsewhere]]")
    with app.app_context():
        home = page_service.find_page("Home")
        watching.watch(db.session.get(User, bob.id), home)
        for _ in range(3):
            notifications.notify(bob.id, "edit", home.id, "Home", None)
        db.session.commit()
    alice_client, bob_client = logged_in(app, alice), logged_in(app, bob)
    calls = ViewCalls(app)
    first_alice, first_bob = view(alice_client), view(bob_client)
    assert calls.count == 1 and frames_kept(app) == 1  # bob's view came from alice's frame
    again_alice, again_bob = view(alice_client), view(bob_client)
    assert calls.count == 1
    for text in (first_alice, again_alice):
        assert '<span class="whoami">alice</span>' in text and "bob" not in text
        assert "☆ Watch" in text and "Unwatch" not in text
        assert 'aria-label="Notifications: 0 unread"' in text
    for text in (first_bob, again_bob):
        assert '<span class="whoami">bob</span>' in text and "alice" not in text
        assert "★ Unwatch" in text
        assert 'aria-label="Notifications: 3 unread"' in text and '<span class="count">3</span>' in text
    # Each page carries its own session's CSRF token: it works there, and only there.
    alice_token, bob_token = CSRF_RE.search(again_alice).group(1), CSRF_RE.search(again_bob).group(1)
    assert alice_token != bob_token
    assert "nexuscsrf" not in again_alice + again_bob and "nexus-fragment" not in again_alice + again_bob
    refused = alice_client.post("/wiki/Home/-/watch", data={"csrf_token": bob_token})
    assert refused.status_code == 400
    assert "☆ Watch" in view(alice_client)
    accepted = alice_client.post("/wiki/Home/-/watch", data={"csrf_token": alice_token})
    assert accepted.status_code in (302, 303)
    assert "★ Unwatch" in view(alice_client)  # with the flashed message: rendered by the view
    before = calls.count
    watched = view(alice_client)
    assert "★ Unwatch" in watched and calls.count == before  # the frame again, with the new state
    assert "★ Unwatch" in view(bob_client) and '<span class="whoami">bob</span>' in view(bob_client)


def test_the_frame_gives_the_bytes_and_headers_the_view_renders(app, make_page, make_user):
    editor = make_user("alice")
    make_page("Home", "Hello [[Elsewhere]]\n\n## A section\n\nText.")
    client = logged_in(app, editor)
    calls = ViewCalls(app)
    rendered = client.get("/wiki/Home")
    cached = client.get("/wiki/Home")
    assert calls.count == 1 and rendered.status_code == cached.status_code == 200
    assert without_tokens(cached.get_data(as_text=True)) == without_tokens(rendered.get_data(as_text=True))
    assert sorted(cached.headers.items()) == sorted(rendered.headers.items())
    assert "Set-Cookie" not in cached.headers
    head = client.head("/wiki/Home")
    assert calls.count == 1 and head.get_data() == b""
    assert sorted(head.headers.items()) == sorted(rendered.headers.items())
    not_modified = client.get("/wiki/Home", headers={"If-None-Match": rendered.headers["ETag"]})
    assert not_modified.status_code == 304 and calls.count == 1


def test_roles_get_frames_of_their_own_and_a_role_change_shows_at_once(app, make_page, make_user):
    alice, boss = make_user("alice"), make_user("boss", role="admin")
    make_page("Home", "Hello")
    client, boss_client = logged_in(app, alice), logged_in(app, boss)
    view(client)
    as_editor = view(client)
    assert 'href="/wiki/Home/-/edit"' in as_editor and "Protect this page" not in as_editor
    assert ">Admin</a>" not in as_editor
    as_admin = view(boss_client)
    view(boss_client)
    assert "Protect this page" in as_admin and ">Admin</a>" in as_admin
    assert frames_kept(app) == 2
    with app.app_context():
        admin_service.set_role(db.session.get(User, boss.id), db.session.get(User, alice.id), "reader")
    as_reader = view(client)
    assert 'href="/wiki/Home/-/edit"' not in as_reader and "Protect this page" not in as_reader
    assert '<span class="whoami">alice</span>' in as_reader
    with app.app_context():
        admin_service.set_role(db.session.get(User, boss.id), db.session.get(User, alice.id), "admin")
    view(client)
    now_admin = view(client)
    assert "Protect this page" in now_admin and ">Admin</a>" in now_admin


def test_logout_a_password_reset_and_a_new_notification_show_at_once(app, make_page, make_user):
    alice = make_user("alice")
    make_page("Home", "Hello")
    first, second = logged_in(app, alice), logged_in(app, alice)
    view(first)
    assert 'aria-label="Notifications: 0 unread"' in view(first)
    with app.app_context():
        notifications.notify(alice.id, "edit", page_service.find_page("Home").id, "Home", None)
        db.session.commit()
    assert 'aria-label="Notifications: 1 unread"' in view(first)
    assert 'aria-label="Notifications: 1 unread"' in view(second)
    assert first.post("/-/logout", data={"csrf_token": CSRF_RE.search(view(first)).group(1)}).status_code in (302, 303)
    logged_out = view(first)
    assert "whoami" not in logged_out and ">Log in</a>" in logged_out
    assert '<span class="whoami">alice</span>' in view(second)
    with app.app_context():  # a reset ends every session of the account
        users.set_password(db.session.get(User, alice.id), "another long password")
    ended = view(second)
    assert "whoami" not in ended and ">Log in</a>" in ended


def test_a_flashed_message_is_shown_once_and_never_kept_in_a_frame(app, make_page, make_user):
    alice = make_user("alice")
    make_page("Home", "Hello")
    client = logged_in(app, alice)
    saved = post_form(client, "/wiki/Home/-/edit", {"body": "Hello again", "summary": "", "base_revision": "1",
                                                     "section": ""})
    assert saved.status_code == 303
    with_message = view(client)
    assert "Saved revision 2." in with_message
    assert frames_kept(app) == 0
    assert "Saved revision 2." not in view(client)
    assert "Saved revision 2." not in view(client) and frames_kept(app) == 1


def test_a_frame_that_reads_the_user_outside_a_fragment_is_not_kept(app, make_page, make_user, monkeypatch):
    """A per-user bit added to the page's template without a fragment stays correct: that
    frame is the user's own, so it is rendered for every view and never shared."""
    alice, bob = make_user("alice"), make_user("bob")
    make_page("Home", "Hello")
    source, _, _ = app.jinja_loader.get_source(app.jinja_env, "pages/view.html")
    personal = source.replace("{% block content %}", "{% block content %}<p class=\"hello\">Hi {{ current_user.username }}</p>")
    monkeypatch.setattr(app.jinja_env, "loader", _Override(app.jinja_env.loader, {"pages/view.html": personal}))
    app.jinja_env.cache.clear()
    alice_client, bob_client = logged_in(app, alice), logged_in(app, bob)
    assert '<p class="hello">Hi alice</p>' in view(alice_client)
    assert '<p class="hello">Hi bob</p>' in view(bob_client)
    assert '<p class="hello">Hi alice</p>' in view(alice_client)
    assert frames_kept(app) == 0


class _Override:
    def __init__(self, loader, sources):
        self.loader, self.sources = loader, sources

    def get_source(self, environment, name):
        if name in self.sources:
            return self.sources[name], None, lambda: False
        return self.loader.get_source(environment, name)

    def load(self, environment, name, globals=None):
        from jinja2 import BaseLoader

        return BaseLoader.load(self, environment, name, globals)

    def list_templates(self):
        return self.loader.list_templates()


class FlaskCalls:
    """Counts the requests that reach Flask behind wiki.web.frames.MemberPageViews."""

    def __init__(self, app):
        from wiki.web.frames import MemberPageViews

        layer = app.wsgi_app
        while not isinstance(layer, MemberPageViews):
            layer = getattr(layer, "wsgi_app", None) or layer.app  # request log, ProxyFix
        self.door, self.inner, self.count = layer, layer.wsgi_app, 0
        layer.wsgi_app = self

    def __call__(self, environ, start_response):
        self.count += 1
        return self.inner(environ, start_response)


@pytest.mark.parametrize("title", ["Home", "Guides/Deep/Home"])
def test_the_door_in_front_of_flask_gives_the_bytes_and_headers_of_the_app(app, make_page, make_user, monkeypatch,
                                                                          title):
    # A nested page too: its parents' existence (the breadcrumbs) is read in the same statement.
    alice = make_user("alice")
    if "/" in title:
        make_page("Guides", "The guides")  # one parent exists, "Guides/Deep" does not
    make_page(title, "Hello [[Elsewhere]]")
    url = "/wiki/" + title
    client = logged_in(app, alice)
    calls = FlaskCalls(app)
    rendered = client.get(url)  # the view renders; the frame and fragments are kept
    assert calls.count == 1
    fast = client.get(url)
    assert calls.count == 1, "answered in front of Flask"
    head = client.head(url)
    fast_304 = client.get(url, headers={"If-None-Match": rendered.headers["ETag"]})
    assert calls.count == 1 and fast_304.status_code == 304 and fast_304.get_data() == b""
    monkeypatch.setattr(calls.door, "_answer", lambda environ: None)  # now the app's hook answers
    in_flask = client.get(url)
    in_flask_304 = client.get(url, headers={"If-None-Match": rendered.headers["ETag"]})
    assert calls.count == 3 and in_flask_304.status_code == 304
    for answer in (fast, in_flask):
        assert answer.status_code == 200
        assert without_tokens(answer.get_data(as_text=True)) == without_tokens(rendered.get_data(as_text=True))
        assert sorted(answer.headers.items()) == sorted(rendered.headers.items())
    assert head.get_data() == b"" and sorted(head.headers.items()) == sorted(rendered.headers.items())
    assert sorted(fast_304.headers.items()) == sorted(in_flask_304.headers.items())
    # The token in front of Flask is one the app accepts for this session.
    token = CSRF_RE.search(fast.get_data(as_text=True)).group(1)
    assert client.post(url + "/-/watch", data={"csrf_token": token}).status_code in (302, 303)


def test_the_door_in_front_of_flask_steps_aside_for_anything_unusual(app, make_page, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    make_page("Home", "Hello")
    client = logged_in(app, alice)
    client.get("/wiki/Home")
    calls = FlaskCalls(app)
    assert client.get("/wiki/Home").status_code == 200 and calls.count == 0
    # Another browser (User-Agent) with the same cookie: Flask-Login's session protection.
    other = client.get("/wiki/Home", headers={"User-Agent": "something else"})
    assert other.status_code == 200 and calls.count == 1
    # A forged cookie: the app, which sees no user.
    forged = app.test_client()
    forged.set_cookie("session", client.get_cookie("session").value[:-2] + "xx")
    assert ">Log in</a>" in view(forged) and calls.count == 2
    # A user whose fragments are not kept yet: the app renders them (once).
    bob_client = logged_in(app, bob)
    before = calls.count
    assert '<span class="whoami">bob</span>' in view(bob_client) and calls.count == before + 1
    assert '<span class="whoami">bob</span>' in view(bob_client) and calls.count == before + 1
    # A deactivated account is logged out at its next request.
    with app.app_context():
        _deactivate(alice.id)
    assert ">Log in</a>" in view(client)


def _deactivate(user_id):
    user = db.session.get(User, user_id)
    user.active = False
    db.session.commit()
