"""Logged-in page views from a cached frame (issue 21).

A logged-in page view differs from user to user only in a few places: the header's name,
notification count and logout form, the watch button, the CSRF token of those forms. All
else depends on the page's state and on the viewer's role (edit links, the protection
button, the "New page" and breadcrumb links). So the view renders it in two parts:

- the *frame*: the whole page with a marker where each per-user fragment goes
  (wiki.web.fragments) and where the CSRF token goes. It is kept per process in a
  byte-bounded LRU (``PAGE_CACHE_BYTES``), keyed like the anonymous page cache by a hash of
  everything the page's bytes depend on, the viewer being only "frame:<role>";
- the *fragments*, rendered (and cached) per user and filled in for each request, and the
  session's CSRF token, signed for each request as Flask-WTF does.

The before-request hook ``_cached_member_view`` runs after access control and after
Flask-Login has loaded (and checked) the user, so a logged-out session, a deactivated
account, a password reset (the session token changes) or a role change take effect at the
next request, as for any other page. It answers from the frame when one is kept for the
page's current state (one narrow query, the same as the anonymous page cache's) and the
fragments' states (the notification count, the watch state: a query each); else the view
renders and keeps the frame, if it rendered exactly that state, without a flashed message,
and no template read the user beyond ``is_authenticated`` and ``role`` outside a fragment
(``_FrameUser``: such a frame would be personal, so it is not kept). Two doors lead to a kept frame. ``MemberPageViews``, WSGI middleware in front of Flask,
answers an ordinary request (a signed session cookie holding only a user, its fingerprint
and a CSRF token, from the address and browser it was made with) for a page whose frame and
fragments the app has kept, checking the account as ``wiki.web.common._load_user`` does;
the before-request hook answers everything else it can. Both give the same bytes and headers
(tests/web/test_frames.py): they assemble the same frame with the same fragments.
"""
import threading
from collections import OrderedDict, namedtuple
from functools import lru_cache
from hashlib import sha512
from hmac import compare_digest

from flask import Flask, current_app, g, render_template, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.http import http_date, parse_cookie, parse_etags, remove_entity_headers

from wiki.extensions import db
from wiki.services import viewers
from wiki.web import access, caching, fragments, hosts, inbox
from wiki.web.common import SECURITY_HEADERS
from wiki.web.requestlog import USER_KEY
from wiki.services.availability import unavailable
from wiki.web import outages
from wiki.web.outages import OfflineUser

EXTENSION = "nexus.frames"


class FrameCache:
    """A byte-bounded LRU of frames (tuples of text and fragment names), per process."""

    def __init__(self, limit: int):
        self.limit, self.size = limit, 0
        self.entries: OrderedDict[str, tuple[tuple[str, ...], int]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            self.entries.move_to_end(key)
            return entry[0]

    def put(self, key, parts: tuple[str, ...]) -> None:
        size = sum(len(part) for part in parts)
        if size > self.limit // 4:
            return
        with self.lock:
            if key in self.entries:
                return
            self.entries[key] = (parts, size)
            self.size += size
            while self.size > self.limit:
                _key, (_parts, old) = self.entries.popitem(last=False)
                self.size -= old


def register(app: Flask) -> None:
    """Keep frames, and answer logged-in page views from them (after access control)."""
    app.extensions[EXTENSION] = FrameCache(int(app.config["PAGE_CACHE_BYTES"]))
    app.before_request(_cached_member_view)
    app.wsgi_app = MemberPageViews(app, app.wsgi_app)


def frames() -> FrameCache:
    return current_app.extensions[EXTENSION]


def member() -> bool:
    """A logged-in user whose account was read from the database (not during an outage)."""
    return current_user.is_authenticated and not isinstance(current_user._get_current_object(), OfflineUser)


class _FrameUser:
    """``current_user`` as a frame's template sees it: logged in, with a role. Anything else
    is read from the user, and marks the frame as personal (then it is not kept)."""
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user):
        self._user, self.role, self.personal = user, user.role, False

    def __getattr__(self, name):
        self.personal = True
        return getattr(self._user, name)


