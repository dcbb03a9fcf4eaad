"""One log line per request on the ``nexus.request`` logger.

Plain text by default::

    GET /wiki/Home 200 3.1ms user=alice ip=127.0.0.1

or one JSON object per line with ``LOG_FORMAT = "json"``. The line carries the method,
the path and query string (values of password- or token-like parameters redacted; form
bodies are never logged), the status, the time taken, the user name ("-", or null in JSON,
for visitors) and the client address (the forwarded one when ``PROXY_FIX`` trusts a proxy).

The logging is WSGI middleware around the Flask app, so it sees every request: those
answered by another extension's before-request hook, and those whose exception escapes
Flask (logged as 500, then re-raised to the server). Successful static files and
``/healthz`` polls are logged at DEBUG only; 5xx answers at ERROR, everything else at INFO.

A request answered 503 because the database was unreachable says so at the end of its line
(``unavailable=database``). During an outage, beyond a burst, at most one such line of a
read is written a second, with the count of those it stands for (``similar=12``); every
write keeps its line: wiki.web.outages.
"""
import json
import logging
import re
import sys
import time
from datetime import datetime, timezone
from urllib.parse import unquote

from flask import Flask, g, request
from flask_login import current_user

from wiki.web import outages

logger = logging.getLogger("nexus.request")

FORMATS = ("plain", "json")
# Query parameters whose values are never written to the log.
SECRET_PARAMETERS = ("password", "passwd", "secret", "token", "csrf", "key", "session")
USER_KEY = "nexus.user"  # WSGI environ key the app fills in for the middleware


def register(app: Flask) -> None:
    """Wrap ``app.wsgi_app`` in the request logger; set up the logger if nobody else has."""
    log_format = app.config.get("LOG_FORMAT", "plain")
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    level = app.config.get("REQUEST_LOG_LEVEL", "INFO")
    if not isinstance(level, str) or not isinstance(logging.getLevelName(level.upper()), int):
        raise ValueError(f"REQUEST_LOG_LEVEL must be a logging level name such as INFO, not {level!r}")
    _configure_logger(logger, level.upper())
    _configure_logger(outages.logger, "INFO")  # the outage lines (wiki.web.outages), same handler
    app.after_request(_remember_user)
    app.teardown_request(_remember_loaded_user)
    app.wsgi_app = RequestLogMiddleware(app.wsgi_app, log_format, static_prefix=app.static_url_path + "/",
                                        outage_log=outages.state_of(app))


class RequestLogMiddleware:
    """Times each request and logs it once the app has answered (or raised)."""

    def __init__(self, wsgi_app, log_format: str, static_prefix: str, outage_log=None):
        self.wsgi_app = wsgi_app
        self.log_format = log_format
        self.static_prefix = static_prefix
        self.outage_log = outage_log

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        status = []

        def recording_start_response(status_line, headers, exc_info=None):
            status[:] = [status_line]
            return start_response(status_line, headers, exc_info)

        try:
            body = self.wsgi_app(environ, recording_start_response)
        except BaseException:
            self._log(environ, 500, started)
            raise
        try:
            code = int(status[0].split(None, 1)[0]) if status else 500
        except ValueError:
            code = 500
        self._log(environ, code, started)
        return body

    def _log(self, environ, status: int, started: float) -> None:
        try:
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            app_path = _wsgi_text(environ.get("PATH_INFO", ""))
            path = _wsgi_text(environ.get("SCRIPT_NAME", "")) + app_path
            if status >= 500:
                level = logging.ERROR
            elif app_path == "/healthz" or app_path.startswith(self.static_prefix):
                level = logging.DEBUG
            else:
                level = logging.INFO
            if not logger.isEnabledFor(level):
                return
            fields = {
                "method": environ.get("REQUEST_METHOD", "-"),
                "path": path,
                "query": redact_query(environ.get("QUERY_STRING", "")),
                "status": status,
                "duration_ms": duration_ms,
                "user": environ.get(USER_KEY),
                "ip": environ.get("REMOTE_ADDR"),
            }
            if (component := environ.get(outages.COMPONENT_KEY)) is not None:
                similar = (self.outage_log.request_line(component, fields["method"])
                           if self.outage_log is not None else 0)
                if similar is None:
                    return  # counted into the next line of this outage
                fields["unavailable"] = component
                if similar:
                    fields["similar"] = similar
            if self.log_format == "json":
                message = json.dumps(
                    {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                     "level": logging.getLevelName(level), **fields},
                    ensure_ascii=False,
                )
            else:
                message = format_plain(fields)
            logger.log(level, message, extra={"nexus_request": fields, "log_format": self.log_format})
        except Exception:  # logging must never turn an answered request into a failure
            logger.exception("Could not log a request")


