"""In-process cost of the history, diff, old revision, blame and recent-changes views (issue 21).

    .venv/bin/python -m bench.read_pages                        # SQLite
    .venv/bin/python -m bench.read_pages --db postgresql+psycopg://postgres@127.0.0.1:5432/bench_readpages
    .venv/bin/python -m bench.read_pages --profile blame        # cProfile of one scenario, top entries

Saves ``Busy page`` (100 revisions) and ``Calm page`` (10) through the save service, with the
bench.perf corpus's bodies, plus ``--pages`` small pages, then calls the WSGI app directly
(no network, no load generator) as an anonymous visitor without cookies, the way bench.perf's
wrk does. Prints the minimum over rounds of the mean time per request, and its ratio to bare
Flask (bench/bare_app.py) measured in the same run.
"""
import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import corpus  # noqa: E402
from bench.common import fresh_app  # noqa: E402
from bench.view_scaling import per_request  # noqa: E402


def scenarios(busy_n: int, calm_n: int) -> dict[str, str]:
    busy, calm = "/wiki/Busy_page", "/wiki/Calm_page"
    return {
        "history, long history": busy + "/-/history",
        "history, 10 revisions": calm + "/-/history",
        "diff 1→last, long history": f"{busy}/-/diff?from=1&to={busy_n}",
        "diff 1→last, 10 revisions": f"{calm}/-/diff?from=1&to={calm_n}",
        "old revision, long history": f"{busy}/-/revisions/{busy_n // 2}",
        "old revision, 10 revisions": f"{calm}/-/revisions/{calm_n // 2}",
        "blame, long history": busy + "/-/blame",
        "blame, 10 revisions": calm + "/-/blame",
        "recent changes": "/-/recent",
    }


def build(db_url: str | None, pages: int, busy_n: int, calm_n: int):
    import logging

    from flask_migrate import upgrade

    from wiki.extensions import db
    from wiki.services import pages as page_service
    from wiki.services import users

    app, _url = fresh_app(db_url)
    with app.app_context():
        upgrade()
        author = users.create_user(corpus.BENCH_USER, corpus.BENCH_PASSWORD)
        for i in range(1, pages + 1):
            page_service.save_page(f"Page {i}", f"Page {i} about caches.\n\n" + "Text. " * 50, "first", author, None)
        for name, count in ((corpus.BUSY, busy_n), (corpus.CALM, calm_n)):
            for n in range(1, count + 1):
                page_service.save_page(name, corpus.history_body(name, n), f"status {n}", author, n - 1 or None)
        db.session.commit()
    logging.getLogger("nexus.request").setLevel("WARNING")  # the log line is not what this measures
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=None, help="database URL (default: SQLite in a temporary folder)")
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--busy-revisions", type=int, default=100)
    parser.add_argument("--count", type=int, default=300, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", default=None, help="profile the scenarios whose name contains this")
    parser.add_argument("--compare", action="store_true",
                        help="also time each URL with the door shut (wiki.web.readcache: the app renders "
                             "every request), rounds interleaved with the door's and bare Flask's")
    args = parser.parse_args()
    from werkzeug.test import EnvironBuilder

    from bench.bare_app import app as bare

    app = build(args.db, args.pages, args.busy_revisions, corpus.CALM_REVISIONS)
    urls = scenarios(args.busy_revisions, corpus.CALM_REVISIONS)

    def environ(url):
        path, _, query = url.partition("?")
        return EnvironBuilder(path=path, query_string=query).get_environ()

    from wiki.web.readcache import ReadPages

    layer = app.wsgi_app
    while not isinstance(layer, ReadPages):
        layer = getattr(layer, "wsgi_app", None) or layer.app  # request log, ProxyFix
    real_answer = layer._answer
    layer.enabled = True
    layer._answer = lambda environ: real_answer(environ) if layer.enabled else None
    bare_s = per_request(bare, EnvironBuilder(path="/").get_environ(), args.rounds, args.count)
    print(f"{'bare Flask':32} {bare_s * 1e6:9.0f} µs", flush=True)
    for name, url in urls.items():
        if args.profile and args.profile not in name:
            continue
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            per_request(app, environ(url), 1, args.count * 3)
            profiler.disable()
            print(f"--- {name}: {url}")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            continue
        if not args.compare:
            seconds = per_request(app, environ(url), args.rounds, args.count)
            print(f"{name:32} {seconds * 1e6:9.0f} µs  ×{bare_s / seconds:.2f}", flush=True)
            continue
        door, shut, ceiling = float("inf"), float("inf"), float("inf")
        for _ in range(args.rounds):  # interleaved: the background load drifts within minutes
            ceiling = min(ceiling, per_request(bare, EnvironBuilder(path="/").get_environ(), 1, args.count))
            door = min(door, per_request(app, environ(url), 1, args.count))
            layer.enabled = False
            shut = min(shut, per_request(app, environ(url), 1, max(args.count // 5, 20)))
            layer.enabled = True
        print(f"{name:32} door {door * 1e6:7.0f} µs ×{ceiling / door:.2f}   shut {shut * 1e6:7.0f} µs "
              f"×{ceiling / shut:.2f}   bare {ceiling * 1e6:5.0f} µs   {shut / door:.1f}× faster", flush=True)


if __name__ == "__main__":
    main()
