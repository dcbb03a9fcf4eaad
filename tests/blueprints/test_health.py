"""/healthz: 200 only when the database answers and its schema is at the migrations' head."""
import pytest
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import make_url, text

from tests.conftest import TEST_DATABASE_URL, _base_config
from wiki import MIGRATIONS_DIR, create_app
from wiki.blueprints.health import views as health
from wiki.extensions import db

SCRIPTS = ScriptDirectory(str(MIGRATIONS_DIR))
HEAD = SCRIPTS.get_current_head()
PREVIOUS = SCRIPTS.get_revision(HEAD).down_revision


def test_a_migrated_database_is_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok", "database": "ok", "migrations": "current", "revision": HEAD,
        "jobs": {"queue": "immediate", "broker": "ok", "queued": 0, "running": 0, "failed": 0, "messages": 0},
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_a_database_one_migration_behind_is_pending(app, client):
    with app.app_context():
        downgrade(revision="-1")
        db.engine.dispose()
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.get_json() == {
            "status": "error", "database": "ok", "migrations": "pending", "current": PREVIOUS, "head": HEAD,
        }
    finally:
        with app.app_context():
            upgrade()
            db.engine.dispose()
    # `flask db upgrade` is all it takes to be healthy again.
    assert client.get("/healthz").status_code == 200


def test_a_database_stamped_by_a_newer_release_is_reported_unknown(app, client):
    """After rolling the code back past a migration, upgrading cannot help: say so."""
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.get_json()["migrations"] == "unknown"
        assert response.get_json()["current"] == "9999_future"
    finally:
        with app.app_context():
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": HEAD})
            db.engine.dispose()


def test_a_never_migrated_database_is_pending(tmp_path):
    app = create_app(_base_config("sqlite:///" + str(tmp_path / "empty.db")))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "error", "database": "ok", "migrations": "pending", "current": None, "head": HEAD,
    }


UNREACHABLE = ["sqlite:////nonexistent-directory/nexus/wiki.db"]
if TEST_DATABASE_URL:
    # Same server, a port where nothing listens: refused at once.
    UNREACHABLE.append(make_url(TEST_DATABASE_URL).set(port=1).render_as_string(hide_password=False))


@pytest.mark.parametrize("url", UNREACHABLE, ids=lambda url: url.split(":")[0])
def test_an_unreachable_database_answers_503_without_details(url, tmp_path):
    app = create_app({**_base_config(url), "PROPAGATE_EXCEPTIONS": False})
    app.instance_path = str(tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "nonexistent" not in body and "port" not in body


def test_the_migration_scripts_are_read_once_not_per_request(client, monkeypatch):
    assert client.get("/healthz").status_code == 200

    def no_parsing(*args, **kwargs):
        raise AssertionError("a health check read the migration scripts again")

    monkeypatch.setattr(health, "ScriptDirectory", no_parsing)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
