"""A pooled connection the database dropped while it idled (wiki.web.outages, instead of
pool_pre_ping on every checkout): tested and replaced after DATABASE_PING_AFTER_IDLE seconds,
used at once before. Real PostgreSQL: its backend is ended with pg_terminate_backend."""
import time

import pytest
from sqlalchemy import text

from wiki.extensions import db


@pytest.fixture
def app_config(request):
    return {"DATABASE_PING_AFTER_IDLE": getattr(request, "param", 0.2)}


@pytest.fixture
def pg_app(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("a server-side connection to end: PostgreSQL only (SQLite has none)")
    return app


def pooled_backend(app) -> int:
    """The process id of the one connection the app's pool holds after a request."""
    with app.app_context():
        db.engine.dispose()
    assert app.test_client().get("/-/recent").status_code == 200
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        db.session.remove()
    return pid


def terminate(app, pid: int) -> None:
    with app.app_context():
        with db.engine.connect() as other:  # a second, new connection of the same pool
            other = other.execution_options(isolation_level="AUTOCOMMIT")
            assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()


def test_a_connection_dropped_while_idle_is_replaced_before_a_request_uses_it(pg_app):
    pid = pooled_backend(pg_app)
    terminate(pg_app, pid)
    time.sleep(0.5)
    response = pg_app.test_client().get("/wiki/Nowhere")
    assert response.status_code == 404  # the wiki's answer: the dead connection was replaced
    assert "unavailable" not in response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [3600], indirect=True)
def test_one_used_a_moment_ago_fails_one_request_and_the_next_finds_a_new_one(pg_app):
    # Not tested before use (it idled less than the setting): the request that meets it gets
    # the wiki's own 503, and that failure marks the whole pool invalid, so the next is whole.
    pid = pooled_backend(pg_app)
    terminate(pg_app, pid)
    first = pg_app.test_client().get("/wiki/Nowhere")
    assert first.status_code == 503 and "The wiki is unavailable for a moment" in first.get_data(as_text=True)
    assert pg_app.test_client().get("/wiki/Nowhere").status_code == 404


def test_the_setting_must_be_a_number_of_seconds(app_config, database_urls):
    from tests.conftest import _base_config
    from wiki import create_app

    with pytest.raises(ValueError, match="DATABASE_PING_AFTER_IDLE must be a number of seconds"):
        create_app({**_base_config(database_urls["sqlite"]), "DATABASE_PING_AFTER_IDLE": "soon"})
