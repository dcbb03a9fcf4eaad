"""In-process cost of reading a page on a wiki of 1,000 and of 100,000 pages.

    .venv/bin/python -m bench.view_scaling                      # SQLite, 1,000 and 100,000 pages
    .venv/bin/python -m bench.view_scaling --pages 1000 5000    # other sizes
    .venv/bin/python -m bench.view_scaling --db postgresql+psycopg://postgres@127.0.0.1:5432/bench_scaling

What it answers: does a page view cost more when the wiki is larger? bench/perf.py answers
that over HTTP with a corpus saved page by page (an hour of rendering for 100,000 pages);
this answers it in a few minutes, without the network and the load generator, by calling
the WSGI app directly. The filler pages are bulk-inserted rows (a page, its revision with
3 KB of source and HTML, a few links), not saved through the service: only the size of the
tables and indexes matters here. The page that is read is saved through the save service.

Per size it prints the minimum over rounds of the mean time per request for: the bare
Flask ceiling (bench/bare_app.py), an anonymous view without cookies (answered by
wiki.web.caching.FastPageViews), the same with If-None-Match (304), an anonymous view with a
session cookie (the before-request cache hook), a logged-in view (rendered every time), and
a view rendered from scratch (page cache off).
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_app  # noqa: E402

FILLER = ("Lorem ipsum dolor sit amet, [[Page 1]] consectetur adipiscing elit. " * 45)[:3000]
TYPICAL = "\n\n".join(
    f"## Section {n}\n\nText about caches and queues with a [[Page {n * 7}]] link, `code`, and *emphasis*.\n\n"
    f"- item one\n- item two\n\n| a | b |\n|---|---|\n| {n} | {n * 2} |"
    for n in range(1, 25)
)


def fill(app, pages: int) -> None:
    """Bulk-insert ``pages`` filler pages with one revision and three links each."""
    from sqlalchemy import insert, text

    from wiki.extensions import db
    from wiki.models import Link, Page, Revision

    with app.app_context():
        batch = 5000
        for start in range(0, pages, batch):
            ids = range(start + 1, min(start + batch, pages) + 1)
            db.session.execute(insert(Page), [
                {"id": i, "title": f"Page {i}", "title_key": f"page {i}", "protection": "none", "deleted": False}
                for i in ids])
            db.session.execute(insert(Revision), [
                {"id": i, "page_id": i, "number": 1, "summary": "filler", "minor": False, "source": FILLER,
                 "html": "<p>" + FILLER + "</p>", "toc": "", "headings": "", "size": len(FILLER),
                 "parent_size": 0} for i in ids])
            db.session.execute(insert(Link), [
                {"source_page_id": i, "target_title": f"Page {(i * k) % pages + 1}",
                 "target_key": f"page {(i * k) % pages + 1}", "section": None}
                for i in ids for k in (3, 5, 7)])
            db.session.execute(Page.__table__.update().where(Page.id.in_(list(ids)))
                               .values(current_revision_id=Page.id))
            db.session.commit()
        if db.engine.dialect.name == "postgresql":  # explicit ids leave the sequences behind
            for table in ("pages", "revisions", "links"):
                db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
            db.session.commit()


def per_request(wsgi, environ: dict, rounds: int = 7, count: int = 1000) -> float:
    """Minimum over ``rounds`` of the mean seconds per request."""
    def start_response(status, headers, exc_info=None):
        start_response.status = status

    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        for _ in range(count):
            body = wsgi(dict(environ), start_response)
            b"".join(body)
            getattr(body, "close", lambda: None)()
        best = min(best, (time.perf_counter() - began) / count)
    assert start_response.status[:3] in ("200", "304"), start_response.status
    return best


def measure(pages: int, db_url: str | None) -> dict:
    import logging

    from flask_migrate import upgrade
    from werkzeug.test import EnvironBuilder

    from bench.bare_app import app as bare
    from wiki.extensions import db
    from wiki.services import pages as page_service
    from wiki.services import users

    app, _url = fresh_app(db_url)
    with app.app_context():
        upgrade()
    logging.getLogger("nexus.request").setLevel("WARNING")  # the log line is not what this measures
    began = time.perf_counter()
    fill(app, pages)
    filled = time.perf_counter() - began
    with app.app_context():
        author = users.create_user("reader", "a long password 1")
        page_service.save_page("Typical page", TYPICAL, "first", author, None)
        db.session.commit()

    def environ(path="/wiki/Typical_page", **headers):
        return EnvironBuilder(path=path, headers=headers).get_environ()

    client = app.test_client()
    etag = client.get("/wiki/Typical_page").headers["ETag"]  # rendered and kept
    client.get("/-/login")  # an anonymous session (its CSRF token)
    session_cookie = client.get_cookie("session").value
    logged_in = app.test_client()
    token = logged_in.get("/-/login").get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
    logged_in.post("/-/login", data={"username": "reader", "password": "a long password 1",
                                     "csrf_token": token.split('"')[0]})
    logged_in.get("/wiki/Typical_page")  # shows and clears the welcome message, as bench.perf does
    user_cookie = logged_in.get_cookie("session").value

    result = {
        "pages": pages, "filled in s": round(filled, 1),
        "bare Flask": per_request(bare, EnvironBuilder(path="/").get_environ()),
        "anonymous, no cookie": per_request(app, environ()),
        "anonymous, 304": per_request(app, environ(**{"If-None-Match": etag})),
        "anonymous with a session cookie": per_request(app, environ(Cookie=f"session={session_cookie}")),
        # The login's address and User-Agent, as a browser sends them: with others Flask-Login's
        # session protection marks the session not fresh, and every response sets a new cookie.
        "logged in": per_request(app, EnvironBuilder(path="/wiki/Typical_page",
                                                     headers={"Cookie": f"session={user_cookie}"},
                                                     environ_base=logged_in.environ_base).get_environ()),
    }
    from wiki.web.caching import EXTENSION

    app.extensions[EXTENSION].pages.limit = 0  # nothing kept: every view is rendered
    app.extensions[EXTENSION].pages.entries.clear()
    result["rendered (page cache off)"] = per_request(app, environ(), count=200)
    with app.app_context():
        db.engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--db", help="a PostgreSQL database of the benchmark's own (its schema is replaced)")
    args = parser.parse_args()
    results = [measure(n, args.db) for n in args.pages]
    names = [key for key in results[0] if key not in ("pages", "filled in s")]
    print("\n| in-process, µs per request (min of 7 rounds) | " + " | ".join(f"{r['pages']:,} pages" for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for name in names:
        print(f"| {name} | " + " | ".join(f"{r[name] * 1e6:.0f}" for r in results) + " |")
    print("(filler pages inserted in " + ", ".join(f"{r['filled in s']} s" for r in results) + ")")


if __name__ == "__main__":
    main()
