"""How long do /-/links/broken and the dashboard's count take at 100,000 pages? (issue 20)

Usage: .venv/bin/python -m bench.linkhealth [DATABASE_URL] [PAGES] [--every N]
Default: SQLite in a temporary folder, 100,000 pages, broken links on every 20th page (two
each: a missing page and a missing section); --every 1 puts them on every page, the worst case.

Bulk-inserts page rows and their broken_links rows (rendering is not what this measures: the
rows are what saves write), then times each list through the test client (median of 20
requests) and the dashboard's count in process.
"""
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from bench.common import fresh_app  # noqa: E402
from wiki.extensions import db  # noqa: E402
from wiki.models import BrokenLink, Page, utcnow  # noqa: E402
from wiki.services import linkhealth  # noqa: E402


def load(pages: int, every: int) -> None:
    now = utcnow()
    rows = [{"title": f"topic-{n % 100:03}/command-{n:06}", "title_key": f"topic-{n % 100:03}/command-{n:06}",
             "created_at": now, "protection": "none", "deleted": False} for n in range(pages)]
    for start in range(0, pages, 5000):
        db.session.execute(Page.__table__.insert(), rows[start:start + 5000])
    db.session.commit()
    broken = []
    for page_id in db.session.scalars(db.select(Page.id).where(Page.id % every == 0)):
        broken += [{"source_page_id": page_id, "kind": "page", "target_title": "Gone", "section": None, "line": 3,
                    "section_number": None, "suggestion": None, "suggestion_anchor": None},
                   {"source_page_id": page_id, "kind": "section", "target_title": "Home", "section": "Old",
                    "line": 9, "section_number": 2, "suggestion": "Older", "suggestion_anchor": "older"}]
    for start in range(0, len(broken), 10000):
        db.session.execute(BrokenLink.__table__.insert(), broken[start:start + 10000])
    db.session.commit()


def timed(call, runs: int = 20) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    every = int(sys.argv[sys.argv.index("--every") + 1]) if "--every" in sys.argv else 20
    args = [a for i, a in enumerate(sys.argv[1:], 1) if a != "--every" and sys.argv[i - 1] != "--every"]
    url = args[0] if args else ""
    pages = int(args[1]) if len(args) > 1 else 100_000
    app, url = fresh_app(url)
    logging.disable(logging.INFO)
    with app.app_context():
        upgrade()
        start = time.perf_counter()
        load(pages, every)
        total = db.session.scalar(db.select(db.func.count(BrokenLink.id)))
        print(f"database: {url.split('@')[-1]}; {pages:,} pages, {total:,} broken links, "
              f"loaded in {time.perf_counter() - start:.1f} s")
        print(f"{'count() (admin dashboard)':<44}      {timed(linkhealth.count):7.1f} ms")
    client = app.test_client()
    for label, target in [("/-/links/broken (first 50 pages)", "/-/links/broken"),
                          ("/-/links/broken?page=20", "/-/links/broken?page=20"),
                          ("/-/links/broken?kind=section", "/-/links/broken?kind=section"),
                          ("/-/links/broken?prefix=topic-077/", "/-/links/broken?prefix=topic-077/")]:
        status = [0]

        def get(target=target):
            status[0] = client.get(target).status_code
        median = timed(get)
        print(f"{label:<44} {status[0]}  {median:7.1f} ms")


if __name__ == "__main__":
    main()
