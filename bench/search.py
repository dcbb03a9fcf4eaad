"""Search latency on a wiki of 20,000 pages of 3-6 KB, for SQLite and PostgreSQL.

Usage: .venv/bin/python bench/search.py [DATABASE_URL|""] [PAGES] [--reuse]
Default: SQLite in a temporary folder, 20,000 pages. For PostgreSQL pass e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/bench (its public schema is dropped first).
``--reuse``: the database given already holds the PAGES pages of an earlier run (a SQLite
file, or a PostgreSQL database): it is migrated to the current head and searched again,
without loading and indexing (the index is rebuilt only when a migration emptied it).

Pages and revisions are bulk-inserted (rendering 20,000 pages is not what this measures);
the index is then built by the service's own search.reindex_all(). 200 varied queries are
timed in-process at the service layer, then the same 200 through the HTTP search page.
"""
import random
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from bench.common import forget_stored_answers, fresh_app  # noqa: E402
from wiki import create_app  # noqa: E402
from wiki.extensions import db  # noqa: E402
from wiki.models import Page, Revision  # noqa: E402
from wiki.services import search  # noqa: E402

TOPICS = ("cache", "caching", "queue", "worker", "database", "index", "query", "latency", "redis",
          "postgres", "celery", "docker", "container", "deploy", "pipeline", "token", "session",
          "schema", "migration", "replica", "shard", "throughput", "graphql", "endpoint", "retry")
SECTIONS = ("concepts", "challenges", "best-practices", "guides", "notes")


def vocabulary(rng: random.Random) -> list[str]:
    syllables = ["ka", "lo", "mi", "ter", "sun", "pra", "vel", "dor", "qui", "zen", "bar", "fi", "nos", "tri"]
    return sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(6000)})


def page_text(rng, words, size, topics):
    """Generated prose about a few topics, as wiki pages are: the main topic comes up in
    about every other sentence, two secondary ones now and then, the rest is filler."""
    main, *secondary = topics
    out, length = [], 0
    while length < size:
        sentence = [rng.choice(words) for _ in range(rng.randint(6, 16))]
        if rng.random() < 0.5:
            sentence.insert(rng.randrange(len(sentence)), main)
        if rng.random() < 0.15:
            sentence.insert(rng.randrange(len(sentence)), rng.choice(secondary))
        text_ = " ".join(sentence).capitalize() + "."
        out.append(text_)
        length += len(text_) + 1
    return " ".join(out)


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    reuse = "--reuse" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--reuse"]
    if reuse:
        url = args[0]
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                          "JOBS_QUEUE_URL": "immediate", "JOBS_WORKER_THREADS": 0})
    else:
        app, url = fresh_app(args[0] if args else None)
    count = int(args[1]) if len(args) > 1 else 20_000
    rng = random.Random(42)
    words = vocabulary(rng)
    now = datetime.now(timezone.utc)
    with app.app_context():
        upgrade()
        start = time.perf_counter()
        for base in range(0, 0 if reuse else count, 1000):
            pages, revisions = [], []
            for n in range(base, min(base + 1000, count)):
                topics = rng.sample(TOPICS, 3)
                title = f"{rng.choice(SECTIONS)}/{topics[0]} {rng.choice(words)} {n}"
                body = page_text(rng, words, rng.randint(3000, 6000), topics)
                pages.append({"id": n + 1, "title": title, "title_key": title.casefold(), "created_at": now,
                              "protection": "none", "deleted": False})
                revisions.append({"id": n + 1, "page_id": n + 1, "number": 1, "created_at": now, "summary": "",
                                  "minor": False, "source": body, "html": f"<p>{body}</p>", "toc": "",
                                  "headings": "", "size": len(body), "parent_size": 0})
            db.session.execute(insert(Page), pages)
            db.session.execute(insert(Revision), revisions)
            db.session.execute(text("UPDATE pages SET current_revision_id = id WHERE id > :b"), {"b": base})
            db.session.commit()
        loaded = time.perf_counter() - start
        start = time.perf_counter()
        if not reuse or not db.session.execute(text("SELECT count(*) FROM search_index")).scalar():
            search.reindex_all()
        indexed = time.perf_counter() - start
        db.session.execute(text("ANALYZE"))  # as autovacuum would have by the time anyone searches
        db.session.commit()

        rng = random.Random(7)  # the queries do not depend on how the pages were loaded (--reuse)
        queries = []
        for i in range(200):
            kind = i % 5
            a, b = rng.choice(TOPICS), rng.choice(words)
            queries.append([a, f"{a} {b}", f'"{rng.choice(TOPICS)} {rng.choice(TOPICS)}"',
                            f"{a} -{rng.choice(TOPICS)}", f"{a} in:{rng.choice(SECTIONS)}/"][kind])
        for q in queries[:10]:
            search.search(q)  # warm the caches, as a running server would be
        service = []
        for q in queries:
            t = time.perf_counter()
            search.search(q)
            service.append((time.perf_counter() - t) * 1000)
            db.session.rollback()  # each request ends its transaction
        client = app.test_client()
        http = []
        for q in queries:
            forget_stored_answers(app)  # rendered, not the door's stored answer (wiki.web.readcache)
            t = time.perf_counter()
            assert client.get("/-/search", query_string={"q": q}).status_code == 200
            http.append((time.perf_counter() - t) * 1000)
    print(f"database: {url.split(':')[0]}; {count:,} pages loaded in {loaded:.0f} s, indexed in {indexed:.0f} s")
    print(f"service layer, 200 queries: median {statistics.median(service):.1f} ms, p95 {percentile(service, 95):.1f} ms")
    print(f"HTTP search page, same queries: median {statistics.median(http):.1f} ms, p95 {percentile(http, 95):.1f} ms")
    kinds = ("word", "word pair", "phrase", "exclusion", "in: prefix")
    for k, kind in enumerate(kinds):
        mine = service[k::5]
        print(f"  service, {kind:10}: median {statistics.median(mine):6.1f} ms, p95 {percentile(mine, 95):6.1f} ms")


if __name__ == "__main__":
    main()
