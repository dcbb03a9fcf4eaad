"""When the database cannot be reached: the wiki's own 503 page, nothing typed lost, a short log.

``wiki.web.errors`` sends here every error that ``wiki.services.availability.unavailable``
names an outage, and ``Unconfirmed`` (a connection lost during a COMMIT). The answer:

- **503 with Retry-After** (``OUTAGE_RETRY_AFTER`` seconds), the wiki's layout around it, JSON
  for clients that ask for JSON;
- **rendered without a query**. The session is rolled back first, so nothing may touch the
  database again: the viewer is the snapshot ``wiki.web.common`` takes when it loads the
  user (``Viewer``), a page is only what the request had read of it when it looked it up
  (``seen_page``);
- **the user's input back**. A blueprint registers, with ``keeps_input(endpoint)``, how its
  form is shown again from the posted values (the editor with the text, the rename form
  with the new title ...); passwords are never sent back. Everything else gets
  ``errors/unavailable.html``;
- **the truth**: "nothing was saved" only when no COMMIT was attempted; "cannot tell" with a
  link to the page's history when the connection was lost during it.

The log says it in a few lines, per process (``OutageLog``): one line when the database
becomes unreachable (with the reason), the request lines of failed requests, each naming
the component (every write; reads beyond a burst of BURST at most one a second, saying how
many similar ones it stands for, so a flood of requests stays a screenful), and one line
when it is reachable again (a connection was checked out of the pool). No traceback: an
outage is not a bug.
"""
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from flask import Flask, current_app, flash, g, make_response, render_template, request
from markupsafe import escape
from sqlalchemy import event, exc, inspect

from wiki.core.titles import InvalidTitle, Title
from wiki.extensions import db
from wiki.services.availability import DATABASE, unavailable
from wiki.services.errors import Unconfirmed

logger = logging.getLogger("nexus.outage")

EXTENSION = "nexus.outages"
COMPONENT_KEY = "nexus.unavailable"  # WSGI environ: the component a failed request could not reach
ERROR_KEY = "nexus.unavailable.error"  # WSGI environ: an outage met before Flask (FastPageViews)
COMMITTED = "nexus_committed"  # session.info: this session committed something

# Request lines of failed requests: the first BURST of an outage one by one, then at most one
# a second, each saying how many similar ones it stands for.
BURST = 10
PER_SECOND = 1.0


@dataclass(frozen=True)
class Viewer:
    """Who is logged in, as read when the user was loaded: shown while the database is not."""
    id: int
    username: str
    role: str
    created_at: datetime | None
    session_id: str


class OfflineUser:
    """Stands in for ``current_user`` while the database is unreachable: no attribute of it
    can need a query."""
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, viewer: Viewer):
        self.id, self.username, self.role = viewer.id, viewer.username, viewer.role
        self.created_at, self._session_id = viewer.created_at, viewer.session_id

    def get_id(self) -> str:
        return self._session_id


@dataclass(frozen=True)
class PageSeen:
    """What the request had read of a page before the outage (nothing is read now)."""
    title: str
    protection: str = "none"
    source: str | None = None  # the current revision's text, if it was read


@dataclass(frozen=True)
class Problem:
    """What to tell the user. ``kind``: "unsaved" (nothing was committed), "unconfirmed" (the
    connection was lost during the COMMIT) or "saved" (committed before the outage)."""
    component: str
    kind: str
    message: str
    method: str

    @property
    def changed_nothing(self) -> bool:
        return self.kind == "unsaved"


Renderer = Callable[[Problem], object]
_RENDERERS: dict[str, Renderer] = {}


def keeps_input(endpoint: str):
    """Register how ``endpoint`` shows its form again with the values posted, without the
    database. The function returns what a view returns (its status becomes 503), or None
    for the plain outage page."""
    def register(function: Renderer) -> Renderer:
        _RENDERERS[endpoint] = function
        return function
    return register


