"""HTTP caching: validators and 304 answers for page views, cache headers for static files.

Page HTML differs per viewer (name, role, edit links, the CSRF token of the logout form,
flashed messages) and changes without a new revision when its links are rendered again
(a linked page was created or deleted). So a page's validator is a hash of everything its
bytes depend on: the revision, a hash of its stored HTML, the page's title, the viewer
(user id, role, name and a hash of the session's CSRF token), the application version
(a hash of the code, templates and static files, computed once at start-up) and, for the
page view, its discussion's version (comment counts change without a new revision) and its
review state (wiki.core.review.view_state: the "needs review" banner changes with time). A response
that carries a flashed message gets no validator and is never answered with 304.

The ETag is weak: a logged-in viewer's page embeds a freshly signed (timestamped) CSRF
token, so two equivalent responses need not be byte-identical.

Anonymous readers are the bulk of a wiki's traffic and all see the same bytes, so each
worker keeps the page views it rendered for them in a small LRU (``PAGE_CACHE_BYTES``),
keyed by that same validator. A request for a page then costs one narrow query (the
page's current state, which every server reads from the shared database, so a save on one
server is seen by all at their next request) and a dictionary look-up: no ORM objects and
no template. An entry is stored only when the view itself rendered exactly the state the
key was computed from, and only a stored entry is ever served (or answered with 304).

Two doors lead there. Visitors without any cookie of ours (most readers, and every crawler)
are answered by ``FastPageViews``, WSGI middleware in front of Flask: no request context,
session, or hooks, so the headers those would add are added by the middleware itself from
the same constants (tests/http/test_caching.py compares both answers header by header).
It serves only when anonymous visitors may read (``wiki.web.access.decide``, the same rule the
before-request check applies), only URLs the app's own URL map routes to ``pages.view``,
and falls through to Flask on anything else, including any error. Anonymous visitors who
do have a session cookie (a CSRF token, a flashed message) use the before-request hook
``_cached_page_view``, which runs after access control, if the session holds no user and
no message.

Static URLs made by ``url_for('static', ...)`` carry ``?v=<hash of the file>``; a request
with the current hash is cached for a year (``immutable``), any other for a few minutes.
"""
import hashlib
import os
import threading
from functools import lru_cache
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask, current_app, g, request, session
from flask_login import current_user
from sqlalchemy import bindparam, exists, func, or_, select
from sqlalchemy.orm import aliased
from werkzeug.exceptions import HTTPException
from werkzeug.http import http_date, parse_cookie, parse_etags, remove_entity_headers
from werkzeug.routing import RequestRedirect

from wiki.web import access, fragments, hosts, outages
from wiki.services.availability import unavailable
from wiki.extensions import db
from wiki.models import DiscussionState, LearningPath, Page, PageReview, PathStep, Revision, User, utcnow
from wiki.core.review import view_state
from wiki.core.titles import InvalidTitle, canonical_key, title_to_url_path
from wiki.web.common import SECURITY_HEADERS, breadcrumb_parents
from wiki.services import links

IMMUTABLE = "public, max-age=31536000, immutable"
STATIC_SHORT = "public, max-age=300"
PAGE_CACHE_CONTROL = "private, no-cache"
EXTENSION = "nexus.caching"


class PageCache:
    """A byte-bounded LRU of rendered page views, per process. Keys hold content hashes, so
    an entry is never stale: a changed page simply gets a new key."""

    def __init__(self, limit: int):
        self.limit, self.size = limit, 0
        self.entries: OrderedDict[tuple, tuple[bytes, str]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, key, body: bytes, content_type: str) -> None:
        if len(body) > self.limit // 4:
            return  # one huge page would push out all the others
        with self.lock:
            if key in self.entries:
                return
            self.entries[key] = (body, content_type)
            self.size += len(body)
            while self.size > self.limit:
                _key, (old, _type) = self.entries.popitem(last=False)
                self.size -= len(old)


