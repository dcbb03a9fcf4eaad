"""What discussions (issue 16) cost a page view, and what a discussion of 200 comments costs.

Usage: .venv/bin/python bench/discussion.py [DATABASE_URL]
Default: a fresh SQLite file in a temporary folder. For PostgreSQL pass e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/bench_discuss (its public schema is dropped first).

In-process (the test client; the cookie-less anonymous view through the WSGI app, so through
``FastPageViews``). Two pages with the same five-section source: "Quiet" has no discussion,
"Talked" has 40 threads of 5 comments (200), on its sections and on the page, posted through
the service. Medians of 30 requests (the anonymous views: the best of 5 rounds of 500).
"""
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from bench.common import fresh_app  # noqa: E402
from bench.view_scaling import per_request  # noqa: E402
from wiki.extensions import db  # noqa: E402
from wiki.services import discussions, users  # noqa: E402
from wiki.services import pages as page_service  # noqa: E402

SOURCE = "# Topic\n\nIntro.\n\n" + "".join(f"## Part {n}\n\n" + f"Paragraph {n}, some text. " * 20 + "\n\n"
                                          for n in range(1, 6))
PASSWORD = "bench password 1"


def median_ms(client, url: str, rounds: int = 30) -> float:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main() -> None:
    import logging

    app, url = fresh_app(sys.argv[1] if len(sys.argv) > 1 else None)
    logging.getLogger("nexus.request").setLevel("WARNING")
    with app.app_context():
        upgrade()
        author = users.create_user("author", PASSWORD)
        page_service.save_page("Quiet", SOURCE, "", author, 0)
        page_service.save_page("Talked", SOURCE, "", author, 0)
        page = page_service.find_page("Talked")
        for n in range(40):
            thread = discussions.start_thread(page, author, f"Question {n} about **this**.",
                                              None if n % 6 == 0 else f"part-{n % 6}")
            for k in range(4):
                discussions.reply(thread, author, f"Answer {k} to question {n}, with a [[Quiet]] link.")
        db.session.commit()
    client = app.test_client()
    token = client.get("/-/login").get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
    client.post("/-/login", data={"username": "author", "password": PASSWORD, "csrf_token": token.split('"')[0]})
    rows = {
        "discussion page, 200 comments (logged in)": median_ms(client, "/wiki/Talked/-/discussion"),
        "page view without a discussion (logged in)": median_ms(client, "/wiki/Quiet"),
        "page view with 200 comments' counts (logged in)": median_ms(client, "/wiki/Talked"),
    }
    anonymous = app.test_client()
    for title in ("Quiet", "Talked"):
        anonymous.get(f"/wiki/{title}")  # rendered and kept in the page cache
        environ = EnvironBuilder(path=f"/wiki/{title}").get_environ()
        rows[f"cached anonymous view, {title} (µs)"] = per_request(app.wsgi_app, environ, rounds=5, count=500) * 1e6
    print(url.split(":")[0])
    for name, value in rows.items():
        unit = "" if "µs" in name else " ms"
        print(f"| {name} | {value:.1f}{unit} |")


if __name__ == "__main__":
    main()
