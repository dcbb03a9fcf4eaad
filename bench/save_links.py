"""How long does saving (and viewing) a page with 2,000 wiki links take?

Usage: .venv/bin/python bench/save_links.py [DATABASE_URL]
Default: a fresh SQLite file in a temporary folder. For PostgreSQL pass e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/bench (its public schema is dropped first).
"""
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from bench.common import fresh_app  # noqa: E402
from wiki.services import pages  # noqa: E402

LINKS = 2000
TARGETS = 1000  # half of the links point at existing pages, half are red links


def main() -> None:
    app, url = fresh_app(sys.argv[1] if len(sys.argv) > 1 else None)
    with app.app_context():
        upgrade()
        for n in range(TARGETS):
            pages.save_page(f"Target {n}", f"# Target {n}\n\n## Part\n\ntext", "", None, 0)
        body_lines = [f"- [[Target {n % TARGETS}#Part]] and [[Missing {n}]]" for n in range(LINKS // 2)]
        times = []
        for rev in range(5):
            body = "\n".join(body_lines) + f"\n\nedit {rev}\n"
            start = time.perf_counter()
            pages.save_page("Hub", body, "", None, rev)
            times.append(time.perf_counter() - start)
        client = app.test_client()
        views = []
        for _ in range(20):
            start = time.perf_counter()
            assert client.get("/wiki/Hub").status_code == 200
            views.append(time.perf_counter() - start)
        start = time.perf_counter()
        pages.save_page("Missing 1", "now it exists", "", None, 0)  # re-renders Hub
        create_target = time.perf_counter() - start
    print(f"database: {url.split(':')[0]}")
    print(f"save of a page with {LINKS} links: median {statistics.median(times) * 1000:.0f} ms, "
          f"max {max(times) * 1000:.0f} ms over {len(times)} saves")
    print(f"view of that page: median {statistics.median(views) * 1000:.1f} ms over {len(views)} requests")
    print(f"creating a page it links to (re-renders it): {create_target * 1000:.0f} ms")


if __name__ == "__main__":
    main()