def register(app: Flask) -> None:
    """Per-process outage state, the re-raise of outages met before Flask, the recovery
    signal (a connection checked out of the pool) and the commit marker."""
    state = OutageLog(app.config.get("LOG_FORMAT", "plain"))
    app.extensions[EXTENSION] = state
    retry = app.config["OUTAGE_RETRY_AFTER"]
    if isinstance(retry, bool) or not isinstance(retry, int) or retry < 1:
        raise ValueError(f"OUTAGE_RETRY_AFTER must be a number of seconds (1, 5 ...), not {retry!r}")
    app.before_request(_raise_outage_met_before)
    app.teardown_appcontext(_close_session)  # runs before Flask-SQLAlchemy's own (registered first)
    with app.app_context():
        engine = db.engine
    _ping_after_idle(engine, app.config["DATABASE_PING_AFTER_IDLE"])
    event.listen(engine, "checkout", lambda *_args: state.outages and state.reachable(DATABASE))
    if not event.contains(db.session, "after_commit", _note_commit):
        event.listen(db.session, "after_commit", _note_commit)


_CHECKED_IN = "nexus.checked_in"


def _ping_after_idle(engine, idle_seconds) -> None:
    """Test a pooled connection before use if it sat idle ``idle_seconds`` or more; a dead one
    is replaced by a new connection (DisconnectionError makes the pool try again), so an
    outage that ended while a connection idled costs no request. A fresh connection is not
    tested, and one used a moment ago either works or fails its request as it would have
    failed the test: that failure marks the whole pool invalid (SQLAlchemy), so no second
    request meets a connection from before the outage."""
    if isinstance(idle_seconds, bool) or not isinstance(idle_seconds, (int, float)) or idle_seconds < 0:
        raise ValueError(f"DATABASE_PING_AFTER_IDLE must be a number of seconds (0, 1, 2.5 ...), not {idle_seconds!r}")
    if getattr(engine.pool, "_pre_ping", False):
        return  # pool_pre_ping (SQLALCHEMY_ENGINE_OPTIONS) tests every checkout already

    def checked_in(_dbapi_connection, record) -> None:
        record.info[_CHECKED_IN] = time.monotonic()

    def checkout(dbapi_connection, record, _proxy) -> None:
        since = record.info.get(_CHECKED_IN)
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 - re-raised unless it says the connection is gone
            if unavailable(error) is None and not engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise
            raise exc.DisconnectionError(str(error)) from error

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checkout)


def state_of(app: Flask) -> "OutageLog | None":
    return app.extensions.get(EXTENSION)


def _note_commit(session) -> None:
    session.info[COMMITTED] = True


def _close_session(_error=None) -> None:
    """End the request's session without raising. Flask-SQLAlchemy's teardown rolls it back,
    and with the connection gone that raises after the answer was made: the server then
    replaces a good answer with its bare 500 and a traceback."""
    try:
        db.session.remove()
    except Exception as error:  # noqa: BLE001 - the answer is made; the connection is discarded
        db.session.registry.clear()  # not kept for a later context that might get the same id
        if unavailable(error) is None:
            logger.exception("Closing the database session failed")


def _raise_outage_met_before():
    """FastPageViews met the outage already: answer it at once instead of trying again."""
    error = request.environ.pop(ERROR_KEY, None)
    if error is not None:
        raise error


def remember_viewer(user) -> None:
    """Called when the session's user is loaded: keep what the outage page shows of them."""
    g.nexus_viewer = Viewer(user.id, user.username, user.role, user.created_at, user.get_id())


def note_failure(error: BaseException) -> str:
    """Count a request that could not reach a component (its log line names it); the name."""
    cause = error.__cause__ if isinstance(error, Unconfirmed) else error
    component = unavailable(cause) or DATABASE
    request.environ[COMPONENT_KEY] = component
    state = state_of(current_app)
    if state is not None:
        state.failed(component, _reason(cause))
    return component


