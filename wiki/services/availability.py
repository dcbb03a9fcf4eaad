"""When the database cannot be reached: recognizing it, and committing so that an answer
never says more than is known.

``unavailable(error)`` names the component an error says is unreachable ("database"), or
None for any other error (a bug keeps its traceback and its 500). ``commit(what)`` is how a
service commits a change whose answer follows: it flushes first (a failure there is a plain
failure, nothing was sent to commit), turns a connection lost *during* the COMMIT into
``Unconfirmed`` (the server may or may not have committed: only the history can tell), and
keeps the session's objects loaded, so that building the answer afterwards needs no query
that could fail after the change was made.
"""
import sqlite3
from contextlib import contextmanager

from sqlalchemy import exc

from wiki.extensions import db
from wiki.services.errors import Unconfirmed

try:
    import psycopg
except ImportError:  # SQLite only: the PostgreSQL driver is optional
    psycopg = None

DATABASE = "database"

# SQLite reports mistakes in SQL or schema as OperationalError too: those are bugs (or a
# database that was never migrated), not an outage.
_SQLITE_MISTAKES = ("no such ", "syntax error", "has no column", "already exists", "no column named",
                    "too many sql variables")


def unavailable(error: BaseException | None) -> str | None:
    """``"database"`` when ``error``, or an error it was raised from, means the database cannot
    be reached (refused, dropped or timed-out connections, a full pool, a database shutting
    down, an unreadable SQLite file); None for anything else."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if _unreachable(error):
            return DATABASE
        error = error.__cause__
    return None


def _unreachable(error: BaseException) -> bool:
    if isinstance(error, exc.TimeoutError):  # no connection free in the pool in time
        return True
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if isinstance(error, (exc.OperationalError, exc.InterfaceError)):
            return _driver_unreachable(error.orig) if error.orig is not None else True
        return False
    return _driver_unreachable(error)


def _driver_unreachable(error: BaseException) -> bool:
    if isinstance(error, sqlite3.OperationalError):
        message = str(error).lower()
        return not any(mistake in message for mistake in _SQLITE_MISTAKES)
    if isinstance(error, sqlite3.InterfaceError):
        return False  # a wrong parameter type: a bug
    if psycopg is not None and isinstance(error, (psycopg.OperationalError, psycopg.InterfaceError)):
        # Class 40 (serialization failure, deadlock) is an answer of a working server.
        return not (getattr(error, "sqlstate", None) or "").startswith("40")
    return isinstance(error, (exc.OperationalError, exc.InterfaceError))


@contextmanager
def confirming(what: str):
    """Around a COMMIT: a connection lost meanwhile raises ``Unconfirmed(what)``."""
    try:
        yield
    except Exception as error:
        if unavailable(error) is None:
            raise
        raise Unconfirmed(what) from error


def commit(what: str | None, committer=None, keep_loaded: bool = True) -> None:
    """Commit the session's change, ``what`` naming it for the user ("your new password").

    Flushes first, so that only the COMMIT itself runs under ``confirming`` (not at all with
    ``what=None``: for a change whose loss does not matter to the user). ``committer``
    replaces ``session.commit`` (``jobs.commit``, which also hands committed jobs to the
    queue). With ``keep_loaded`` the session's objects are not expired by this commit: the
    answer reads them without a query, and so cannot fail after the change was made. Saves
    pass False (a long-lived session, such as an import's, must see other writers' changes)
    and read what their answer needs before committing.
    """
    session = db.session()
    session.flush()
    expire = session.expire_on_commit
    if keep_loaded:
        session.expire_on_commit = False
    try:
        if what is None:
            (committer or session.commit)()
        else:
            with confirming(what):
                (committer or session.commit)()
    finally:
        session.expire_on_commit = expire
