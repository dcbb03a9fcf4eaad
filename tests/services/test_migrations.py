"""The schema comes only from migrations, and the migrations match the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from tests.conftest import TEST_DATABASE_URL, _base_config, reset_postgresql
from wiki import create_app
from wiki.extensions import db, include_name


def _check_fresh_database(url):
    app = create_app(_base_config(url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], f"models and migrations disagree: {differences}"
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}, inspect(db.engine).get_table_names()
        upgrade()
        db.engine.dispose()


def _upgrade_with_data(url):
    """Stop at the first migration, add rows that reference each other, upgrade to the head:
    a real wiki upgrades with data in it, and SQLite's table rebuilds must not break it."""
    app = create_app(_base_config(url))
    with app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, username, username_key, password_hash, role, created_at, active) "
                "VALUES (1, 'ann', 'ann', 'x', 'editor', '2026-01-01 00:00:00+00:00', true)"))
            conn.execute(text(
                "INSERT INTO pages (id, title, title_key, created_at, protection, deleted) "
                "VALUES (1, 'Home', 'home', '2026-01-01 00:00:00+00:00', 'none', false)"))
            conn.execute(text(
                "INSERT INTO revisions (id, page_id, number, author_id, created_at, summary, source, html, "
                "toc, size, parent_size) VALUES (1, 1, 1, 1, '2026-01-01 00:00:00+00:00', 's', 'src', "
                "'<h2 id=\"a\">Intro<a class=\"headerlink\" href=\"#a\">¶</a></h2><p>src text</p>', '', 3, 0)"))
            conn.execute(text("UPDATE pages SET current_revision_id = 1"))
            conn.execute(text(
                "INSERT INTO links (source_page_id, target_title, target_key) VALUES (1, 'X', 'x')"))
        upgrade(revision="0019")
        with db.engine.begin() as conn:
            # What a bulk import left before migration 0020: the page in search_index only.
            conn.execute(text("DELETE FROM search_index_titles"))
        upgrade()
        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT source, minor, headings FROM revisions")).one()
            assert tuple(row) == ("src", False, "")
            assert conn.execute(text("SELECT current_revision_id FROM pages")).scalar() == 1
            # Migration 0004 indexed the existing page's visible text for search.
            assert conn.execute(text("SELECT title, body FROM search_index")).one() == ("Home", "Intro\nsrc text")
            # Migration 0020 gave it back its row in the index of titles (title matches come first).
            assert conn.execute(text("SELECT title FROM search_index_titles")).scalars().all() == ["Home"]
        db.engine.dispose()


def test_upgrading_a_wiki_with_pages_in_it_on_sqlite(tmp_path):
    _upgrade_with_data("sqlite:///" + str(tmp_path / "old.db"))


def test_upgrading_a_wiki_with_pages_in_it_on_postgresql(database_urls):
    if not TEST_DATABASE_URL:
        import pytest

        pytest.skip("TEST_DATABASE_URL is not set (CI sets it and fails without it)")
    reset_postgresql(TEST_DATABASE_URL)
    try:
        _upgrade_with_data(TEST_DATABASE_URL)
    finally:
        # Leave the shared test database as the other tests expect it: empty, at the head.
        reset_postgresql(TEST_DATABASE_URL)
        _check_fresh_database(TEST_DATABASE_URL)


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
