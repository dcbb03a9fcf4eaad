"""Link health (issue 20): the broken links of every page's current revision, one row per
line showing one, written on save and re-rendering. Existing pages fill it when rendered
again: run ``flask rerender`` once after upgrading.

Revision ID: 0017
Revises: 0013
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("broken_links",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("source_page_id", sa.Integer(), nullable=False),
    sa.Column("kind", sa.String(length=8), nullable=False),
    sa.Column("target_title", sa.String(length=255), nullable=False),
    sa.Column("section", sa.String(length=255), nullable=True),
    sa.Column("line", sa.Integer(), nullable=True),
    sa.Column("section_number", sa.Integer(), nullable=True),
    sa.Column("suggestion", sa.String(length=255), nullable=True),
    sa.Column("suggestion_anchor", sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(["source_page_id"], ["pages.id"], name=op.f("fk_broken_links_source_page_id_pages"),
                            ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_broken_links"))
    )
    with op.batch_alter_table("broken_links", schema=None) as batch_op:
        batch_op.create_index("ix_broken_links_source_page_id", ["source_page_id"], unique=False)
        batch_op.create_index("ix_broken_links_kind_source", ["kind", "source_page_id"], unique=False)


def downgrade():
    with op.batch_alter_table("broken_links", schema=None) as batch_op:
        batch_op.drop_index("ix_broken_links_kind_source")
        batch_op.drop_index("ix_broken_links_source_page_id")
    op.drop_table("broken_links")
