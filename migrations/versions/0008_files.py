"""Files and images attached to pages: content-addressed blobs, files, their versions,
resized variants, and which pages use which file.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_blobs"),
    )
    op.create_table(
        "files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["page_id"], ["pages.id"], name="fk_files_page_id_pages", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_files"),
        sa.UniqueConstraint("page_id", "name_key", name="uq_files_page_name"),
    )
    op.create_table(
        "file_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("uploader_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"], name="fk_file_versions_file_id_files", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sha256"], ["blobs.sha256"], name="fk_file_versions_sha256_blobs"),
        sa.ForeignKeyConstraint(["uploader_id"], ["users.id"], name="fk_file_versions_uploader_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_file_versions"),
        sa.UniqueConstraint("file_id", "number", name="uq_file_versions_file_number"),
    )
    op.create_index("ix_file_versions_uploader_id", "file_versions", ["uploader_id"])
    op.create_table(
        "file_variants",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("variant_sha256", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["variant_sha256"], ["blobs.sha256"], name="fk_file_variants_variant_sha256_blobs"),
        sa.PrimaryKeyConstraint("sha256", "width", name="pk_file_variants"),
    )
    op.create_table(
        "file_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_page_id", sa.Integer(), nullable=False),
        sa.Column("target_key", sa.String(255), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(["source_page_id"], ["pages.id"], name="fk_file_links_source_page_id_pages",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_file_links"),
    )
    op.create_index("ix_file_links_source_page_id", "file_links", ["source_page_id"])
    op.create_index("ix_file_links_target", "file_links", ["target_key", "name_key"])


def downgrade():
    op.drop_index("ix_file_links_target", table_name="file_links")
    op.drop_index("ix_file_links_source_page_id", table_name="file_links")
    op.drop_table("file_links")
    op.drop_table("file_variants")
    op.drop_index("ix_file_versions_uploader_id", table_name="file_versions")
    op.drop_table("file_versions")
    op.drop_table("files")
    op.drop_table("blobs")