def format_plain(fields: dict) -> str:
    """``GET /wiki/Home?x=1 200 3.1ms user=alice ip=127.0.0.1``, every value escaped."""
    target = fields["path"] + ("?" + fields["query"] if fields["query"] else "")
    line = (
        f"{_clean(fields['method'])} {_clean(target)} {fields['status']} {fields['duration_ms']}ms "
        f"user={_clean(fields['user'])} ip={_clean(fields['ip'])}"
    )
    if "unavailable" in fields:
        line += f" unavailable={_clean(fields['unavailable'])}"
        if fields.get("similar"):
            line += f" similar={fields['similar']}"
    return line


def redact_query(query: str) -> str:
    """The raw query string, with the values of secret-looking parameters replaced."""
    if not query:
        return ""
    parts = []
    for part in query.split("&"):
        name, sep, _value = part.partition("=")
        if sep and any(word in unquote(name).lower() for word in SECRET_PARAMETERS):
            part = name + "=[redacted]"
        parts.append(part)
    return _wsgi_text("&".join(parts))


def _wsgi_text(value: str) -> str:
    """WSGI strings carry the request's bytes as latin-1; paths are UTF-8 underneath."""
    if value.isascii():
        return value
    return value.encode("latin-1", "replace").decode("utf-8", "replace")


_PLAIN = re.compile(r"[!-$&-~]*")  # printable ASCII but space and '%': nothing to escape


def _clean(value) -> str:
    """A log-safe token: no spaces, no control characters (no forged lines), '%' escaped."""
    if value is None or value == "":
        return "-"
    value = str(value)
    if _PLAIN.fullmatch(value):
        return value
    out = []
    for char in value:
        if char == "%" or char.isspace() or not char.isprintable():
            out.append("".join(f"%{byte:02X}" for byte in char.encode("utf-8")))
        else:
            out.append(char)
    return "".join(out)


def _remember_user(response):
    """After a request: note who made it for the log line (loads the user if not yet;
    static files skip that, so they never cost a database query)."""
    if USER_KEY not in request.environ and request.endpoint != "static":
        try:
            if current_user.is_authenticated:
                request.environ[USER_KEY] = current_user.username
        except Exception:  # e.g. the database is down: the line says "-"
            pass
    return response


def _remember_loaded_user(_error=None) -> None:
    """When a request raised past the after-request hooks, use a user already loaded."""
    user = g.get("_login_user")  # where Flask-Login keeps the user it loaded
    try:
        if USER_KEY not in request.environ and user is not None and getattr(user, "is_authenticated", False):
            request.environ[USER_KEY] = getattr(user, "username", None)
    except Exception:  # noqa: BLE001 - e.g. an expired user and no database: the line says "-"
        pass


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def __init__(self):
        logging.Handler.__init__(self)

    @property
    def stream(self):
        return sys.stderr


class _Formatter(logging.Formatter):
    """JSON lines as they are; plain lines prefixed like gunicorn's own log."""

    def __init__(self):
        super().__init__("[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s", "%Y-%m-%d %H:%M:%S %z")

    def format(self, record):
        if getattr(record, "log_format", None) == "json":
            return record.getMessage()
        return super().format(record)


def _configure_logger(logger: logging.Logger, level: str) -> None:
    """Set the level of ``logger`` (``nexus.request``, ``nexus.outage``) and give it a stderr
    handler. A handler someone else put on it means logging is configured elsewhere
    (gunicorn's logconfig_dict, say): then that setup wins. With handlers on the root logger
    only, lines propagate there."""
    ours = [h for h in logger.handlers if isinstance(h, _StderrHandler)]
    if logger.handlers and not ours:
        return
    logger.setLevel(level)
    if not ours and not logging.getLogger().handlers:
        handler = _StderrHandler()
        handler.setFormatter(_Formatter())
        logger.addHandler(handler)
