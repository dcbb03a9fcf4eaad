"""In-process cost of the search results page against the bare Flask ceiling (issue 21).

    .venv/bin/python -m bench.search_page DATABASE_URL [QUERY ...]

DATABASE_URL: a wiki that already has pages, e.g. one bench/search.py built
(``bench/search.py sqlite:////tmp/s2k.db 2000``). Prints, per query, the minimum over rounds
of the mean time of an anonymous cookie-less GET /-/search?q=..., the bare Flask app's
(bench/bare_app.py), and their ratio: the in-process counterpart of bench.perf's
"search ?q=cache" scenario, without gunicorn and wrk.
"""
import logging
import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.test import EnvironBuilder  # noqa: E402

from bench.bare_app import app as bare  # noqa: E402
from bench.view_scaling import per_request  # noqa: E402
from wiki import create_app  # noqa: E402


def main() -> None:
    url, queries = sys.argv[1], sys.argv[2:] or ["cache"]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                      "JOBS_QUEUE_URL": "immediate", "JOBS_WORKER_THREADS": 0})
    logging.getLogger("nexus.request").setLevel("WARNING")  # the log line is not what this measures
    ceiling = per_request(bare, EnvironBuilder(path="/").get_environ(), rounds=5, count=500)
    print(f"bare Flask: {ceiling * 1000:.3f} ms")
    for q in queries:
        environ = EnvironBuilder(path="/-/search", query_string=urlencode({"q": q})).get_environ()
        took = per_request(app, environ, rounds=5, count=40)
        print(f"/-/search?q={q}: {took * 1000:.2f} ms, x{ceiling / took:.2f} of the ceiling")


if __name__ == "__main__":
    main()
