"""How long does the blame view of a page with 500 revisions take?

Usage: .venv/bin/python bench/blame.py [DATABASE_URL] [REVISIONS]
Builds a 300-line page through the save service, each revision changing a few lines,
then times GET /wiki/<page>/-/blame (and the history and diff views) through the test client.
"""
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from bench.common import fresh_app  # noqa: E402
from wiki.services import pages  # noqa: E402


def timed(client, url, runs=10):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        assert client.get(url).status_code == 200, url
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    app, url = fresh_app(sys.argv[1] if len(sys.argv) > 1 else None)
    revisions = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    rng = random.Random(7)
    lines = [f"Line {i}: some text about caching and queues." for i in range(300)]
    with app.app_context():
        upgrade()
        start = time.perf_counter()
        for n in range(revisions):
            for _ in range(rng.randint(1, 4)):
                lines[rng.randrange(len(lines))] = f"Line edited in revision {n + 1}: {rng.random():.6f}"
            pages.save_page("Busy page", "\n".join(lines) + "\n", f"edit {n + 1}", None, n)
        load = time.perf_counter() - start
        client = app.test_client()
        print(f"database: {url.split(':')[0]}; {revisions} revisions of a 300-line page saved in {load:.1f} s")
        print(f"blame:   median {timed(client, '/wiki/Busy_page/-/blame'):.0f} ms")
        print(f"history: median {timed(client, '/wiki/Busy_page/-/history'):.1f} ms")
        print(f"diff 1->{revisions}: median {timed(client, f'/wiki/Busy_page/-/diff?from=1&to={revisions}'):.1f} ms")


if __name__ == "__main__":
    main()
