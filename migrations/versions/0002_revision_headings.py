"""Store each revision's headings, so section links can be checked and labelled.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("revisions") as batch:
        batch.add_column(sa.Column("headings", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("revisions") as batch:
        batch.drop_column("headings")
