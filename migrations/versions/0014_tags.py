"""Tags (issue 20): the page_tags table, filled from every live page's current revision.

Tags live in the source (the ``tags:`` front matter, wiki.core.tags), so the table is filled
here from each live page's current source alone; redirects have none.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

from wiki.core.markup.redirects import redirect_target
from wiki.core.tags import source_tags

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade():
    op.create_table(
        "page_tags",
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["page_id"], ["pages.id"], name=op.f("fk_page_tags_page_id_pages"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("page_id", "tag", name=op.f("pk_page_tags")),
    )
    op.create_index("ix_page_tags_tag", "page_tags", ["tag", "page_id"])
    connection = op.get_bind()
    pages = sa.table("pages", sa.column("id", sa.Integer), sa.column("current_revision_id", sa.Integer),
                     sa.column("deleted", sa.Boolean))
    revisions = sa.table("revisions", sa.column("id", sa.Integer), sa.column("source", sa.Text))
    page_tags = sa.table("page_tags", sa.column("page_id", sa.Integer), sa.column("tag", sa.String))
    after = 0
    while True:
        rows = connection.execute(
            sa.select(pages.c.id, revisions.c.source).join(revisions, revisions.c.id == pages.c.current_revision_id)
            .where(pages.c.id > after, pages.c.deleted.is_(False)).order_by(pages.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        inserts = [{"page_id": page_id, "tag": tag} for page_id, source in rows
                   if redirect_target(source) is None for tag in source_tags(source).tags]
        if inserts:
            connection.execute(page_tags.insert(), inserts)
        after = rows[-1][0]


def downgrade():
    op.drop_index("ix_page_tags_tag", table_name="page_tags")
    op.drop_table("page_tags")
