"""Faults against a real server (issue 24): gunicorn on PostgreSQL reached through a TCP proxy
that the test cuts and restores, gunicorn workers killed during saves, an export taken while
saves go on.

PostgreSQL only (TEST_DATABASE_URL), on a database of these tests' own (``<db>_outage`` on the
same server, created when missing): other tests share the ``test`` one. Without
TEST_DATABASE_URL they are skipped, and fail in CI, which must run them.
"""
import html
import http.client
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from tests.support import free_port, http_request, require_postgresql
from tests.conftest import (PASSWORD, TABLES, TEST_DATABASE_URL, _base_config, _migrate, ensure_postgresql_database,
                            reset_postgresql)
from wiki import create_app
from wiki.extensions import db
from wiki.models import Page, Revision
from wiki.services import pages, users

ROOT = Path(__file__).resolve().parents[2]
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
BASE = re.compile(r'name="base_revision" type="hidden" value="(\d+)"')
BODY = re.compile(r"<textarea[^>]*>\r?\n?(.*?)</textarea>", re.S)
LOG_LINE = re.compile(r"^\[[^]]+\] \[\d+\] \[[A-Z]+\] ")


# --- The TCP proxy ------------------------------------------------------------------------------


def _reset(sock: socket.socket) -> None:
    """Close at once with a reset, as a proxy or a network that goes away does."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class Proxy:
    """TCP proxy to PostgreSQL. ``cut()`` resets every connection and refuses new ones until
    ``restore()``. ``trap_commit("before")`` cuts when the next COMMIT arrives, without
    passing it on; ``trap_commit("after")`` passes it on, lets the server answer, and cuts
    before the answer reaches the app: the server committed, the app cannot know."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.pairs: set[tuple[socket.socket, socket.socket]] = set()
        self.down = False
        self.trap = None
        self.muted: set[tuple[socket.socket, socket.socket]] = set()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        with self.lock:
            self.down = True
            pairs, self.pairs = self.pairs, set()
        for client, upstream in pairs:
            _reset(client)
            _reset(upstream)

    def restore(self) -> None:
        with self.lock:
            self.down = False

    def trap_commit(self, when: str) -> None:
        self.trap = when

    def close(self) -> None:
        self.closed = True
        self.cut()
        self.listener.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                down = self.down
            if down:
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _reset(client)
                continue
            pair = (client, upstream)
            with self.lock:
                self.pairs.add(pair)
            threading.Thread(target=self._pump, args=(client, upstream, pair, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, pair, False), daemon=True).start()

    def _pump(self, source, sink, pair, from_app: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if from_app and self.trap and b"COMMIT\x00" in data:
                    when, self.trap = self.trap, None
                    if when == "before":
                        self.cut()
                        return
                    self.muted.add(pair)  # the server's answer to this COMMIT is never passed on
                elif not from_app and pair in self.muted:
                    self.cut()
                    return
                sink.sendall(data)
        except OSError:
            pass
        with self.lock:
            self.pairs.discard(pair)
        for sock in pair:
            _reset(sock)


# --- The server, its database and its clients -------------------------------------------------


@pytest.fixture(scope="module")
def database():
    """The URL of this module's own PostgreSQL database, migrated and empty."""
    require_postgresql(TEST_DATABASE_URL, "the outage tests")
    parsed = make_url(TEST_DATABASE_URL)
    url = parsed.set(database=f"{parsed.database}_outage").render_as_string(hide_password=False)
    ensure_postgresql_database(url)
    reset_postgresql(url)
    _migrate(url)
    return url


@pytest.fixture
def checker(database):
    """An app on the database itself (not through the proxy), to look at it; emptied afterwards."""
    app = create_app(_base_config(database))
    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def proxy(database):
    url = make_url(database)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    yield proxy
    proxy.close()


class Server:
    """gunicorn serving the database at ``url``; its whole log in a file."""

    def __init__(self, url: str, log_path: Path, workers: int = 2, threads: int = 4, **env):
        self.port = free_port()
        self.log_path = log_path
        self.log = open(log_path, "w")
        settings = {key: value for key, value in os.environ.items() if not key.startswith(("NEXUS_", "GUNICORN_"))}
        settings.update(NEXUS_SQLALCHEMY_DATABASE_URI=url, NEXUS_SECRET_KEY="outage test",
                        NEXUS_JOBS_QUEUE_URL="immediate", NEXUS_JOBS_WORKER_THREADS="0",
                        NEXUS_REGISTRATIONS_PER_IP="1000 per minute", NEXUS_SAVES_PER_USER="10000 per minute",
                        NEXUS_STARTER_CONTENT="false", **env)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
             "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "--graceful-timeout", "5", "wsgi:app"],
            cwd=ROOT, env=settings, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                assert self.proc.poll() is None and time.monotonic() < deadline, self.output()
                time.sleep(0.1)

    def workers(self) -> list[int]:
        """The pids of the master's worker processes."""
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    pids.append(int(entry.name))
        return pids

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def stop(self) -> str:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        return self.log_path.read_text()


@pytest.fixture
def serve(tmp_path):
    servers = []

    def start(url, **kwargs):
        server = Server(url, tmp_path / f"gunicorn{len(servers)}.log", **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


class Client:
    """A browser-like HTTP client: cookies, forms; ``None`` status when the connection broke."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, form: dict | None = None, timeout: float = 30):
        return http_request(self.port, method, path, self.cookies, form, timeout=timeout)

    def login(self, name: str) -> None:
        _, page = self.request("GET", "/-/login")
        response, _ = self.request("POST", "/-/login", {
            "csrf_token": TOKEN.search(page).group(1), "username": name, "password": PASSWORD})
        assert response.status == 303

    def register(self, name: str) -> None:
        _, page = self.request("GET", "/-/register")
        response, _ = self.request("POST", "/-/register", {
            "csrf_token": TOKEN.search(page).group(1), "username": name,
            "password": PASSWORD, "password_confirm": PASSWORD})
        assert response.status == 303

    def editor(self, title: str) -> tuple[str, dict]:
        """The edit form of ``title``: its text and its hidden fields."""
        response, page = self.request("GET", f"/wiki/{title}/-/edit")
        assert response.status == 200, page
        return (html.unescape(BODY.search(page).group(1)).replace("\r\n", "\n"),
                {"csrf_token": TOKEN.search(page).group(1), "base_revision": BASE.search(page).group(1)})


def wait_for(predicate, timeout: float = 10, step: float = 0.01):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(step)


def history(app, title_key: str):
    with app.app_context():
        rows = db.session.execute(
            select(Revision.number, Revision.summary, Revision.source).join(Page, Page.id == Revision.page_id)
            .where(Page.title_key == title_key).order_by(Revision.number)).all()
        db.session.remove()
        return rows


def make_page(app, title: str, body: str) -> None:
    with app.app_context():
        pages.save_page(title, body, "", None, base_revision=0)
        db.session.remove()


# --- The database goes away --------------------------------------------------------------------


class Looper(threading.Thread):
    """GETs ``paths`` over and over, keeping (time, path, status, page) of every answer."""

    def __init__(self, client: Client, paths: list[str], pause: float):
        super().__init__(daemon=True)
        self.client, self.paths, self.pause = client, paths, pause
        self.answers: list[tuple[float, str, int, str, str | None]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            for path in self.paths:
                try:
                    response, page = self.client.request("GET", path, timeout=10)
                    self.answers.append((time.monotonic(), path, response.status, page, response.getheader("Retry-After")))
                except OSError as error:
                    self.answers.append((time.monotonic(), path, 0, repr(error), None))
            self.stopping.wait(self.pause)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)


def test_a_ten_second_outage_answers_in_the_wikis_own_words_and_logs_a_screenful(checker, proxy, serve, database):
    make_page(checker, "Home", "Welcome home")
    make_page(checker, "Notes", "Some notes")
    url = make_url(database).set(port=proxy.port, query={"connect_timeout": "3"}).render_as_string(hide_password=False)
    server = serve(url)
    editor = Client(server.port)
    editor.register("alice")
    body, hidden = editor.editor("Notes")
    reader = Looper(Client(server.port), ["/wiki/Home", "/-/recent"], pause=0.05)
    browsing = Looper(editor, ["/wiki/Home", "/wiki/Notes/-/history"], pause=0.1)
    reader.start()
    browsing.start()
    wait_for(lambda: len(reader.answers) > 4 and len(browsing.answers) > 4)
    log_before = len(server.output().splitlines())

    proxy.cut()
    cut_at = time.monotonic()
    time.sleep(1)
    typed = body + "\nWritten while the database was away <and> it must not be lost.\n"
    response, page = editor.request("POST", "/wiki/Notes/-/edit", {**hidden, "body": typed, "summary": "kept"})
    assert response.status == 503 and response.getheader("Retry-After") == "5", page
    assert html.unescape(BODY.search(page).group(1)).replace("\r\n", "\n") == typed
    assert "so nothing was changed" in page and 'class="site-header"' in page
    time.sleep(max(0.0, 10 - (time.monotonic() - cut_at)))
    proxy.restore()
    restored_at = time.monotonic()
    wait_for(lambda: any(t > restored_at and status == 200 for t, _p, status, _b, _r in reader.answers), timeout=5)
    wait_for(lambda: any(t > restored_at and status == 200 for t, _p, status, _b, _r in browsing.answers), timeout=5)
    time.sleep(0.5)
    reader.stop()
    browsing.stop()

    # Every answer during the outage was the wiki's own 503; it answered again within 0.3 s.
    for looper, who in ((reader, "visitor"), (browsing, "editor")):
        during = [a for a in looper.answers if cut_at + 0.2 < a[0] < restored_at]
        assert len(during) > 20, (who, len(during))
        assert {status for _t, _p, status, _b, _r in during} == {503}, (who, [a[:3] for a in during if a[2] != 503])
        assert all("The wiki is unavailable for a moment" in answer and retry == "5"
                   for _t, _p, _s, answer, retry in during), who
        back = min(t for t, _p, status, _b, _r in looper.answers if t > restored_at and status == 200)
        failed_after = [a for a in looper.answers if restored_at + 0.3 < a[0] and a[2] != 200]
        assert back - restored_at < 0.3 + looper.pause + 0.1, (who, back - restored_at)
        assert not failed_after, (who, [a[:3] for a in failed_after])

    # The text comes back in the form: saved once the database answers again.
    hidden["csrf_token"] = TOKEN.search(page).group(1)
    response, _ = editor.request("POST", "/wiki/Notes/-/edit", {**hidden, "body": typed, "summary": "kept"})
    assert response.status == 303
    assert history(checker, "notes")[-1][1:] == ("kept", typed)

    # The log of the outage: a screenful, no traceback, each line naming the component.
    log = server.stop().splitlines()[log_before:]
    outage = [line for line in log if "unavailable=database" in line or "database unreachable" in line
              or "database reachable again" in line]
    assert "Traceback" not in "\n".join(log), "\n".join(log)
    assert len(outage) <= 60, "\n".join(outage)
    assert [line for line in outage if "database unreachable: " in line], "\n".join(log)
    assert [line for line in outage if "database reachable again after" in line], "\n".join(log)
    for line in log:
        if re.search(r"\] (GET|POST) \S+ 503 ", line):
            assert "unavailable=database" in line, line
    print(f"{len(reader.answers) + len(browsing.answers)} requests, log of the outage:", *outage, sep="\n")


@pytest.mark.parametrize("committed", [True, False], ids=["committed", "not-committed"])
def test_a_connection_lost_during_the_commit_is_reported_as_unknown(checker, proxy, serve, database, committed):
    make_page(checker, "Notes", "Some notes")
    url = make_url(database).set(port=proxy.port, query={"connect_timeout": "3"}).render_as_string(hide_password=False)
    server = serve(url, workers=1, threads=1)
    editor = Client(server.port)
    editor.register("alice")
    body, hidden = editor.editor("Notes")
    proxy.trap_commit("after" if committed else "before")
    response, page = editor.request("POST", "/wiki/Notes/-/edit", {**hidden, "body": "Did it?\n", "summary": "s"})
    assert response.status == 503 and response.getheader("Retry-After") == "5", page
    assert "cannot tell whether it went through" in page and '<a href="/wiki/Notes/-/history"' in page
    assert html.unescape(BODY.search(page).group(1)) == "Did it?\n"
    proxy.restore()
    saved = [row[2] for row in history(checker, "notes")]
    assert saved == (["Some notes", "Did it?\n"] if committed else ["Some notes"])
    hidden["csrf_token"] = TOKEN.search(page).group(1)
    response, _ = editor.request("POST", "/wiki/Notes/-/edit", {**hidden, "body": "Did it?\n", "summary": "s"})
    assert response.status == 303  # saved now, or "no changes": never twice
    assert [row[2] for row in history(checker, "notes")] == ["Some notes", "Did it?\n"]
    assert "Traceback" not in server.stop()


# --- Workers killed during saves ------------------------------------------------------------------


def test_workers_killed_again_and_again_during_saves_lose_no_save(checker, serve, database):
    clients_count, saves, enough_kills = 4, 20, 8
    make_page(checker, "Shared", "".join(f"client {i}: 0\n" for i in range(clients_count)))
    with checker.app_context():
        for i in range(clients_count):
            users.create_user(f"editor{i}", PASSWORD)
        db.session.remove()
    server = serve(database, workers=2, threads=2)
    accepted, unknown, errors, kills = [], [], [], [0]

    def retried(action):
        """``action()``, again while a worker dies under it (the connection breaks)."""
        for _ in range(100):
            try:
                return action()
            except (OSError, AssertionError, AttributeError, http.client.HTTPException) as error:
                last = error
                time.sleep(0.1)
        raise AssertionError(f"no answer in 100 tries: {last!r}")

    def edit(i):
        client = Client(server.port)
        retried(lambda: client.login(f"editor{i}"))
        k = 0
        while k < saves or kills[0] < enough_kills:  # saves go on until workers died enough times
            k += 1
            summary = f"client {i} save {k}"
            text_, hidden = retried(lambda: client.editor("Shared"))
            lines = text_.split("\n")
            lines[i] = f"client {i}: {k}"
            try:
                response, _ = client.request("POST", "/wiki/Shared/-/edit",
                                             {**hidden, "body": "\n".join(lines), "summary": summary})
            except (OSError, http.client.HTTPException):
                unknown.append(summary)  # killed mid-request: saved or not, never half
                continue
            if response.status == 303:
                accepted.append(summary)
            else:
                errors.append((summary, response.status))

    def guarded(i):
        try:
            edit(i)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(clients_count)]
    for thread in threads:
        thread.start()
    seen: dict[int, float] = {}  # worker pid -> when it was first seen
    progress = [0]  # saves accepted when a worker was last killed
    while any(thread.is_alive() for thread in threads):
        time.sleep(0.5)
        workers = server.workers()
        now = time.monotonic()
        for pid in workers:
            seen.setdefault(pid, now)
        # One of them serves while the other starts again; a worker is killed only once it has
        # had time to boot and serve, else on a loaded machine no worker would ever answer.
        # Kill again only once a save went through since the last kill: a worker that boots
        # slowly is not killed before any worker could answer.
        booted = sorted((pid for pid in workers if now - seen[pid] >= 2.0), key=seen.get)
        if len(workers) == 2 and booted and len(accepted) > progress[0]:
            os.kill(booted[0], signal.SIGKILL)
            kills[0] += 1
            progress[0] = len(accepted)
    for thread in threads:
        thread.join()
    assert not errors, errors
    rows = history(checker, "shared")
    saved = [summary for _n, summary, _s in rows[1:]]
    assert [n for n, _s, _b in rows] == list(range(1, len(rows) + 1))  # no gap, no duplicate number
    assert set(accepted) <= set(saved), set(accepted) - set(saved)  # no accepted save lost
    assert set(saved) <= set(accepted) | set(unknown)  # nothing saved that nobody sent
    assert len(saved) == len(set(saved))  # nothing saved twice
    with checker.app_context():
        current = db.session.scalar(select(Page.current_revision_id).where(Page.title_key == "shared"))
        newest = db.session.scalar(select(func.max(Revision.id)).join(Page, Page.id == Revision.page_id)
                                   .where(Page.title_key == "shared"))
        db.session.remove()
    assert current == newest
    final = rows[-1][2]
    for i in range(clients_count):  # each client's last saved line is in the text
        mine = [int(s.rsplit(" ", 1)[1]) for s in saved if s.startswith(f"client {i} ")]
        assert f"client {i}: {max(mine) if mine else 0}\n" in final
    assert kills[0] >= enough_kills and len(accepted) >= clients_count * saves // 2, (kills, len(accepted))
    print(f"{kills[0]} workers killed; {len(accepted)} saves accepted, {len(unknown)} cut short")


# --- An export while saves go on ---------------------------------------------------------------


def test_an_export_taken_under_write_load_imports_cleanly(checker, serve, database, tmp_path):
    for n in range(20):
        make_page(checker, f"Page {n}", f"Page {n}, linking [[Page {(n + 1) % 20}]]\n")
    server = serve(database, workers=2, threads=4)
    stop, errors, done = threading.Event(), [], []

    def write(i):
        client = Client(server.port)
        client.register(f"writer{i}")
        k = 0
        while not stop.is_set():
            k += 1
            title = f"Page_{(i * 7 + k) % 20}" if k % 3 else f"New_{i}_{k}"
            try:
                text_, hidden = client.editor(title)
                response, _ = client.request("POST", f"/wiki/{title}/-/edit", {
                    **hidden, "body": text_ + f"\nline {k} by {i} [[New {i} {k + 1}]]\n", "summary": f"{i}/{k}"})
                if response.status not in (303, 409):
                    errors.append((title, response.status))
                done.append(1)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(repr(error))

    writers = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for thread in writers:
        thread.start()
    wait_for(lambda: len(done) > 10, timeout=30)
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEXUS_")}
    env.update(NEXUS_SECRET_KEY="outage test", NEXUS_JOBS_QUEUE_URL="immediate", NEXUS_STARTER_CONTENT="false")
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    exports = []
    for n in range(3):  # three exports, each while the writers go on
        target = tmp_path / f"export{n}"
        result = subprocess.run([*flask, "export", str(target)], cwd=ROOT, capture_output=True, text=True,
                                timeout=120, env={**env, "NEXUS_SQLALCHEMY_DATABASE_URI": database})
        assert result.returncode == 0, result.stderr
        exports.append((target, result.stdout))
    stop.set()
    for thread in writers:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(done) > 30, len(done)
    for n, (target, summary) in enumerate(exports):
        imported = "sqlite:///" + str(tmp_path / f"imported{n}.db")
        migrate = subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                                 env={**env, "NEXUS_SQLALCHEMY_DATABASE_URI": imported})
        assert migrate.returncode == 0, migrate.stderr
        result = subprocess.run([*flask, "import", str(target)], cwd=ROOT, capture_output=True, text=True,
                                timeout=300, env={**env, "NEXUS_SQLALCHEMY_DATABASE_URI": imported})
        assert result.returncode == 0, result.stdout + result.stderr
        counts = re.search(r"Exported (\d+) pages \((\d+) revisions\) and (\d+) users", summary).groups()
        assert f"Imported {counts[0]} pages ({counts[1]} revisions) and {counts[2]} users." in result.stdout
    assert "Traceback" not in server.stop()
