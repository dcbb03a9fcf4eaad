"""The titles of pages created in bulk, in the index of titles (issue 21).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02

Pages written by ``import-markdown`` and ``import`` (wiki.services.bulkpages, backup) were
put in search_index but not in search_index_titles (migration 0018), so search never found
them as title matches: a search for "tar" on an imported tldr-pages did not list
pages/common/tar first. The services fill both now; this adds the missing title rows from
search_index, which holds each indexed page's title (with its display title) already.
"""
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("INSERT INTO search_index_titles (rowid, title) SELECT rowid, title FROM search_index "
                   "WHERE rowid NOT IN (SELECT rowid FROM search_index_titles)")
    else:
        op.execute("INSERT INTO search_index_titles (page_id, title) SELECT page_id, title FROM search_index s "
                   "WHERE NOT EXISTS (SELECT 1 FROM search_index_titles t WHERE t.page_id = s.page_id)")


def downgrade():
    pass  # the added rows are what the index of titles should always have held