def _cached_member_view():
    """Before the view: a logged-in page view from its frame, or a 304."""
    if request.endpoint != "pages.view" or request.method not in ("GET", "HEAD") or request.query_string:
        return None
    if session.get("_flashes") or not member():
        return None
    current = caching.versions()
    # The session's connection: Flask-Login's user look-up has opened it (on PostgreSQL a
    # transaction too), so the page's state costs no second connection.
    found = caching.page_state(db.engine, (request.view_args or {}).get("title", ""), db.session.connection())
    if found is None:
        return None
    row, parents = found
    page = fragments.PageRef(row.id, row.title, row.title_key, row.protection)
    inbox.prime(page)  # the count and the watch state in one query
    etag, modified = caching.view_validators(current.app, current.built, row, parents, caching._viewer(page))
    frame_key, _ = caching.view_validators(current.app, current.built, row, parents, f"frame:{access._role()}")
    parts = frames().get(frame_key)
    if parts is None:
        g.nexus_frame_key = (frame_key, etag)  # the view renders it, and keeps it if it is this state
        return None
    g.nexus_validators = (etag, modified)
    answer = caching._answer(etag, modified)
    if answer is not None:
        return answer
    return current_app.response_class(assemble(parts, page), mimetype="text/html")


def render(template: str, page, **context) -> str:
    """The page view for the logged-in user: its frame (kept when the hook asked for it and it
    is shared) with this user's fragments."""
    flashed = bool(session.get("_flashes"))
    viewer = _FrameUser(current_user._get_current_object())
    g.nexus_frame = True
    try:
        with fragments.marked_csrf():
            text = render_template(template, current_user=viewer, page=page, **context)
    finally:
        g.nexus_frame = False
    parts = tuple(fragments.MARKS.split(text))
    wanted = g.pop("nexus_frame_key", None)
    validators = g.get("nexus_validators")
    if (wanted is not None and not flashed and not viewer.personal and validators is not None
            and validators[0] == wanted[1]):
        frames().put(wanted[0], parts)
    return assemble(parts, page)


def assemble(parts: tuple[str, ...], page) -> str:
    """A frame's text with the current user's fragments and CSRF token."""
    out = list(parts)
    for index in range(1, len(out), 2):
        out[index] = fragments.html(out[index], page)
    return fragments.with_token("".join(out))


# The keys a logged-in session holds between requests (Flask-Login, Flask-WTF): any other
# (a flashed message, "_remember", "_permanent", ...) means something the app must handle.
_SESSION_KEYS = {"_user_id", "_fresh", "_id", "csrf_token"}
BUILT_IN_FRAGMENTS = ("account", "watch")


@lru_cache(maxsize=caching.MAX_STATE_DEPTH + 1)
def _member_statement(depth: int):
    """The page's state statement (caching._state_statement) with the viewer's columns."""
    return caching._state_statement(depth).add_columns(*viewers.page_view_columns())


_Account = namedtuple("_Account", "username role active session_token")


