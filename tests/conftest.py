"""Fixtures: an app on a migrated database (SQLite always, PostgreSQL when TEST_DATABASE_URL
is set, the database created when missing), wiped after every test, plus factories for users
and pages, a form-posting helper and ``redis_url``: a private Redis for the session."""
import os
import re
import shutil
import subprocess
import time

import psycopg
import pytest
import redis
from flask_migrate import upgrade
from psycopg import sql
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support import free_port
from wiki import create_app
from wiki.extensions import db
from wiki.models import User
from wiki.services import pages as page_service
from wiki.services import users as user_service

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
DATABASES = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])
PASSWORD = "correct horse battery"
TABLES = ("path_follows", "path_progress", "path_steps", "learning_paths",  # issue 20
          "page_tags", "section_reviews", "page_reviews", "broken_links", "search_index_comments", "discussion_comment_versions", "discussion_comments", "discussion_threads",
          "discussion_states", "webhook_deliveries", "webhooks", "api_tokens",
          "notifications", "watches", "user_preferences", "page_events", "scheduled_runs",
          "file_links", "file_variants", "file_versions", "files", "blobs",
          "jobs", "search_index_titles", "search_index", "links", "revisions", "pages", "audit_events", "invitations", "users")


def pytest_configure(config):
    if os.environ.get("CI") and not TEST_DATABASE_URL:
        raise pytest.UsageError("CI must set TEST_DATABASE_URL: the PostgreSQL tests may not be skipped.")


def _base_config(url: str) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test secret",
        "SQLALCHEMY_ENGINE_OPTIONS": {},  # the wiki's own: idle connections are tested (wiki.web.outages)
        # Jobs run inside the request, right after its commit, so a test sees their effect at
        # once; tests of the queue itself (tests/services/test_jobs.py) choose another.
        "JOBS_QUEUE_URL": "immediate",
        "JOBS_WORKER_THREADS": 0,
    }


def _migrate(url: str) -> None:
    """Bring an empty database to the newest schema through the migrations, as production does."""
    app = create_app(_base_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _connect_postgresql(url, database: str):
    params = {k: v for k, v in url.query.items() if isinstance(v, str)}
    return psycopg.connect(host=url.host, port=url.port, user=url.username, password=url.password,
                           dbname=database, connect_timeout=10, autocommit=True, **params)


def ensure_postgresql_database(url: str) -> None:
    """Create the test database when it does not exist yet, through the server's ``postgres``
    maintenance database; stop the session with what to set when the server cannot be reached."""
    parsed = make_url(url)
    try:
        _connect_postgresql(parsed, parsed.database).close()
        return
    except psycopg.OperationalError as error:
        first_error = error
    try:
        with _connect_postgresql(parsed, "postgres") as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)).fetchone()
            if exists:
                raise first_error  # it is there, but we may not connect to it: say why
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parsed.database)))
    except psycopg.errors.DuplicateDatabase:
        pass  # another test session created it in the meantime
    except psycopg.Error as error:
        pytest.exit(
            f"TEST_DATABASE_URL={parsed.render_as_string(hide_password=True)}: cannot connect to or create "
            f"the database {parsed.database!r} ({str(error).strip()}).\nStart that PostgreSQL server, or set "
            "TEST_DATABASE_URL to one whose user may create databases, e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test (unset, the tests run on SQLite only).",
            returncode=pytest.ExitCode.TESTS_FAILED)


