"""What resolving link state when a page is viewed would cost, against the stored-HTML view.

    .venv/bin/python -m bench.link_state            # SQLite
    .venv/bin/python -m bench.link_state --db postgresql+psycopg://postgres@127.0.0.1:5432/bench_links

Issue 13 asked first whether the fan-out needs a job at all: MediaWiki resolves each link's
red/blue state when the page is viewed, from the link table in one batch query. Nexus
stores the resolved HTML. This measures, in-process on a wiki of 1,000 pages, one page
with 24 links (half of them to missing pages) and one with 240:

- the cached anonymous view as it is today (stored HTML, answered in front of Flask);
- the one batch query a view-time resolution needs at the least: the page's links joined to
  their targets' existence and headings (what ``rendering.Resolver`` asks at save time);
- that query plus marking the links in the stored HTML (a regular-expression pass).

The stored view cannot simply add that query: its cache key would then depend on every
target's state, so the cache in front of Flask would need the query on every hit too.
"""
import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_app  # noqa: E402
from bench.view_scaling import fill, per_request  # noqa: E402


def body(links: int) -> str:
    return "\n\n".join(f"## Part {n}\n\nSee [[Page {n * 7}]] and [[Missing {n}]]." for n in range(links // 2))


def best(function, rounds: int = 7, count: int = 500) -> float:
    result = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        for _ in range(count):
            function()
        result = min(result, (time.perf_counter() - began) / count)
    return result


def measure(db_url: str | None, links: int) -> dict:
    import logging

    from flask_migrate import upgrade
    from sqlalchemy import select
    from werkzeug.test import EnvironBuilder

    from wiki.extensions import db
    from wiki.models import Link, Page, Revision
    from wiki.services import pages as page_service
    from wiki.services import users

    app, _url = fresh_app(db_url)
    with app.app_context():
        upgrade()
    logging.getLogger("nexus.request").setLevel("WARNING")
    fill(app, 1000)
    with app.app_context():
        author = users.create_user("reader", "a long password 1")
        page = page_service.save_page("Linked page", body(links), "first", author, None).page
        page_id, html = page.id, page.current_revision.html
    app.test_client().get("/wiki/Linked_page")  # rendered and kept in the page cache
    view = per_request(app, EnvironBuilder(path="/wiki/Linked_page").get_environ())

    states = (
        select(Link.target_key, Page.id, Revision.headings)
        .outerjoin(Page, (Page.title_key == Link.target_key) & Page.deleted.is_(False))
        .outerjoin(Revision, Revision.id == Page.current_revision_id)
        .where(Link.source_page_id == page_id)
    )
    anchor = re.compile(r'<a class="wikilink[^"]*" href="([^"]*)"')

    with app.app_context():
        query = best(lambda: db.session.execute(states).all())

        def resolve_and_mark():
            found = {key: target is not None for key, target, _headings in db.session.execute(states).all()}
            return anchor.sub(lambda m: m.group(0), html), found

        marked = best(resolve_and_mark)
        db.session.remove()
        db.engine.dispose()
    return {"links": links, "view": view, "query": query, "query+mark": marked}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="a PostgreSQL database of the benchmark's own (its schema is replaced)")
    args = parser.parse_args()
    rows = [measure(args.db, n) for n in (24, 240)]
    print("\n| in-process, µs (min of 7 rounds) | " + " | ".join(f"{r['links']} links" for r in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for key, name in (("view", "cached anonymous view today (whole request)"),
                      ("query", "the link-state batch query alone"),
                      ("query+mark", "query + marking the links in the HTML")):
        print(f"| {name} | " + " | ".join(f"{r[key] * 1e6:.0f}" for r in rows) + " |")


if __name__ == "__main__":
    main()
