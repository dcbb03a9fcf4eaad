"""Watching pages, notifications and mail (issue 15): preferences with the mail address,
watches, notifications, page events (deletes and restores) and scheduled runs (digests).

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)

def upgrade():
    op.create_table("scheduled_runs",
    sa.Column("name", sa.String(length=40), nullable=False),
    sa.Column("slot", sa.String(length=40), nullable=False),
    sa.Column("created_at", UTC_DATETIME, nullable=False),
    sa.PrimaryKeyConstraint("name", "slot", name=op.f("pk_scheduled_runs"))
    )
    op.create_table("notifications",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("kind", sa.String(length=16), nullable=False),
    sa.Column("page_id", sa.Integer(), nullable=True),
    sa.Column("title", sa.String(length=255), nullable=False),
    sa.Column("actor_id", sa.Integer(), nullable=True),
    sa.Column("number", sa.Integer(), nullable=True),
    sa.Column("summary", sa.String(length=500), nullable=False),
    sa.Column("created_at", UTC_DATETIME, nullable=False),
    sa.Column("read_at", UTC_DATETIME, nullable=True),
    sa.Column("mail", sa.String(length=8), nullable=False),
    sa.Column("mailed_at", UTC_DATETIME, nullable=True),
    sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_notifications_actor_id_users"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["page_id"], ["pages.id"], name=op.f("fk_notifications_page_id_pages"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications"))
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_mail_user", ["mail", "user_id"], unique=False)
        batch_op.create_index("ix_notifications_user_created", ["user_id", "created_at"], unique=False)
        batch_op.create_index("ix_notifications_user_read", ["user_id", "read_at"], unique=False)

    op.create_table("page_events",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("page_id", sa.Integer(), nullable=False),
    sa.Column("kind", sa.String(length=16), nullable=False),
    sa.Column("title", sa.String(length=255), nullable=False),
    sa.Column("actor_id", sa.Integer(), nullable=True),
    sa.Column("reason", sa.String(length=300), nullable=False),
    sa.Column("created_at", UTC_DATETIME, nullable=False),
    sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_page_events_actor_id_users"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["page_id"], ["pages.id"], name=op.f("fk_page_events_page_id_pages"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_page_events"))
    )
    with op.batch_alter_table("page_events", schema=None) as batch_op:
        batch_op.create_index("ix_page_events_created_at", ["created_at"], unique=False)

    op.create_table("user_preferences",
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("email", sa.String(length=254), nullable=True),
    sa.Column("email_verified_at", UTC_DATETIME, nullable=True),
    sa.Column("mail", sa.String(length=16), nullable=False),
    sa.Column("auto_watch", sa.Boolean(), nullable=False),
    sa.Column("feed_token", sa.String(length=64), nullable=True),
    sa.Column("watchlist_seen_at", UTC_DATETIME, nullable=True),
    sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_preferences_user_id_users"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_preferences"))
    )
    with op.batch_alter_table("user_preferences", schema=None) as batch_op:
        batch_op.create_index("ix_user_preferences_feed_token", ["feed_token"], unique=True)

    op.create_table("watches",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("page_id", sa.Integer(), nullable=True),
    sa.Column("prefix", sa.String(length=255), nullable=True),
    sa.Column("created_at", UTC_DATETIME, nullable=False),
    sa.ForeignKeyConstraint(["page_id"], ["pages.id"], name=op.f("fk_watches_page_id_pages"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_watches_user_id_users"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_watches")),
    sa.UniqueConstraint("user_id", "page_id", name="uq_watches_user_page"),
    sa.UniqueConstraint("user_id", "prefix", name="uq_watches_user_prefix")
    )
    with op.batch_alter_table("watches", schema=None) as batch_op:
        batch_op.create_index("ix_watches_page_id", ["page_id"], unique=False)



def downgrade():
    with op.batch_alter_table("watches", schema=None) as batch_op:
        batch_op.drop_index("ix_watches_page_id")

    op.drop_table("watches")
    with op.batch_alter_table("user_preferences", schema=None) as batch_op:
        batch_op.drop_index("ix_user_preferences_feed_token")

    op.drop_table("user_preferences")
    with op.batch_alter_table("page_events", schema=None) as batch_op:
        batch_op.drop_index("ix_page_events_created_at")

    op.drop_table("page_events")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_read")
        batch_op.drop_index("ix_notifications_user_created")
        batch_op.drop_index("ix_notifications_mail_user")

    op.drop_table("notifications")
    op.drop_table("scheduled_runs")
