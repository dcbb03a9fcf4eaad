"""The schema comes only from migrations, and the migrations match the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from tests.conftest import TEST_DATABASE_URL, _base_config, reset_postgresql
from wiki import create_app
from wiki.extensions import db


def _check_fresh_database(url):
    app = create_app(_base_config(url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], f"models and migrations disagree: {differences}"
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()


def test_migrations_build_the_schema_the_models_describe_on_sqlite(tmp_path):
    _check_fresh_database("sqlite:///" + str(tmp_path / "fresh.db"))


def test_migrations_build_the_schema_the_models_describe_on_postgresql(database_urls):
    if not TEST_DATABASE_URL:
        import pytest

        pytest.skip("TEST_DATABASE_URL is not set (CI sets it and fails without it)")
    # The session's database is in use by other tests' fixtures only between tests;
    # rebuild it from scratch here and leave it migrated as we found it.
    reset_postgresql(TEST_DATABASE_URL)
    _check_fresh_database(TEST_DATABASE_URL)
    engine = create_engine(TEST_DATABASE_URL)
    assert "revisions" in inspect(engine).get_table_names()
    engine.dispose()
