"""What search shows, as a number that moves on with every change to it (issue 21), and an
index of page events by page.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01

``search_index_generation`` holds one row: a counter that every transaction changing the
search index (a save, rename, delete, restore, import, re-render or comment) adds one to as
it commits (wiki.services.search.changed). The read-page door (wiki.web.readcache) keys a
cookie-less visitor's search results on it, so a repeated search is answered from the
stored answer until the next change, and never after it. The name starts with search_index
so the model comparison leaves it alone (wiki.extensions), as the index tables beside it.

``ix_page_events_page_id``: a page's history and its review list read the page's events on
every request (wiki.web.readcache's history key, wiki.services.review): without it each was
a scan of every page event in the wiki.
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "search_index_generation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("generation", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO search_index_generation (id, generation) VALUES (1, 0)")
    op.create_index("ix_page_events_page_id", "page_events", ["page_id"])


def downgrade():
    op.drop_index("ix_page_events_page_id", table_name="page_events")
    op.drop_table("search_index_generation")