def answer(error: BaseException):
    """The 503 answer for a request that met an outage (or a COMMIT that cannot be confirmed)."""
    unconfirmed = isinstance(error, Unconfirmed)
    committed = bool(db.session.info.get(COMMITTED))
    _go_offline()
    component = note_failure(error)
    state = state_of(current_app)
    kind = "unconfirmed" if unconfirmed else "saved" if committed else "unsaved"
    problem = Problem(component, kind, _message(component, kind, error), request.method)
    retry = str(current_app.config["OUTAGE_RETRY_AFTER"])
    try:
        response = make_response(_render(problem))
    except Exception:  # noqa: BLE001 - a page that cannot be shown now: the plain one
        if state is not None:
            state.render_failed()
        response = make_response(_plain_page(problem))
    response.status_code = 503
    response.headers["Retry-After"] = retry
    response.headers["Cache-Control"] = "no-store"
    return response


def _render(problem: Problem):
    if request.path.startswith("/api/"):  # the JSON API: a problem document (wiki.web.apiauth)
        from wiki.core.api.problems import MEDIA_TYPE, problem as problem_document

        return current_app.response_class(json.dumps(problem_document(503, problem.message)), mimetype=MEDIA_TYPE)
    if request.accept_mimetypes.best == "application/json" or request.path == "/healthz":
        return {"status": "error", "code": 503, "message": problem.message, "unavailable": problem.component}
    renderer = _RENDERERS.get(request.endpoint or "")
    if renderer is not None:
        rendered = renderer(problem)
        if rendered is not None:
            return rendered[0] if isinstance(rendered, tuple) else rendered
    title = (request.view_args or {}).get("title")
    return render_template("errors/unavailable.html", problem=problem, outage=True,
                           history_title=seen_page(title).title if title and problem.kind != "unsaved" else None,
                           retry=current_app.config["OUTAGE_RETRY_AFTER"],
                           refresh=problem.method in ("GET", "HEAD"))


def _message(component: str, kind: str, error: BaseException) -> str:
    if kind == "unconfirmed":
        return f"{error} Look at the page's history before trying again."
    if kind == "saved":
        return (f"Your change was saved, but the wiki lost its {component} before it could show the result. "
                "Look at the page's history to see it.")
    if request.method in ("GET", "HEAD"):
        return f"The wiki cannot reach its {component} right now. Nothing is lost: try again in a few seconds."
    return f"The wiki cannot reach its {component} right now, so nothing was changed."


def _go_offline() -> None:
    """Roll the session back and make the viewer a value that needs no query."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; the session is discarded anyway
        pass
    viewer = g.get("nexus_viewer")
    manager = current_app.login_manager
    manager._update_request_context_with_user(OfflineUser(viewer) if viewer is not None else None)


def remember_page(raw_title: str, title: Title, page) -> None:
    """Called when a request looks a page up (wiki.web.lookup.find): keep what a form shown
    during an outage needs of it. Read now, because a failed flush expires what was loaded."""
    seen = g.setdefault("nexus_pages_seen", {})
    if page is None:
        seen[raw_title] = None
        return
    loaded = inspect(page).dict  # what the look-up loaded; reading it never queries
    revision = loaded.get("current_revision")
    source = inspect(revision).dict.get("source") if revision is not None else None
    seen[raw_title] = PageSeen(loaded.get("title") or title.display, loaded.get("protection") or "none", source)


def seen_page(raw_title: str) -> PageSeen:
    """The page at URL title ``raw_title`` as the request had seen it, or just its title."""
    seen = g.get("nexus_pages_seen", {})
    if seen.get(raw_title) is not None:
        return seen[raw_title]
    try:
        return PageSeen(Title.parse(raw_title).display)
    except InvalidTitle:
        return PageSeen(raw_title)


def page_existed(raw_title: str) -> bool | None:
    """True/False when the request had looked the page up, None when it had not."""
    seen = g.get("nexus_pages_seen", {})
    if raw_title not in seen:
        return None
    return seen[raw_title] is not None


def flash_problem(problem: Problem, kept: str) -> None:
    """Flash the problem and what happened to the user's input (``kept``)."""
    flash(f"{problem.message} {kept}", "error")


