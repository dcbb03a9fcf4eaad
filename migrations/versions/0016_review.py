"""Review dates (issue 20): each page's and section's review schedule, and the heading id of a
section's "Mark verified" on its page event.

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade():
    op.create_table("page_reviews",
    sa.Column("page_id", sa.Integer(), nullable=False),
    sa.Column("interval_days", sa.Integer(), nullable=True),
    sa.Column("owner_id", sa.Integer(), nullable=True),
    sa.Column("started_at", UTC_DATETIME, nullable=False),
    sa.Column("verified_at", UTC_DATETIME, nullable=True),
    sa.Column("verified_by_id", sa.Integer(), nullable=True),
    sa.Column("due_at", UTC_DATETIME, nullable=True),
    sa.Column("first_due_at", UTC_DATETIME, nullable=True),
    sa.Column("notified_due_at", UTC_DATETIME, nullable=True),
    sa.Column("problem", sa.String(length=500), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["page_id"], ["pages.id"], name=op.f("fk_page_reviews_page_id_pages"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_page_reviews_owner_id_users"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["verified_by_id"], ["users.id"], name=op.f("fk_page_reviews_verified_by_id_users"),
                            ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("page_id", name=op.f("pk_page_reviews"))
    )
    op.create_index("ix_page_reviews_due_at", "page_reviews", ["due_at"])
    op.create_index("ix_page_reviews_first_due_at", "page_reviews", ["first_due_at"])
    op.create_table("section_reviews",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("page_id", sa.Integer(), nullable=False),
    sa.Column("anchor", sa.String(length=255), nullable=False),
    sa.Column("heading", sa.String(length=255), nullable=False),
    sa.Column("interval_days", sa.Integer(), nullable=False),
    sa.Column("owner_id", sa.Integer(), nullable=True),
    sa.Column("started_at", UTC_DATETIME, nullable=False),
    sa.Column("verified_at", UTC_DATETIME, nullable=True),
    sa.Column("verified_by_id", sa.Integer(), nullable=True),
    sa.Column("due_at", UTC_DATETIME, nullable=False),
    sa.Column("notified_due_at", UTC_DATETIME, nullable=True),
    sa.ForeignKeyConstraint(["page_id"], ["pages.id"], name=op.f("fk_section_reviews_page_id_pages"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_section_reviews_owner_id_users"),
                            ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["verified_by_id"], ["users.id"], name=op.f("fk_section_reviews_verified_by_id_users"),
                            ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_section_reviews")),
    sa.UniqueConstraint("page_id", "anchor", name="uq_section_reviews_page_anchor")
    )
    op.create_index("ix_section_reviews_due_at", "section_reviews", ["due_at"])
    op.add_column("page_events", sa.Column("anchor", sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table("page_events") as batch:
        batch.drop_column("anchor")
    op.drop_index("ix_section_reviews_due_at", table_name="section_reviews")
    op.drop_table("section_reviews")
    op.drop_index("ix_page_reviews_first_due_at", table_name="page_reviews")
    op.drop_index("ix_page_reviews_due_at", table_name="page_reviews")
    op.drop_table("page_reviews")
