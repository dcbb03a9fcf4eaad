"""Migration 0014 fills page_tags from the live pages' current sources (issue 20)."""
from flask_migrate import upgrade
from sqlalchemy import text

from tests.conftest import _base_config
from wiki import create_app
from wiki.extensions import db

PAGE = ("INSERT INTO pages (id, title, title_key, created_at, protection, deleted) "
        "VALUES (:id, :title, :key, '2026-01-01 00:00:00+00:00', 'none', :deleted)")
REVISION = ("INSERT INTO revisions (id, page_id, number, created_at, summary, source, html, toc, size, parent_size) "
            "VALUES (:id, :id, 1, '2026-01-01 00:00:00+00:00', '', :source, '', '', 1, 0)")


def test_upgrading_tags_the_existing_pages(tmp_path):
    app = create_app(_base_config("sqlite:///" + str(tmp_path / "old.db")))
    with app.app_context():
        upgrade(revision="0013")
        pages = [(1, "Tagged", "---\ntags: Redis, caching, not/valid\n---\nText", False),
                 (2, "Deleted", "---\ntags: gone\n---\n", True),
                 (3, "Alias", "#REDIRECT [[Tagged]]", False),
                 (4, "Plain", "No front matter", False)]
        with db.engine.begin() as conn:
            for page_id, title, source, deleted in pages:
                conn.execute(text(PAGE), {"id": page_id, "title": title, "key": title.lower(), "deleted": deleted})
                conn.execute(text(REVISION), {"id": page_id, "source": source})
            conn.execute(text("UPDATE pages SET current_revision_id = id"))
        upgrade()
        with db.engine.connect() as conn:
            rows = set(conn.execute(text("SELECT page_id, tag FROM page_tags")).all())
        assert rows == {(1, "redis"), (1, "caching")}
        db.engine.dispose()