class MemberPageViews:
    """WSGI middleware: a logged-in page view answered from its frame without entering Flask,
    when everything about the request is ordinary. It checks what the app would check, in the
    same way: the session cookie's signature and age (Flask's own serializer), Flask-Login's
    session protection (the address and User-Agent the session was made with), the account
    (active, and the session token a password change or reset replaces), the access rule and
    the trusted hosts. It serves only when the frame and both built-in fragments are already
    kept (the app made them), and only the built-in fragments are registered (the state of any
    other needs the app). Anything else, or any error, goes on to the app."""

    def __init__(self, app: Flask, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.engine = self.serializer = self.csrf = None

    def __call__(self, environ, start_response):
        answer = None
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and not environ.get("QUERY_STRING") \
                and "HTTP_COOKIE" in environ and environ.get("PATH_INFO", "").startswith("/wiki/"):
            try:
                answer = self._answer(environ)
            except Exception as error:  # noqa: BLE001 - the app answers (and reports) whatever went wrong
                answer = None
                if unavailable(error) is not None:
                    environ[outages.ERROR_KEY] = error  # answered at once, not tried a second time
        if answer is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def _setup(self):
        app = self.app
        if type(app.session_interface) is not SecureCookieSessionInterface:
            return False
        with app.app_context():
            self.engine = db.engine
        self.serializer = app.session_interface.get_signing_serializer(app)
        self.csrf = URLSafeTimedSerializer(app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key,
                                           salt="wtf-csrf-token")
        return self.serializer is not None

    def _answer(self, environ):  # noqa: C901 - one check after another, each a reason to step aside
        app, config = self.app, self.app.config
        if "HTTP_AUTHORIZATION" in environ or tuple(fragments.FRAGMENTS) != BUILT_IN_FRAGMENTS:
            return None
        if self.serializer is None and not self._setup():
            return None
        cookies = parse_cookie(environ)
        value = cookies.get(config["SESSION_COOKIE_NAME"])
        if not value or config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies:
            return None
        try:
            data = self.serializer.loads(value, max_age=int(app.permanent_session_lifetime.total_seconds()))
        except BadSignature:
            return None
        if not isinstance(data, dict) or not set(data) <= _SESSION_KEYS or "csrf_token" not in data \
                or not isinstance(data.get("_user_id"), str) or not isinstance(data["csrf_token"], str):
            return None
        mode = config.get("SESSION_PROTECTION", app.login_manager.session_protection)
        if mode in ("basic", "strong"):  # as flask_login.utils._create_identifier
            agent = environ.get("HTTP_USER_AGENT")
            agent = agent.encode("utf-8") if agent is not None else None
            address = environ.get("HTTP_X_FORWARDED_FOR", environ.get("REMOTE_ADDR"))
            address = address.encode("utf-8").split(b",")[0].strip() if address is not None else None
            if sha512(f"{address}|{agent}".encode("utf8")).hexdigest() != data.get("_id"):
                return None
        if not hosts.trusted(environ, config):
            return None
        raw = caching.view_title(app, environ)
        if raw is None:
            return None
        session_id = data["_user_id"]
        user_id, _, token = session_id.partition(":")
        if not user_id.isdigit():
            return None
        current: caching.Versions = app.extensions[caching.EXTENSION]
        # One statement: the page's state, its parents, the account and the header's state.
        found = caching.page_state(self.engine, raw, statements=_member_statement, params={"viewer": int(user_id)})
        if found is None:
            return None
        row, parents = found
        account = _Account(row.viewer_username, row.viewer_role, row.viewer_active, row.viewer_session_token)
        if account.username is None or not account.active or not compare_digest(account.session_token or "", token):
            return None
        if not access.decide(access.level_for("pages.view", "GET"), account.role, config["ANONYMOUS_ACCESS"]).allowed:
            return None
        page = fragments.PageRef(row.id, row.title, row.title_key, row.protection)
        unread, watching = int(row.viewer_unread or 0), bool(row.viewer_watching)
        frame_key, _ = caching.view_validators(current.app, current.built, row, parents, f"frame:{account.role}")
        parts = app.extensions[EXTENSION].get(frame_key)
        if parts is None:
            return None
        pieces = {}
        for name, state in (("account", unread), ("watch", watching)):
            pieces[name] = fragments.cached(name, session_id, account.username, account.role, page, state)
            if pieces[name] is None:
                return None
        raw_token = data["csrf_token"]
        viewer = (f"{session_id}:{account.role}:{account.username}:"
                  f"{caching._digest(raw_token.encode(), 8)}:{unread}:{int(watching)}")
        etag, modified = caching.view_validators(current.app, current.built, row, parents, viewer)
        environ[USER_KEY] = account.username  # for the request log, as wiki.web.common._load_user does
        headers = [("ETag", f'W/"{etag}"'), ("Last-Modified", http_date(modified)),
                   ("Cache-Control", caching.PAGE_CACHE_CONTROL), *SECURITY_HEADERS, ("Vary", "Cookie")]
        if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains_weak(etag):
            remove_entity_headers(headers)
            return "304 NOT MODIFIED", headers, b""
        out = list(parts)
        for index in range(1, len(out), 2):
            out[index] = pieces[out[index]]
        body = "".join(out)
        if fragments.CSRF_MARK in body:
            body = body.replace(fragments.CSRF_MARK, self.csrf.dumps(raw_token))
        body = body.encode("utf-8")
        return "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
                          *headers], body
