"""What every benchmark starts with: an app on an empty, migrated database."""
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from wiki import create_app  # noqa: E402


def fresh_app(argv_url: str | None, **overrides):
    """The wiki app on ``argv_url`` (empty: SQLite in a temporary folder), with nothing in it.

    A PostgreSQL database's public schema is dropped and created again: give benchmarks a
    database of their own. Migrations are run by the caller inside its app context.
    """
    url = argv_url or "sqlite:///" + tempfile.mkdtemp() + "/bench.db"
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    # Benchmarks measure what work costs; the rate limits (one user saving hundreds of pages a
    # minute) would measure the limiter instead.
    # Jobs run inside the request that queues them, as all fan-out did before there were jobs, so
    # that a benchmark's corpus is complete when it is built (bench/fanout.py measures the queue).
    # ``overrides``: other settings, e.g. a queue that keeps the jobs (bench/import_repo.py).
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                       "JOBS_QUEUE_URL": "immediate", "JOBS_WORKER_THREADS": 0, **overrides}), url


def forget_stored_answers(app) -> None:
    """Empty the read-page door's stored answers (wiki.web.readcache): a repeated search is
    answered from them, and the search benchmarks measure the search page rendered."""
    from wiki.web import readcache

    cache = app.extensions[readcache.EXTENSION]
    cache.entries.clear()
    cache.size = 0
