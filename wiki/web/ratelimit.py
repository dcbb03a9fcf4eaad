"""Rate limits: failed logins per account and per IP, registrations per IP, saves and
previews per user.

Flask-Limiter owns the storage (``RATELIMIT_STORAGE_URI``: ``memory://`` in one process,
``redis://...`` shared by every worker and server) and the moving-window strategy. The
limits are checked by name from the views that need them, rather than by decorators,
because what counts differs: only *failed* logins count, and a refused save must come back
in the editor with the user's text, not as a bare error page.

A refused request raises ``RateLimited``; wiki.web.errors turns it into a 429 page with a
``Retry-After`` header, and the edit view catches it to keep the user's text.
"""
import math
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

# setting name -> what the visitor is told they did too often
LIMITS = {
    "LOGIN_FAILURES_PER_ACCOUNT": "failed logins for this account",
    "LOGIN_FAILURES_PER_IP": "failed logins from your network address",
    "REGISTRATIONS_PER_IP": "registrations from your network address",
    "SAVES_PER_USER": "saves",
    "PREVIEWS_PER_USER": "previews",
    "FILE_UPLOADS_PER_USER": "file uploads",
    "COMPLETIONS_PER_USER": "link completions",
    "PASSWORD_RESETS_PER_IP": "password reset requests from your network address",
    "PASSWORD_RESETS_PER_ACCOUNT": "password reset requests for this account",
    "API_REQUESTS": "API requests",
    "COMMENTS_PER_USER": "comments",  # issue 16: new threads, replies and edits of comments
}


class RateLimited(TooManyRequests):
    """429 with the seconds until the visitor may try again."""

    def __init__(self, what: str, retry_after: int):
        minutes = max(1, math.ceil(retry_after / 60))
        wait = f"{retry_after} seconds" if retry_after < 120 else f"{minutes} minutes"
        super().__init__(description=f"Too many {what}. Please wait {wait} and try again.")
        self.retry_after = retry_after


def register(app: Flask) -> None:
    """Create the app's limiter (no route limits of its own) and parse the limits once."""
    limiter = Limiter(get_remote_address, default_limits=[], application_limits=[])
    # Flask-Limiter's request hooks enforce decorator and default limits, of which Nexus has
    # none; registered, they cost ~40 us on every request, a tenth of a cached page view
    # (bench/perf.py). init_app skips registering them for a limiter the app already lists,
    # and still configures the storage and strategy used below.
    app.extensions.setdefault("limiter", set()).add(limiter)
    limiter.init_app(app)
    app.extensions["nexus_limits"] = {name: parse_many(app.config[name]) for name in LIMITS}
    app.extensions["nexus_limiter"] = limiter


def _limiter() -> Limiter:
    return current_app.extensions["nexus_limiter"]


def client_address() -> str:
    return request.remote_addr or "unknown"


def _keys(name: str, key: str) -> tuple[str, str, str]:
    return current_app.config["RATELIMIT_KEY_PREFIX"], name, key


def check(name: str, key: str) -> None:
    """Raise RateLimited when the limit ``name`` for ``key`` is used up (counts nothing)."""
    limiter = _limiter()
    if not limiter.enabled:
        return
    for item in current_app.extensions["nexus_limits"][name]:
        if not limiter.limiter.test(item, *_keys(name, key)):
            reset_at, _remaining = limiter.limiter.get_window_stats(item, *_keys(name, key))
            raise RateLimited(LIMITS[name], max(1, math.ceil(reset_at - time.time())))


def hit(name: str, key: str) -> None:
    """Count one event against the limit ``name`` for ``key``."""
    limiter = _limiter()
    if not limiter.enabled:
        return
    for item in current_app.extensions["nexus_limits"][name]:
        limiter.limiter.hit(item, *_keys(name, key))


def check_and_hit(name: str, key: str) -> None:
    """Refuse when used up, else count this event."""
    check(name, key)
    hit(name, key)