@dataclass(frozen=True)
class Versions:
    app: str  # hash of code, templates and static files: changes with every deployment
    built: datetime  # newest modification time among those files
    static: dict[str, str]  # static file path (as in url_for) -> hash of its content
    pages: PageCache


def register(app: Flask) -> None:
    """Compute the versions once, version static URLs, add cache headers to responses, and
    answer cookie-less page views from the page cache in front of Flask."""
    app.extensions[EXTENSION] = _versions(app)
    app.url_defaults(_static_version)
    app.before_request(_cached_page_view)
    app.after_request(_cache_headers)
    app.wsgi_app = FastPageViews(app, app.wsgi_app)


def _digest(data: bytes, size: int = 16) -> str:
    return hashlib.blake2b(data, digest_size=size).hexdigest()


def _files(folder: str | None):
    if not folder or not os.path.isdir(folder):
        return
    for root, _dirs, names in os.walk(folder):
        for name in names:
            yield Path(root) / name


def _versions(app: Flask) -> Versions:
    static, whole, newest = {}, hashlib.blake2b(digest_size=16), 0.0
    static_root = Path(app.static_folder) if app.static_folder else None
    for path in sorted(_files(app.static_folder)):
        content = path.read_bytes()
        static[path.relative_to(static_root).as_posix()] = _digest(content, 6)
    code_root = Path(__file__).resolve().parents[1]  # the whole wiki package
    for path in sorted([*_files(app.template_folder), *_files(app.static_folder), *code_root.rglob("*.py")]):
        whole.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
        newest = max(newest, path.stat().st_mtime)
    whole.update(str(app.config.get("SITE_NAME")).encode())
    built = datetime.fromtimestamp(int(newest), timezone.utc)
    limit = int(app.config["PAGE_CACHE_BYTES"])
    return Versions(app=whole.hexdigest(), built=built, static=static, pages=PageCache(limit))


def versions() -> Versions:
    return current_app.extensions[EXTENSION]


