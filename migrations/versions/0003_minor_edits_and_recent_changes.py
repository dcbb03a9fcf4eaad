"""Minor-edit flag; indexes for recent changes and user contributions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("revisions") as batch:
        batch.add_column(sa.Column("minor", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_revisions_created_at", "revisions", ["created_at"])
    op.create_index("ix_revisions_author_id", "revisions", ["author_id"])


def downgrade():
    op.drop_index("ix_revisions_author_id", table_name="revisions")
    op.drop_index("ix_revisions_created_at", table_name="revisions")
    with op.batch_alter_table("revisions") as batch:
        batch.drop_column("minor")
