"""Discussions of pages and their sections (issue 16): per-page discussion state (lock and
version), threads anchored to a section as it was, comments, earlier versions of edited
comments, and the full-text index of comments (FTS5 on SQLite, a tsvector on PostgreSQL).

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade():
    op.create_table("discussion_states",
    sa.Column("page_id", sa.Integer(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("locked", sa.Boolean(), nullable=False),
    sa.Column("locked_by_id", sa.Integer(), nullable=True),
    sa.Column("locked_at", UTC_DATETIME, nullable=True),
    sa.ForeignKeyConstraint(["locked_by_id"], ["users.id"], name=op.f("fk_discussion_states_locked_by_id_users"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["page_id"], ["pages.id"], name=op.f("fk_discussion_states_page_id_pages"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("page_id", name=op.f("pk_discussion_states"))
    )
    op.create_table("discussion_threads",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("page_id", sa.Integer(), nullable=False),
    sa.Column("author_id", sa.Integer(), nullable=True),
    sa.Column("anchor", sa.String(length=255), nullable=True),
    sa.Column("heading", sa.String(length=255), nullable=False),
    sa.Column("section_text", sa.Text(), nullable=False),
    sa.Column("section_hash", sa.String(length=64), nullable=False),
    sa.Column("revision_number", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("resolved_by_id", sa.Integer(), nullable=True),
    sa.Column("resolved_at", UTC_DATETIME, nullable=True),
    sa.Column("created_at", UTC_DATETIME, nullable=False),
    sa.Column("updated_at", UTC_DATETIME, nullable=False),
    sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_discussion_threads_author_id_users"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["page_id"], ["pages.id"], name=op.f("fk_discussion_threads_page_id_pages"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["resolved_by_id"], ["users.id"], name=op.f("fk_discussion_threads_resolved_by_id_users"), ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_discussion_threads"))
    )
    with op.batch_alter_table("discussion_threads", schema=None) as batch_op:
        batch_op.create_index("ix_discussion_threads_page_id", ["page_id", "status"], unique=False)

    op.create_table("discussion_comments",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("thread_id", sa.Integer(), nullable=False),
    sa.Column("author_id", sa.Integer(), nullable=True),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("html", sa.Text(), nullable=False),
    sa.Column("created_at", UTC_DATETIME, nullable=False),
    sa.Column("edited_at", UTC_DATETIME, nullable=True),
    sa.Column("edits", sa.Integer(), nullable=False),
    sa.Column("hidden", sa.Boolean(), nullable=False),
    sa.Column("hidden_by_id", sa.Integer(), nullable=True),
    sa.Column("hidden_at", UTC_DATETIME, nullable=True),
    sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_discussion_comments_author_id_users"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["hidden_by_id"], ["users.id"], name=op.f("fk_discussion_comments_hidden_by_id_users"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["thread_id"], ["discussion_threads.id"], name=op.f("fk_discussion_comments_thread_id_discussion_threads"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_discussion_comments"))
    )
    with op.batch_alter_table("discussion_comments", schema=None) as batch_op:
        batch_op.create_index("ix_discussion_comments_author_id", ["author_id", "created_at"], unique=False)
        batch_op.create_index("ix_discussion_comments_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_discussion_comments_thread_id", ["thread_id", "id"], unique=False)

    op.create_table("discussion_comment_versions",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("comment_id", sa.Integer(), nullable=False),
    sa.Column("number", sa.Integer(), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("html", sa.Text(), nullable=False),
    sa.Column("created_at", UTC_DATETIME, nullable=False),
    sa.ForeignKeyConstraint(["comment_id"], ["discussion_comments.id"], name=op.f("fk_discussion_comment_versions_comment_id_discussion_comments"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_discussion_comment_versions")),
    sa.UniqueConstraint("comment_id", "number", name="uq_discussion_comment_versions_number")
    )

    # Comments' full-text index, beside the pages' (search_index, migration 0004): the name
    # starts with search_index so the model comparison leaves it alone (wiki.extensions).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE search_index_comments USING fts5("
                   "body, tokenize = 'porter unicode61 remove_diacritics 2')")
    else:
        op.execute("""
            CREATE TABLE search_index_comments (
                comment_id INTEGER PRIMARY KEY REFERENCES discussion_comments (id) ON DELETE CASCADE,
                body TEXT NOT NULL,
                document tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED
            )
        """)
        op.execute("CREATE INDEX ix_search_index_comments_document ON search_index_comments USING GIN (document)")


def downgrade():
    op.execute("DROP TABLE search_index_comments")
    op.drop_table("discussion_comment_versions")
    with op.batch_alter_table("discussion_comments", schema=None) as batch_op:
        batch_op.drop_index("ix_discussion_comments_thread_id")
        batch_op.drop_index("ix_discussion_comments_created_at")
        batch_op.drop_index("ix_discussion_comments_author_id")
    op.drop_table("discussion_comments")
    with op.batch_alter_table("discussion_threads", schema=None) as batch_op:
        batch_op.drop_index("ix_discussion_threads_page_id")
    op.drop_table("discussion_threads")
    op.drop_table("discussion_states")