def reset_postgresql(url: str) -> None:
    """Drop everything in the test database's public schema."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory):
    """One migrated database per engine for the whole session; tests wipe rows, not schema."""
    urls = {"sqlite": "sqlite:///" + str(tmp_path_factory.mktemp("db") / "wiki.db")}
    if TEST_DATABASE_URL:
        ensure_postgresql_database(TEST_DATABASE_URL)
        reset_postgresql(TEST_DATABASE_URL)
        urls["postgresql"] = TEST_DATABASE_URL
    for url in urls.values():
        _migrate(url)
    return urls


def _start_redis(binary: str, directory) -> tuple[subprocess.Popen, str]:
    """A redis-server on a free loopback port, keeping nothing on disk; (process, URL)."""
    log = directory / "redis.log"
    for _ in range(5):  # another process may take the free port before redis-server binds it
        port = free_port()
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(directory), "--logfile", str(log), "--daemonize", "no"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 15
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                with redis.Redis.from_url(url, socket_timeout=1) as client:
                    client.ping()
                return proc, url
            except redis.ConnectionError:
                time.sleep(0.05)
        proc.kill()
        proc.wait()
        output = log.read_text() if log.exists() else ""
        if "Address already in use" not in output:
            break
    pytest.fail(f"{binary} did not start (log {log}):\n{output}", pytrace=False)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """The Redis URL for every test that needs Redis (shared rate limits, job queues): the server
    of NEXUS_TEST_REDIS_URL when set, else a private redis-server started for this session on a
    free port and stopped at its end. Shared by the whole session: give keys a per-test prefix.
    Without redis-server the tests that need it fail, never skip: multi-process deployments
    depend on Redis."""
    override = os.environ.get("NEXUS_TEST_REDIS_URL", "")
    if override:
        yield override
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("The Redis tests need redis-server (the session starts a private one): run "
                    "'sudo apt-get install -y redis-server' (make test does this when run as root), or set "
                    "NEXUS_TEST_REDIS_URL to a Redis to use.", pytrace=False)
    proc, url = _start_redis(binary, tmp_path_factory.mktemp("redis"))
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wipe(app) -> None:
    """Delete every row, so the next test starts from an empty wiki."""
    with app.app_context():
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
            else:
                conn.execute(text("UPDATE pages SET current_revision_id = NULL"))
                for table in TABLES:
                    conn.execute(text(f"DELETE FROM {table}"))
        db.engine.dispose()


@pytest.fixture
def app_config():
    """Extra configuration for the app; a test module overrides this fixture to change it."""
    return {}


@pytest.fixture(params=DATABASES)
def app(request, database_urls, tmp_path, app_config):
    """A fresh app on an empty, migrated database of each kind."""
    config = _base_config(database_urls[request.param])
    config.update(app_config)
    app = create_app(config)
    app.instance_path = str(tmp_path)
    yield app
    wipe(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """make_user(username="alice", password=PASSWORD, role="editor") -> User (detached ids ok)."""

    def make(username="alice", password=PASSWORD, role="editor") -> User:
        with app.app_context():
            user = user_service.create_user(username, password, role=role)
            db.session.refresh(user)  # load every column before detaching it
            db.session.expunge(user)
            return user

    return make


@pytest.fixture
def make_page(app):
    """make_page(title, body, author=None, summary="") -> revision number saved."""

    def make(title, body, author=None, summary=""):
        with app.app_context():
            author_row = db.session.get(User, author.id) if author is not None else None
            page = page_service.find_page(title)
            base = page.current_revision.number if page else 0
            result = page_service.save_page(title, body, summary, author_row, base_revision=base)
            return result.revision.number

    return make


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, url="/-/login") -> str:
    """The CSRF token a form at ``url`` carries for this client's session."""
    response = client.get(url)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no csrf_token in the form at {url} ({response.status_code})"
    return match.group(1)


def post_form(client, url, data, form_url=None, **kwargs):
    """POST ``data`` with a valid CSRF token, as a browser submitting the form would."""
    token = csrf_token(client, form_url or url)
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


@pytest.fixture
def login(client):
    """login(user_or_name, password=PASSWORD): log the test client in through the form."""

    def do(user, password=PASSWORD):
        name = user if isinstance(user, str) else user.username
        response = post_form(client, "/-/login", {"username": name, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)
        return response

    return do


@pytest.fixture
def editor(make_user, login):
    """A logged-in editor named alice."""
    user = make_user("alice")
    login(user)
    return user
