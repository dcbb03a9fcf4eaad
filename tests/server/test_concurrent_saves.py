"""Concurrent editors against a real server (gunicorn, 2 worker processes x 4 threads):
no accepted save is ever lost, on SQLite and on PostgreSQL."""
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.support import free_port, http_request
from wiki.extensions import db
from wiki.models import Page, Revision

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 8
SAVES = 20
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
BASE = re.compile(r'name="base_revision" type="hidden" value="(\d+)"')
BODY = re.compile(r"<textarea[^>]*>\r?\n?(.*?)</textarea>", re.S)


@pytest.fixture
def server_env():
    """Extra NEXUS_* settings for the server; a test module overrides this fixture."""
    return {"NEXUS_REGISTRATIONS_PER_IP": "1000 per minute"}  # every client registers from 127.0.0.1


@pytest.fixture
def server(app, server_env):
    """gunicorn serving this test's database; stopped (and checked) afterwards."""
    port = free_port()
    env = dict(os.environ, NEXUS_SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
               NEXUS_SECRET_KEY="concurrency test", **server_env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert proc.poll() is None, proc.stdout.read().decode()
            time.sleep(0.1)
    yield port
    proc.terminate()
    output = proc.communicate(timeout=30)[0].decode()
    assert "Traceback" not in output, output


class Client:
    """A browser-like HTTP client: keeps its cookies, reads forms, posts them."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, form: dict | None = None):
        response, text = http_request(self.port, method, path, self.cookies, form)
        return response.status, text

    def register(self, name: str):
        status, html = self.request("GET", "/-/register")
        status, _ = self.request("POST", "/-/register", {
            "csrf_token": TOKEN.search(html).group(1), "username": name,
            "password": PASSWORD, "password_confirm": PASSWORD})
        assert status == 303

    def edit(self, title: str, change):
        """Open the editor, change the text with ``change``, save. Returns the status."""
        status, html = self.request("GET", f"/wiki/{title}/-/edit")
        assert status == 200, html
        import html as htmllib

        text = htmllib.unescape(BODY.search(html).group(1)).replace("\r\n", "\n")
        time.sleep(0.002)  # think time: lets other editors save in between
        new_text, summary = change(text)
        status, _ = self.request("POST", f"/wiki/{title}/-/edit", {
            "csrf_token": TOKEN.search(html).group(1), "base_revision": BASE.search(html).group(1),
            "body": new_text, "summary": summary})
        return status


def run_clients(port, worker):
    errors = []

    def guarded(i):
        try:
            worker(i)
        except Exception as error:  # reported below: a thread's failure must fail the test
            errors.append(repr(error))

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert errors == []


def history(app, title_key):
    with app.app_context():
        return db.session.execute(
            select(Revision.summary, Revision.source).join(Page, Page.id == Revision.page_id)
            .where(Page.title_key == title_key).order_by(Revision.number)).all()


def test_every_client_edits_its_own_line(app, server, make_page):
    make_page("Shared", "".join(f"client {i}: 0\n" for i in range(CLIENTS)))
    accepted = []

    def worker(i):
        client = Client(server)
        client.register(f"editor{i}")
        for k in range(1, SAVES + 1):
            def change(text, i=i, k=k):
                lines = text.split("\n")
                lines[i] = f"client {i}: {k}"
                return "\n".join(lines), f"client {i} save {k}"
            status = client.edit("Shared", change)
            assert status == 303, status  # different lines: always saved, merged if needed
            accepted.append(f"client {i} save {k}")

    run_clients(server, worker)
    rows = history(app, "shared")
    final = rows[-1].source
    for i in range(CLIENTS):
        assert f"client {i}: {SAVES}\n" in final
    assert sorted(r.summary for r in rows[1:]) == sorted(accepted)
    assert len(rows) == 1 + CLIENTS * SAVES


def test_everyone_edits_the_same_line(app, server, make_page):
    make_page("Contested", "title line\nshared: start\nfooter\n")
    outcomes = {}

    def worker(i):
        client = Client(server)
        client.register(f"rival{i}")
        for k in range(1, SAVES + 1):
            summary = f"rival {i} save {k}"
            status = client.edit("Contested", lambda text: (text.replace(
                text.split("\n")[1], f"shared: {summary}"), summary))
            assert status in (303, 409), status  # saved (maybe merged) or an explicit conflict
            outcomes[summary] = status

    run_clients(server, worker)
    rows = history(app, "contested")
    saved = {r.summary for r in rows[1:]}
    accepted = {s for s, status in outcomes.items() if status == 303}
    assert saved == accepted  # every accepted save is in the history, no refused one is
    assert len(outcomes) == CLIENTS * SAVES
    assert rows[-1].source.startswith("title line\nshared: rival ")
