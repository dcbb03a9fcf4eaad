"""/healthz: is the database answering, and is its schema at the migrations' head?

A load balancer or monitor polls this, so it stays cheap: the migration scripts are read
once per process (they cannot change while it runs), and each request costs one
connection check-out and one ``SELECT`` from ``alembic_version``.
"""
import logging
from contextvars import ContextVar
from functools import lru_cache

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app
from sqlalchemy.exc import SQLAlchemyError

from wiki.extensions import db
from wiki.services.availability import unavailable
from wiki.web import outages

bp = Blueprint("health", __name__)

# MigrationContext announces itself at INFO ("Context impl ...") each time it is made: from
# a poll every few seconds that is noise, so it is muted while a health check runs.
_checking = ContextVar("nexus_health_checking", default=False)


class _MuteDuringCheck(logging.Filter):
    def filter(self, record) -> bool:
        return not _checking.get()


logging.getLogger("alembic.runtime.migration").addFilter(_MuteDuringCheck())


@lru_cache(maxsize=None)
def migration_heads(directory: str) -> tuple[frozenset[str], frozenset[str]]:
    """The head revision(s) of the migrations in ``directory``, and every revision it knows."""
    script = ScriptDirectory(directory)
    return frozenset(script.get_heads()), frozenset(rev.revision for rev in script.walk_revisions())


def _revisions(revisions) -> str | None:
    return ",".join(sorted(revisions)) or None


@bp.get("/healthz")
def healthz():
    """200 when the database answers and is fully migrated; otherwise 503 naming the failed check."""
    heads, known = migration_heads(current_app.extensions["migrate"].directory)
    head = _revisions(heads)
    token = _checking.set(True)
    try:
        with db.engine.connect() as conn:
            current = frozenset(MigrationContext.configure(conn).get_current_heads())
    except SQLAlchemyError as error:
        # The reason goes to the operator's log; the response names only the failed check.
        # An outage is logged once for all requests (wiki.web.outages), not at every poll.
        if unavailable(error) is not None:
            outages.note_failure(error)
        else:
            reason = str(getattr(error, "orig", None) or error.__class__.__name__).strip().splitlines()
            current_app.logger.warning("Health check: database unreachable: %s", reason[0] if reason else "")
        body, status, headers = _answer({"status": "error", "database": "unreachable"}, 503)
        return body, status, {**headers, "Retry-After": str(current_app.config["OUTAGE_RETRY_AFTER"])}
    finally:
        _checking.reset(token)
    if current == heads:
        body = {"status": "ok", "database": "ok", "migrations": "current", "revision": head,
                "jobs": _jobs()}
        if body["jobs"]["broker"] != "ok":
            body["status"] = "degraded"  # saves still succeed; their fan-out waits in the database
        return _answer(body, 200)
    # "pending": `flask db upgrade` has yet to run. "unknown": the database was migrated
    # by a newer release than this code (a rollback?), and upgrading cannot fix it.
    state = "pending" if current <= known else "unknown"
    return _answer(
        {"status": "error", "database": "ok", "migrations": state, "current": _revisions(current), "head": head},
        503,
    )


def _jobs() -> dict:
    """The job queue's state: its broker, and the jobs that wait, run or failed."""
    from wiki.jobqueue import queue_of
    from wiki.services import jobs

    queue = queue_of(current_app._get_current_object())
    broker, waiting = queue.broker_state()
    counts = jobs.counts()
    detail = {"queue": queue.kind, "broker": broker, "queued": counts.queued, "running": counts.running,
              "failed": counts.failed}
    if counts.oldest is not None:
        detail["oldest_queued_at"] = counts.oldest.isoformat()
    if waiting is not None:
        detail["messages"] = waiting
    return detail


def _answer(body: dict, status: int):
    # A cached health answer is a wrong health answer.
    return body, status, {"Cache-Control": "no-store"}