def _static_version(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "v" not in values:
        version = current_app.extensions[EXTENSION].static.get(values.get("filename", ""))
        if version:
            values["v"] = version


def _viewer(page=None) -> str:
    """Who is looking, as far as the page's bytes depend on it (for a logged-in user also
    their unread count, whether they watch the page and any other per-user fragment's state:
    wiki.web.fragments)."""
    if not current_user.is_authenticated:
        return "anonymous"
    token = session.get("csrf_token") or ""
    return (f"{current_user.get_id()}:{current_user.role}:{current_user.username}:{_digest(token.encode(), 8)}:"
            f"{fragments.viewer_state(page)}")


def not_modified(kind: str, page, revision, *extra):
    """A 304 response if the client's copy of this page view is current, else None.

    ``kind`` names the view ("view", "revision"); ``extra`` is anything else the view
    shows (e.g. the page it was redirected from). Call it just before rendering; the
    response then gets the validators from an after-request hook.
    """
    if request.method not in ("GET", "HEAD") or session.get("_flashes"):
        return None  # a flashed message is shown once: always render, never validate
    author = revision.author.username if revision.author_id is not None and revision.author else ""
    etag = _etag(kind, page.id, page.title, page.protection, page.current_revision_id, revision.id,
                  revision.number, revision.html, revision.toc, author, _viewer(page), *extra,
                  _parents_state(breadcrumb_parents(page.title)))
    modified = max(revision.created_at, versions().built).replace(microsecond=0)
    g.nexus_validators = (etag, modified)
    return _answer(etag, modified)


def _parents_state(parents) -> str:
    """Which of the page's parents exist: the breadcrumbs show it, so creating or deleting a
    parent changes the page view's validator (and cache key) too."""
    return "".join("1" if parent.exists else "0" for parent in parents)


def _etag(*parts) -> str:
    return _etag_for(versions().app, *parts)


def _etag_for(app_version, kind, page_id, title, protection, current_revision_id, revision_id, number, html, toc,
              author, viewer, *extra) -> str:
    parts = (kind, app_version, page_id, title, protection, current_revision_id, revision_id, number,
             _digest(html.encode()), _digest((toc or "").encode()), author, viewer, *extra)
    return _digest("\x1f".join(map(str, parts)).encode())


def _answer(etag: str, modified: datetime):
    """304 if the request's validators match, else None."""
    if request.if_none_match:
        fresh = request.if_none_match.contains_weak(etag)
    elif request.if_modified_since is not None:
        fresh = _unchanged_since(request.if_modified_since, modified)
    else:
        fresh = False
    return current_app.response_class(status=304) if fresh else None


# Issue 20: a page in a learning path (a step, or a path itself) shows what other pages hold
# (its neighbours, the path's summaries); its validator holds a digest of that, computed by
# the view (wiki.services.paths.viewer_path_state), so the cached doors leave it to the view.
IN_PATH = or_(
    exists().where(PathStep.target_page_id == Page.id),
    exists().where(LearningPath.page_id == Page.id),
)

_CURRENT_STATE = (
    select(Page.id, Page.title, Page.title_key, Page.protection, Page.current_revision_id, Revision.number,
           Revision.html, Revision.toc, Revision.created_at, User.username, DiscussionState.version.label("discussion"),
           PageReview.version.label("review_version"), PageReview.first_due_at)
    .join(Revision, Revision.id == Page.current_revision_id)
    .outerjoin(User, User.id == Revision.author_id)
    .outerjoin(DiscussionState, DiscussionState.page_id == Page.id)  # issue 16: comment counts on the page
    .outerjoin(PageReview, PageReview.page_id == Page.id)  # issue 20: the review banner, which changes with time
    .where(Page.title_key == bindparam("key"), Page.deleted.is_(False))
    .add_columns(IN_PATH.label("in_path"))
)


def _anonymous_view_state(engine, app_version: str, built: datetime, raw: str) -> tuple[str, datetime] | None:
    """(ETag, Last-Modified) of an anonymous view of the page at URL path ``raw``, or None
    when the view must answer (no such page, or a non-canonical spelling: it redirects)."""
    found = page_state(engine, raw)
    if found is None:
        return None
    row, parents = found
    return view_validators(app_version, built, row, parents, "anonymous")


def page_state(engine, raw: str, connection=None, statements=None, params=None):
    """(row of _CURRENT_STATE, parents' state) of the page at URL path ``raw``, or None when
    the view must answer (no such page, or a non-canonical spelling: it redirects).
    ``connection``: one already open (the request's session's), left open. ``statements``:
    another builder than ``_state_statement`` (depth -> statement) whose statement has more
    columns, with their ``params`` (wiki.web.frames reads the viewer with the page)."""
    try:
        key = canonical_key(raw)
    except InvalidTitle:
        return None
    if connection is not None:
        return _page_state(connection, key, raw, statements or _state_statement, params)
    # Not the ORM session: nothing to track or flush. One statement needs no transaction:
    # without one PostgreSQL is spared a BEGIN and a ROLLBACK, which halved the time of a
    # cached view above bare Flask (bench/view_scaling.py). SQLite reads outside a
    # transaction anyway, and switching its connection's mode back and forth costs more.
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
    with connection:
        return _page_state(connection, key, raw, statements or _state_statement, params)


MAX_STATE_DEPTH = 8  # parents read in the page's own statement; a deeper title reads them apart


@lru_cache(maxsize=MAX_STATE_DEPTH + 1)
def _state_statement(depth: int):
    """_CURRENT_STATE with a column per parent title ("a", "a/b" of "a/b/c"): whether a live
    page has it (the breadcrumbs show it). One statement, one round trip to PostgreSQL, for a
    nested page too: it was two (bench/RESULTS.md, 2026-12-01 evening)."""
    statement = _CURRENT_STATE
    for depth_index in range(depth):
        parent = aliased(Page)
        statement = statement.add_columns(
            exists().where(parent.title_key == bindparam(f"parent_{depth_index}"), parent.deleted.is_(False))
            .label(f"parent_{depth_index}"))
    return statement


def _page_state(connection, key: str, raw: str, statements, extra: dict | None):
    # The parents' keys come from the URL path: it is checked below to be the title's own
    # spelling (spaces as "_"), so its "/" parts are the title's parts, with the same keys.
    parts = raw.split("/")
    depth = len(parts) - 1
    if depth > MAX_STATE_DEPTH:
        row = connection.execute(statements(0), {"key": key, **(extra or {})}).first()
        parents = None
    else:
        params = {"key": key, **(extra or {})}
        for depth_index in range(depth):
            try:
                params[f"parent_{depth_index}"] = canonical_key("/".join(parts[:depth_index + 1]))
            except InvalidTitle:
                params[f"parent_{depth_index}"] = ""  # cannot be a page (no title has the empty key)
        row = connection.execute(statements(depth), params).first()
        parents = "".join("1" if row._mapping[f"parent_{i}"] else "0" for i in range(depth)) if row is not None else None
    # Issue 20: a page in a learning path is left to the view (its bytes depend on other pages).
    if row is None or title_to_url_path(row.title) != raw or row.in_path:
        return None
    if parents is None:
        parents = _parents_state(links.parents(row.title, connection))
    return row, parents


def view_validators(app_version: str, built: datetime, row, parents: str, viewer: str) -> tuple[str, datetime]:
    """(ETag, Last-Modified) of the page view of ``row`` (from page_state) for ``viewer``:
    the same as not_modified("view", ...) computes from the ORM objects (the view passes the
    discussion's version and the review banner's key: wiki.blueprints.pages.views.view)."""
    etag = _etag_for(app_version, "view", row.id, row.title, row.protection, row.current_revision_id,
                     row.current_revision_id, row.number, row.html, row.toc, row.username or "", viewer, None,
                     row.discussion or 0, _review_key(row.review_version, row.first_due_at), parents)
    return etag, max(row.created_at, built).replace(microsecond=0)


def _review_key(version: int | None, first_due: datetime | None) -> str:
    """The review banner's part of the validator, as wiki.services.review.view_key makes it:
    it changes when the page falls due (and once a day after), so no cached view hides it."""
    return "r0" if version is None else view_state(version, first_due, utcnow())


def _cached_page_view():
    """Before the view: answer an anonymous page view from the page cache, or with 304."""
    if request.endpoint != "pages.view" or request.method not in ("GET", "HEAD") or request.query_string:
        return None
    if "_user_id" in session or session.get("_flashes") or \
            current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        return None
    current = versions()
    state = _anonymous_view_state(db.engine, current.app, current.built, (request.view_args or {}).get("title", ""))
    if state is None:
        return None
    etag, modified = state
    entry = current.pages.get(etag)
    if entry is None:
        g.nexus_page_key = etag  # render it, and keep it if the view rendered this very state
        return None
    g.nexus_validators = (etag, modified)
    answer = _answer(etag, modified)
    if answer is not None:
        return answer
    body, content_type = entry
    return current_app.response_class(body, content_type=content_type)


def view_title(app: Flask, environ) -> str | None:
    """The title in a page view's URL path (``pages.view``), or None for any other request.

    A path under /wiki/ without a "/-/" segment can only be ``/wiki/<path:title>``: every other
    rule under /wiki/ has one (tests/web/test_caching.py checks the URL map), so the title is
    read off the path without the URL map's matcher, which was a quarter of the cost of a
    cached view (bench/RESULTS.md, 2026-12-01 evening). Any spelling the view would redirect
    finds no page state (the door compares it with the title's own URL), so it still reaches
    the app. With SERVER_NAME set the matcher decides, as it checks the host too."""
    path = environ.get("PATH_INFO", "")
    if app.config["SERVER_NAME"] is None and path.startswith("/wiki/") and "/-/" not in path:
        try:
            return path[6:].encode("latin-1").decode("utf-8") or None  # WSGI's str of the raw bytes
        except UnicodeError:
            return None
    try:
        endpoint, args = app.url_map.bind_to_environ(environ, server_name=app.config["SERVER_NAME"]).match()
    except (HTTPException, RequestRedirect):
        return None
    return args.get("title", "") if endpoint == "pages.view" else None


class FastPageViews:
    """WSGI middleware: a page view for a visitor without cookies, answered from the page
    cache (or with 304) without entering Flask. Anything else goes on to the app."""

    def __init__(self, app: Flask, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.engine = None

    def __call__(self, environ, start_response):
        answer = None
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and not environ.get("QUERY_STRING") \
                and environ.get("PATH_INFO", "").startswith("/wiki/"):
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

    def _answer(self, environ):
        app, config = self.app, self.app.config
        if "HTTP_COOKIE" in environ:
            cookies = parse_cookie(environ)
            if config["SESSION_COOKIE_NAME"] in cookies or config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies:
                return None
        if not access.decide(access.level_for("pages.view", "GET"), None, config["ANONYMOUS_ACCESS"]).allowed:
            return None
        if not hosts.trusted(environ, config):
            return None  # Flask refuses it (TRUSTED_HOSTS), as it would behind this door
        if environ.get("HTTP_IF_MODIFIED_SINCE") and not environ.get("HTTP_IF_NONE_MATCH"):
            return None  # a date alone needs a look at the whole wiki (_unchanged_since): the app decides
        raw = view_title(app, environ)
        if raw is None:
            return None
        if self.engine is None:
            with app.app_context():
                self.engine = db.engine
        current: Versions = app.extensions[EXTENSION]
        state = _anonymous_view_state(self.engine, current.app, current.built, raw)
        entry = current.pages.get(state[0]) if state is not None else None
        if entry is None:
            return None  # not rendered yet for this state: the view renders it (and keeps it)
        etag, modified = state
        body, content_type = entry
        headers = [("ETag", f'W/"{etag}"'), ("Last-Modified", http_date(modified)),
                   ("Cache-Control", PAGE_CACHE_CONTROL), *SECURITY_HEADERS, ("Vary", "Cookie")]
        if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains_weak(etag):
            remove_entity_headers(headers)  # as Werkzeug does for the app's own 304s
            return "304 NOT MODIFIED", headers, b""
        return "200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body))), *headers], body


def _unchanged_since(since: datetime, modified: datetime) -> bool:
    """If-Modified-Since alone (clients that keep no ETag): dates cannot say who is looking,
    nor when stored HTML was rendered again, so only an anonymous viewer is answered, and
    only if nothing at all was saved in the wiki since (a save elsewhere may have turned
    one of this page's links blue). Deleting or restoring a linked page records no time:
    such a change shows in the ETag, not here."""
    if current_user.is_authenticated or modified > since:
        return False
    newest = db.session.scalar(select(func.max(Revision.created_at)))
    return newest is None or newest.replace(microsecond=0) <= since


def _cache_headers(response):
    validators = g.pop("nexus_validators", None)
    page_key = g.pop("nexus_page_key", None)
    if (page_key is not None and validators is not None and validators[0] == page_key
            and response.status_code == 200 and not response.direct_passthrough
            and "Set-Cookie" not in response.headers
            and g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")) is None):
        # (a page carrying a CSRF token belongs to one session: never shared)
        versions().pages.put(page_key, response.get_data(), response.headers["Content-Type"])
    if validators is not None and response.status_code in (200, 304):
        etag, modified = validators
        response.set_etag(etag, weak=True)
        response.last_modified = modified
        response.headers["Cache-Control"] = PAGE_CACHE_CONTROL
    elif request.endpoint == "static" and response.status_code in (200, 304):
        filename = (request.view_args or {}).get("filename", "")
        version = request.args.get("v")
        current = versions().static.get(filename)
        response.headers["Cache-Control"] = IMMUTABLE if version and version == current else STATIC_SHORT
    elif response.mimetype == "text/html" and "Cache-Control" not in response.headers:
        # Any other page is per viewer too: a shared cache must not keep it.
        response.headers["Cache-Control"] = PAGE_CACHE_CONTROL
    return response
