"""Display titles: each revision keeps the title its source gives (issue 19).

The column is filled here for every existing revision, from its source alone
(wiki.core.markup.display_title needs no database). The stored HTML of existing revisions
still shows the opening heading inside the content until they are rendered again:
`flask --app wsgi rerender` does that (docs/deploy.md, upgrades).

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

from wiki.core.markup import display_title

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade():
    with op.batch_alter_table("revisions") as batch:
        batch.add_column(sa.Column("display_title", sa.String(255), nullable=False, server_default=""))
    connection = op.get_bind()
    revisions = sa.table("revisions", sa.column("id", sa.Integer), sa.column("source", sa.Text),
                         sa.column("display_title", sa.String))
    after = 0
    while True:
        rows = connection.execute(
            sa.select(revisions.c.id, revisions.c.source).where(revisions.c.id > after)
            .order_by(revisions.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        updates = [{"rid": rid, "title": display_title(source)} for rid, source in rows]
        updates = [u for u in updates if u["title"]]
        if updates:
            connection.execute(
                revisions.update().where(revisions.c.id == sa.bindparam("rid"))
                .values(display_title=sa.bindparam("title")),
                updates,
            )
        after = rows[-1][0]


def downgrade():
    with op.batch_alter_table("revisions") as batch:
        batch.drop_column("display_title")
