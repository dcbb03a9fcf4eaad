"""What the JSON API costs per request, in-process (Flask's test client, SQLite in a temp dir).

Usage (from the repository root):

    .venv/bin/python -m bench.api [--requests 500]

Compares, per request (median of --requests): a page by the API with a bearer token, the
same page's HTML view for a logged-in reader, the page list, the OpenAPI document, and an
API save against a form save. Prints a Markdown table for bench/RESULTS.md.
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    from flask_migrate import upgrade

    from wiki import create_app
    from wiki.extensions import db
    from wiki.services import pages, tokens, users

    folder = Path(tempfile.mkdtemp())
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db", "SECRET_KEY": "bench",
                      "JOBS_QUEUE_URL": "immediate", "JOBS_WORKER_THREADS": 0, "RATELIMIT_ENABLED": False,
                      "REQUEST_LOG_LEVEL": "WARNING", "WTF_CSRF_ENABLED": False})
    app.instance_path = str(folder)
    with app.app_context():
        upgrade()
        user = users.create_user("bench", "correct horse battery", role="editor")
        for n in range(200):
            pages.save_page(f"Page {n}", f"# Page {n}\n\n" + "Some text with a [[Page 1]] link.\n" * 20, "", user, 0)
        secret = tokens.create_token(user, "bench", "write", None).secret
    bearer = {"Authorization": f"Bearer {secret}"}
    api, browser = app.test_client(), app.test_client()
    browser.post("/-/login", data={"username": "bench", "password": "correct horse battery"})

    def timed(call) -> float:
        samples = []
        for _ in range(args.requests):
            start = time.perf_counter()
            response = call()
            samples.append(time.perf_counter() - start)
            assert response.status_code < 400, response.status_code
        return statistics.median(samples) * 1e6

    base = {"api": 1, "form": 1}  # each save is based on the revision the previous one made

    def api_save():
        response = api.put("/api/v1/pages/Page_9", headers=bearer,
                           json={"body": f"text {base['api']}", "base_revision": base["api"]})
        base["api"] += 1
        return response

    def form_save():
        response = browser.post("/wiki/Page_8/-/edit", data={"body": f"text {base['form']}",
                                                             "base_revision": str(base["form"])})
        base["form"] += 1
        return response

    rows = [
        ("GET /api/v1/pages/Page_7 (bearer token)", timed(lambda: api.get("/api/v1/pages/Page_7", headers=bearer))),
        ("GET /wiki/Page_7 (logged-in session)", timed(lambda: browser.get("/wiki/Page_7"))),
        ("GET /api/v1/pages?limit=50", timed(lambda: api.get("/api/v1/pages?limit=50", headers=bearer))),
        ("GET /api/v1/openapi.json", timed(lambda: api.get("/api/v1/openapi.json"))),
        ("PUT /api/v1/pages/Page_9 (a save)", timed(api_save)),
        ("POST /wiki/Page_8/-/edit (a form save)", timed(form_save)),
    ]
    print("| request | median |\n|---|---|")
    for name, micros in rows:
        print(f"| {name} | {micros / 1000:.2f} ms |")


if __name__ == "__main__":
    main()
