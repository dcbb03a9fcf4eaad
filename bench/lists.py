"""How long do /-/pages and /-/orphans take, and how big are they, at 100,000 pages?

Usage: .venv/bin/python -m bench.lists [DATABASE_URL] [PAGES] [--all-linked]
Default: SQLite in a temporary folder, 100,000 pages.

Bulk-inserts PAGES page rows (100 folders, tldr-like names) and links from every page to two
others, so that about 13% of the pages are orphans (with --all-linked: to the next page, so
one page is an orphan: the worst case for /-/orphans) (rendering is not what this measures),
then times each list through the test client (median of 20 requests) and reports its size:
the first window, a window deep in the list (?after=), one folder (?prefix=), and the
orphans, first window and one folder.
"""
import logging
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from bench.common import fresh_app  # noqa: E402
from wiki.extensions import db  # noqa: E402
from wiki.models import Link, Page, utcnow  # noqa: E402


def load(pages: int, all_linked: bool) -> None:
    rng = random.Random(22)
    now = utcnow()
    rows = [{"title": f"topic-{n % 100:03}/command-{n:06}", "title_key": f"topic-{n % 100:03}/command-{n:06}",
             "created_at": now, "protection": "none", "deleted": False} for n in range(pages)]
    for start in range(0, pages, 5000):
        db.session.execute(Page.__table__.insert(), rows[start:start + 5000])
    db.session.commit()
    ids = list(db.session.scalars(db.select(Page.id)))
    links = []
    for source in ids:
        for _ in range(1 if all_linked else 2):
            target = rows[(source % pages) if all_linked else rng.randrange(pages)]["title_key"]
            links.append({"source_page_id": source, "target_title": target, "target_key": target, "section": None})
    for start in range(0, len(links), 10000):
        db.session.execute(Link.__table__.insert(), links[start:start + 10000])
    db.session.commit()


def timed(client, url: str, runs: int = 20) -> tuple[float, int, int]:
    times, size, status = [], 0, 0
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        size, status = len(response.data), response.status_code
    return statistics.median(times), size, status


def main() -> None:
    args = [arg for arg in sys.argv[1:] if arg != "--all-linked"]
    url = args[0] if args else ""
    pages = int(args[1]) if len(args) > 1 else 100_000
    app, url = fresh_app(url)
    logging.disable(logging.INFO)  # one request log line per request would drown the figures
    with app.app_context():
        upgrade()
        start = time.perf_counter()
        load(pages, "--all-linked" in sys.argv)
        print(f"database: {url.split('@')[-1]}; {pages:,} pages loaded in {time.perf_counter() - start:.1f} s")
        orphans = db.session.scalar(db.text(
            "SELECT count(*) FROM pages WHERE title_key NOT IN (SELECT target_key FROM links)"))
        print(f"orphans: {orphans:,}")
    client = app.test_client()
    middle = f"topic-050/command-{pages // 2:06}"
    for label, target in [("/-/pages (first 200)", "/-/pages"),
                          ("/-/pages?after= (middle)", f"/-/pages?after={middle}"),
                          ("/-/pages?prefix=topic-077/", "/-/pages?prefix=topic-077/"),
                          ("/-/pages?prefix=topic-099/command-0999", "/-/pages?prefix=topic-099/command-0999"),
                          ("/-/orphans (first 200)", "/-/orphans"),
                          ("/-/orphans?prefix=topic-077/", "/-/orphans?prefix=topic-077/")]:
        median, size, status = timed(client, target)
        print(f"{label:<44} {status}  {median:7.1f} ms  {size / 1024:6.1f} KB")


if __name__ == "__main__":
    main()
