"""Learning paths with progress (issue 20): the paths pages declare and their steps, the
learners' done steps and followed paths, and the preference that makes progress public.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0017"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade():
    op.create_table("learning_paths",
    sa.Column("page_id", sa.Integer(), nullable=False),
    sa.Column("steps", sa.Integer(), nullable=False),
    sa.Column("problems", sa.Text(), nullable=False),
    sa.Column("updated_at", UTC_DATETIME, nullable=False),
    sa.ForeignKeyConstraint(["page_id"], ["pages.id"], name=op.f("fk_learning_paths_page_id_pages"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("page_id", name=op.f("pk_learning_paths"))
    )
    op.create_table("path_steps",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("path_page_id", sa.Integer(), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("target_title", sa.String(length=255), nullable=False),
    sa.Column("target_key", sa.String(length=255), nullable=False),
    sa.Column("section", sa.String(length=255), nullable=False),
    sa.Column("label", sa.String(length=255), nullable=False),
    sa.Column("note", sa.String(length=300), nullable=False),
    sa.Column("target_page_id", sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(["path_page_id"], ["learning_paths.page_id"], name=op.f("fk_path_steps_path_page_id_learning_paths"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["target_page_id"], ["pages.id"], name=op.f("fk_path_steps_target_page_id_pages"), ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_path_steps")),
    sa.UniqueConstraint("path_page_id", "position", name="uq_path_steps_position")
    )
    with op.batch_alter_table("path_steps", schema=None) as batch_op:
        batch_op.create_index("ix_path_steps_target_key", ["target_key"], unique=False)
        batch_op.create_index("ix_path_steps_target_page_id", ["target_page_id"], unique=False)
    op.create_table("path_progress",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("path_page_id", sa.Integer(), nullable=False),
    sa.Column("page_id", sa.Integer(), nullable=False),
    sa.Column("section", sa.String(length=255), nullable=False),
    sa.Column("done_at", UTC_DATETIME, nullable=False),
    sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_path_progress_user_id_users"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["path_page_id"], ["pages.id"], name=op.f("fk_path_progress_path_page_id_pages"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["page_id"], ["pages.id"], name=op.f("fk_path_progress_page_id_pages"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_path_progress")),
    sa.UniqueConstraint("user_id", "path_page_id", "page_id", "section", name="uq_path_progress_step")
    )
    with op.batch_alter_table("path_progress", schema=None) as batch_op:
        batch_op.create_index("ix_path_progress_path_page_id", ["path_page_id"], unique=False)
    op.create_table("path_follows",
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("path_page_id", sa.Integer(), nullable=False),
    sa.Column("followed_at", UTC_DATETIME, nullable=False),
    sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_path_follows_user_id_users"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["path_page_id"], ["pages.id"], name=op.f("fk_path_follows_path_page_id_pages"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("user_id", "path_page_id", name=op.f("pk_path_follows"))
    )
    with op.batch_alter_table("user_preferences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paths_public", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("user_preferences", schema=None) as batch_op:
        batch_op.drop_column("paths_public")
    op.drop_table("path_follows")
    with op.batch_alter_table("path_progress", schema=None) as batch_op:
        batch_op.drop_index("ix_path_progress_path_page_id")
    op.drop_table("path_progress")
    with op.batch_alter_table("path_steps", schema=None) as batch_op:
        batch_op.drop_index("ix_path_steps_target_page_id")
        batch_op.drop_index("ix_path_steps_target_key")
    op.drop_table("path_steps")
    op.drop_table("learning_paths")