def _reason(error: BaseException | None) -> str:
    """The first line of the driver's message: "connection refused", "server closed ..."."""
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines() if original is not None else []
    return (lines[0] if lines else type(original).__name__)[:300]


def _plain_page(problem: Problem) -> str:
    """A page needing nothing at all: no template, no URL building."""
    stylesheet = escape(request.script_root + (current_app.static_url_path or "/static") + "/css/nexus.css")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Unavailable · '
            f'{escape(current_app.config["SITE_NAME"])}</title><link rel="stylesheet" href="{stylesheet}"></head>'
            f'<body><main class="main"><section class="narrow error-page"><p class="status-code">503</p>'
            f'<h1>The wiki is unavailable for a moment</h1><p>{escape(problem.message)}</p>'
            f'<p><a href="{escape(request.script_root or "")}/">Go to the home page</a></p></section></main></body></html>')


@dataclass
class _Outage:
    started: float
    reason: str
    requests: int = 0  # answered 503 meanwhile
    tokens: float = BURST  # request lines that may be logged now
    refilled: float = 0.0
    similar: int = 0  # request lines not logged since the last one
    not_logged: int = 0


class OutageLog:
    """Per process: which component is unreachable since when, and the lines that say so."""

    def __init__(self, log_format: str = "plain"):
        self.log_format = log_format
        self.lock = threading.Lock()
        self.outages: dict[str, _Outage] = {}
        self.render_failures = 0

    def failed(self, component: str, reason: str) -> None:
        """A request could not reach ``component``."""
        with self.lock:
            outage = self.outages.get(component)
            if outage is None:
                now = time.monotonic()
                outage = self.outages[component] = _Outage(started=now, reason=reason, refilled=now)
                first = True
            else:
                first = False
            outage.requests += 1
        if first:
            self._emit(logging.ERROR, "unreachable", component,
                       f"{component} unreachable: {reason}; requests are answered 503 until it is back",
                       reason=reason)

    def request_line(self, component: str, method: str = "GET") -> int | None:
        """For the request logger: None to skip this failed request's line, else how many
        similar lines were skipped before it. A write (a save, a rename ...) is always logged:
        that is the line an operator looks for; floods are of reads."""
        if method not in ("GET", "HEAD"):
            return 0
        with self.lock:
            outage = self.outages.get(component)
            if outage is None:
                return 0
            now = time.monotonic()
            outage.tokens = min(BURST, outage.tokens + (now - outage.refilled) * PER_SECOND)
            outage.refilled = now
            if outage.tokens < 1:
                outage.similar += 1
                outage.not_logged += 1
                return None
            outage.tokens -= 1
            similar, outage.similar = outage.similar, 0
            return similar

    def reachable(self, component: str) -> None:
        """``component`` answered again (a connection was made or checked out)."""
        with self.lock:
            outage = self.outages.pop(component, None)
        if outage is None:
            return
        seconds = time.monotonic() - outage.started
        unlogged = f" ({outage.not_logged} of them not logged one by one)" if outage.not_logged else ""
        self._emit(logging.WARNING, "reachable", component,
                   f"{component} reachable again after {seconds:.1f} s; {outage.requests} request(s) were "
                   f"answered 503 meanwhile{unlogged}", seconds=round(seconds, 1), requests=outage.requests)

    def render_failed(self) -> None:
        """The outage page itself failed (a bug): said once per process, with the traceback."""
        with self.lock:
            self.render_failures += 1
            first = self.render_failures == 1
        if first:
            logger.exception("The outage page could not be rendered; answering with the plain one")

    def _emit(self, level: int, event_name: str, component: str, message: str, **fields) -> None:
        if self.log_format == "json":
            message = json.dumps({"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                                  "level": logging.getLevelName(level), "event": event_name,
                                  "component": component, **fields}, ensure_ascii=False)
        logger.log(level, message, extra={"log_format": self.log_format})
