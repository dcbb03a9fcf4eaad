"""Fixtures: an app on a migrated database (SQLite always, PostgreSQL when TEST_DATABASE_URL
is set), wiped after every test, plus factories for users and pages and a form-posting helper."""
import os
import re

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from wiki import create_app
from wiki.extensions import db
from wiki.models import User
from wiki.services import pages as page_service
from wiki.services import users as user_service

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
DATABASES = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])
PASSWORD = "correct horse battery"
TABLES = ("search_index", "links", "revisions", "pages", "audit_events", "invitations", "users")


def pytest_configure(config):
    if os.environ.get("CI") and not TEST_DATABASE_URL:
        raise pytest.UsageError("CI must set TEST_DATABASE_URL: the PostgreSQL tests may not be skipped.")


def _base_config(url: str) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test secret",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    }


def _migrate(url: str) -> None:
    """Bring an empty database to the newest schema through the migrations, as production does."""
    app = create_app(_base_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


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
        reset_postgresql(TEST_DATABASE_URL)
        urls["postgresql"] = TEST_DATABASE_URL
    for url in urls.values():
        _migrate(url)
    return urls


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
