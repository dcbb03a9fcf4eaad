"""Full-text search index: FTS5 on SQLite, a tsvector with a GIN index on PostgreSQL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

The index holds the title and the plain text of each live page's current revision. It is
kept up to date by the save, rename, delete and restore services in their transactions;
``flask --app wsgi search-reindex`` rebuilds it. This migration fills it for existing pages.
"""
from html.parser import HTMLParser

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


class _Text(HTMLParser):
    """Visible text of stored page HTML, as wiki.core.searchtext.html_to_text gives it (kept
    here, frozen, so this migration does not change when the application code does)."""

    SKIP = {"headerlink", "section-edit"}
    BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "tr", "blockquote", "div", "dt", "dd"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag == "a" and self.SKIP & set((dict(attrs).get("class") or "").split()):
            self.skip += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag == "a" and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def _plain(page_html: str) -> str:
    parser = _Text()
    parser.feed(page_html)
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_index USING fts5("
            "title, body, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        insert = "INSERT INTO search_index (rowid, title, body) VALUES (:id, :title, :body)"
    else:
        op.execute(
            """
            CREATE TABLE search_index (
                page_id INTEGER PRIMARY KEY REFERENCES pages (id) ON DELETE CASCADE,
                title TEXT NOT NULL,
                body TEXT NOT NULL,
                document tsvector GENERATED ALWAYS AS (
                    setweight(to_tsvector('english', title), 'A')
                    || setweight(to_tsvector('english', body), 'B')
                ) STORED
            )
            """
        )
        op.execute("CREATE INDEX ix_search_index_document ON search_index USING GIN (document)")
        insert = "INSERT INTO search_index (page_id, title, body) VALUES (:id, :title, :body)"
    rows = bind.execute(sa.text(
        "SELECT pages.id, pages.title, revisions.html FROM pages "
        "JOIN revisions ON revisions.id = pages.current_revision_id WHERE NOT pages.deleted"
    )).all()
    for page_id, title, page_html in rows:
        bind.execute(sa.text(insert), {"id": page_id, "title": title, "body": _plain(page_html)})


def downgrade():
    op.execute("DROP TABLE search_index")
