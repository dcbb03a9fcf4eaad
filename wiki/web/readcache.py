"""Cookie-less anonymous reads of history, diffs, old revisions, blame, recent changes and
search results, answered in front of Flask from the views' own stored answers (issue 21).

The same idea as ``wiki.web.caching.FastPageViews`` for page views, for the pages readers and
crawlers reach from a page: each answer is a function of its URL and of a little database
state, so a narrow query gives that state, a hash of it (with the URL and the application
version) is the answer's key and ETag, and the answer the view itself rendered for that key
is kept in an LRU of its own (half of ``PAGE_CACHE_BYTES``, beside the page views' one, so
a crawler walking every diff cannot push page views out) and served again: no request
context, session, hooks, ORM objects or template.

What each key covers (everything the bytes depend on for an anonymous visitor):

* a page's history, diff and blame: the page (id, title, protection, current revision and
  when it was saved) and whether its parents exist (breadcrumbs). A page's revisions are
  numbered without gaps and never change or go away, and users are never renamed or
  deleted, so the rows of a history page, both sides of a diff and the blame of the current
  revision follow from those; any save, rename, delete or protection change gives a new key.
* an old revision: the same, plus the revision's id, stored HTML and table of contents (an
  old revision's links can be rendered again): exactly the validator ``caching.not_modified``
  gives it in the app, so the door's ETag and the app's are one.
* recent changes: the rows shown (revisions of live pages with their page's title and
  current revision, and page events), read as ids by one narrow query per kind. Only the plain
  listing and its ``?page=N`` (N ≤ 20) are served here; filtered listings go to the app.
* search results: the query string as sent (up to 600 bytes) and the search generation
  (wiki.services.search.generation), a counter that every commit changing what search shows
  adds one to: any save, rename, delete, restore, import, re-render or comment anywhere
  gives every search a new key, so a repeated search is served only until the next change.

An answer is kept only when the view answered 200 for the state its key was computed from:
for an old revision the view's own validator must equal the key; for the others the state is
read again after the view and must be unchanged. Anything else (a cookie, a query string of
another shape, an access rule that refuses anonymous reading, an untrusted host, any error)
goes on to the app, which answers as it always did. The headers of a served answer come
from the same constants the app's hooks use (tests/http/test_readcache.py compares both).
"""
import re

from flask import Flask, current_app, g, request
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased
from werkzeug.exceptions import HTTPException
from werkzeug.http import http_date, parse_cookie, parse_etags, remove_entity_headers
from werkzeug.routing import RequestRedirect

from wiki.core.titles import InvalidTitle, canonical_key, title_to_url_path
from wiki.extensions import db
from wiki.models import Page, PageEvent, Revision, User
from wiki.services import links, search
from wiki.services.availability import unavailable
from wiki.web import access, caching, hosts, outages
from wiki.web.common import SECURITY_HEADERS

ENDPOINTS = frozenset({"history.history", "history.diff", "history.revision", "history.blame", "changes.recent",
                       "search.search"})
EXTENSION = "nexus.readcache"
ENVIRON_KEY = "nexus.readcache"  # (endpoint, key, Last-Modified or None) of a request the door sent on
RECENT_PAGE_SIZE = 50  # changes.recent lists HISTORY_PAGE_SIZE rows: checked against the config
MAX_RECENT_PAGE = 20
_RECENT_QUERY = re.compile(r"(?:page=([1-9][0-9]?))?")
MAX_SEARCH_QUERY = 600  # bytes of a search's query string the door keys on (longer: the app answers)


def register(app: Flask) -> None:
    """Answer cookie-less reads of these views in front of Flask; in the app, give the answers
    the door computed a key for their validators, and keep them."""
    app.extensions[EXTENSION] = caching.PageCache(int(app.config["PAGE_CACHE_BYTES"]) // 2)
    app.before_request(_before)
    app.after_request(_after)
    app.wsgi_app = ReadPages(app, app.wsgi_app)


# The newest page event of the page ("Mark verified", a delete, a restore): history lists them.
_LAST_EVENT = select(func.max(PageEvent.id)).where(PageEvent.page_id == Page.id).scalar_subquery()
_PAGE_STATE = (
    select(Page.id, Page.title, Page.protection, Page.current_revision_id, Revision.created_at,
           _LAST_EVENT.label("last_event"))
    .join(Revision, Revision.id == Page.current_revision_id)
    .where(Page.title_key == bindparam("key"), Page.deleted.is_(False))
)
_OLD = aliased(Revision)
# An old revision's view: the page's state and that revision in one statement (one round trip
# to PostgreSQL, which matters on a loaded machine: bench/RESULTS.md).
_PAGE_AND_REVISION = (
    _PAGE_STATE.add_columns(_OLD.id.label("old_id"), _OLD.number.label("old_number"), _OLD.html, _OLD.toc,
                            _OLD.created_at.label("old_created_at"), User.username)
    .outerjoin(_OLD, (_OLD.page_id == Page.id) & (_OLD.number == bindparam("number")))
    .outerjoin(User, User.id == _OLD.author_id)
)
_RECENT_REVISIONS = (
    select(Revision.id, Page.current_revision_id, Page.title)  # a revision's time never changes
    # Outer: for an inner join SQLite builds a Bloom filter over every page first (16 ms at
    # 100,000 pages; wiki.services.changes.recent_changes); the WHERE keeps it an inner join.
    .outerjoin(Page, Page.id == Revision.page_id)
    .where(Page.deleted.is_(False))
    .order_by(Revision.created_at.desc(), Revision.id.desc())
    .limit(bindparam("upto"))
)
_RECENT_EVENTS = (
    select(PageEvent.id).order_by(PageEvent.created_at.desc(), PageEvent.id.desc()).limit(bindparam("upto"))
)


def _connect(engine):
    # One or two statements need no transaction (see caching._anonymous_view_state).
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection


def state(engine, versions, endpoint: str, args: dict, query: str) -> tuple[str, object] | None:
    """(key, Last-Modified or None) of an anonymous visitor's answer to this request, or None
    when the door does not serve it (the app answers: a redirect, a 404, a filtered list)."""
    if endpoint == "search.search":
        if len(query) > MAX_SEARCH_QUERY:
            return None
        with _connect(engine) as connection:
            generation = search.generation(connection)
        if generation is None:
            return None
        return caching._digest("\x1f".join(("search", versions.app, query, str(generation))).encode()), None
    if endpoint == "changes.recent":
        match = _RECENT_QUERY.fullmatch(query)
        if match is None:
            return None
        number = int(match.group(1) or 1)
        if number > MAX_RECENT_PAGE:
            return None
        upto = number * RECENT_PAGE_SIZE + 1
        with _connect(engine) as connection:
            revisions = connection.execute(_RECENT_REVISIONS, {"upto": upto}).all()
            events = connection.execute(_RECENT_EVENTS, {"upto": upto}).scalars().all()
        rows = ";".join([f"{r[0]},{r[1]},{r[2]}" for r in revisions])
        return caching._digest("\x1f".join(("recent", versions.app, query, rows, ",".join(map(str, events))))
                               .encode()), None
    raw = args.get("title", "")
    try:
        key = canonical_key(raw)
    except InvalidTitle:
        return None
    revision = endpoint == "history.revision"
    if revision and (query or not 1 <= args.get("number", 0) <= 2**31 - 1):
        return None
    with _connect(engine) as connection:
        if revision:
            page = connection.execute(_PAGE_AND_REVISION, {"key": key, "number": args["number"]}).first()
        else:
            page = connection.execute(_PAGE_STATE, {"key": key}).first()
        if page is None or title_to_url_path(page.title) != raw or (revision and page.old_id is None):
            return None
        parents = caching._parents_state(links.parents(page.title, connection))
    if revision:  # the view's own validator (caching.not_modified)
        etag = caching._etag_for(versions.app, "revision", page.id, page.title, page.protection,
                                 page.current_revision_id, page.old_id, page.old_number, page.html, page.toc,
                                 page.username or "", "anonymous", parents)
        return etag, max(page.old_created_at, versions.built).replace(microsecond=0)
    parts = (endpoint, versions.app, page.id, page.title, page.protection, page.current_revision_id,
             page.created_at.isoformat(), page.last_event, parents, query)
    return caching._digest("\x1f".join(map(str, parts)).encode()), None


def _headers(key: str, modified) -> list[tuple[str, str]]:
    """The validators and headers the app's hooks give such an answer (see _after and caching)."""
    headers = [("ETag", f'W/"{key}"')]
    if modified is not None:
        headers.append(("Last-Modified", http_date(modified)))
    return [*headers, ("Cache-Control", caching.PAGE_CACHE_CONTROL), *SECURITY_HEADERS, ("Vary", "Cookie")]


class ReadPages:
    """WSGI middleware: a cookie-less GET or HEAD of one of ``ENDPOINTS`` answered from the
    page cache (or with 304) without entering Flask. Anything else goes on to the app."""

    def __init__(self, app: Flask, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.engine = None

    def __call__(self, environ, start_response):
        answer = None
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and "/-/" in path \
                and (path.startswith("/wiki/") or path == "/-/recent" or path == "/-/search"):
            try:
                answer = self._answer(environ)
            except Exception as error:  # noqa: BLE001 - the app answers (and reports) whatever went wrong
                answer = None
                environ.pop(ENVIRON_KEY, None)
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
        if not hosts.trusted(environ, config):
            return None  # Flask refuses it (TRUSTED_HOSTS), as it would behind this door
        if environ.get("HTTP_IF_MODIFIED_SINCE") and not environ.get("HTTP_IF_NONE_MATCH"):
            return None  # a date alone: the app decides (caching._unchanged_since)
        try:
            endpoint, args = app.url_map.bind_to_environ(environ, server_name=config["SERVER_NAME"]).match()
        except (HTTPException, RequestRedirect):
            return None
        if endpoint not in ENDPOINTS:
            return None
        if not access.decide(access.level_for(endpoint, "GET"), None, config["ANONYMOUS_ACCESS"]).allowed:
            return None
        if endpoint == "changes.recent" and config["HISTORY_PAGE_SIZE"] != RECENT_PAGE_SIZE:
            return None
        if self.engine is None:
            with app.app_context():
                self.engine = db.engine
        current: caching.Versions = app.extensions[caching.EXTENSION]
        found = state(self.engine, current, endpoint, args, environ.get("QUERY_STRING", ""))
        if found is None:
            return None
        key, modified = found
        environ[ENVIRON_KEY] = (endpoint, key, modified)  # if the app renders it: keep it (_after)
        entry = app.extensions[EXTENSION].get(key)
        if entry is None:
            return None
        body, content_type = entry
        headers = _headers(key, modified)
        if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains_weak(key):
            remove_entity_headers(headers)  # as Werkzeug does for the app's own 304s
            return "304 NOT MODIFIED", headers, b""
        return "200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body))), *headers], body


def _before():
    """In the app, for a request the door computed a key for: a matching If-None-Match is
    answered with 304 at once (an old revision's view does that itself: caching.not_modified)."""
    sent = request.environ.get(ENVIRON_KEY)
    if sent is None or request.endpoint != sent[0] or sent[0] == "history.revision":
        return None
    endpoint, key, _modified = sent
    if request.if_none_match and request.if_none_match.contains_weak(key):
        response = current_app.response_class(status=304)
        response.set_etag(key, weak=True)
        g.nexus_read_validated = True
        return response
    return None


def _after(response):
    sent = request.environ.get(ENVIRON_KEY)
    if sent is None or request.endpoint != sent[0]:
        return response
    endpoint, key, _modified = sent
    if g.pop("nexus_read_validated", False):
        response.headers["Cache-Control"] = caching.PAGE_CACHE_CONTROL
        return response
    if response.status_code != 200 or response.direct_passthrough or "Set-Cookie" in response.headers \
            or g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")) is not None:
        return response  # (a page carrying a CSRF token belongs to one session: never shared)
    current = caching.versions()
    if endpoint == "history.revision":  # the view's own validators, set by caching.not_modified
        validators = g.get("nexus_validators")
        if validators is not None and validators[0] == key:
            current_app.extensions[EXTENSION].put(key, response.get_data(), response.headers["Content-Type"])
        return response  # (caching._cache_headers adds them)
    try:
        again = state(db.engine, current, endpoint, request.view_args or {},
                      request.environ.get("QUERY_STRING", ""))
    except Exception as error:  # noqa: BLE001 - re-raised unless the database went away
        if unavailable(error) is None:
            raise
        # The database went away after the view rendered: the answer stands (it was whole),
        # but nothing can tell it is still current, so it is neither kept nor validated.
        return response
    if again is None or again[0] != key:
        return response  # something changed while the view rendered: no validator, nothing kept
    current_app.extensions[EXTENSION].put(key, response.get_data(), response.headers["Content-Type"])
    response.set_etag(key, weak=True)
    response.headers["Cache-Control"] = caching.PAGE_CACHE_CONTROL
    return response
