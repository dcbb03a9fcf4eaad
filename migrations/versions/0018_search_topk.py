"""Search at 100,000 pages (issue 21): an index of page titles alone, beside search_index.

Revision ID: 0018
Revises: 0013
Create Date: 2026-12-01

A word found on most pages (51,805 of 100,000 in bench/search.py) made every search rank
every match: bm25 (FTS5) or ts_rank (PostgreSQL) over all of them, 224 ms. The service now
ranks a bounded set of candidates (wiki.services.search): the pages whose *title* matches,
found in this small index (a title is a few words, so its posting lists are short), and the
first few hundred of the other matches. The name starts with search_index so the model
comparison leaves it alone (wiki.extensions). It is filled here from search_index, which
holds each live page's title (with its display title) already. On PostgreSQL the title's
slashes are spaces first: its parser reads ``guides/Lighthouse`` as one file-path token, so
the word ``lighthouse`` would not match it.
"""
from alembic import op

revision = "0018"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE search_index_titles USING fts5("
                   "title, tokenize = 'porter unicode61 remove_diacritics 2')")
        op.execute("INSERT INTO search_index_titles (rowid, title) SELECT rowid, title FROM search_index")
    else:
        op.execute("""
            CREATE TABLE search_index_titles (
                page_id INTEGER PRIMARY KEY REFERENCES pages (id) ON DELETE CASCADE,
                title TEXT NOT NULL,
                document tsvector GENERATED ALWAYS AS (to_tsvector('english', translate(title, '/', ' '))) STORED
            )
        """)
        op.execute("CREATE INDEX ix_search_index_titles_document ON search_index_titles USING GIN (document)")
        op.execute("INSERT INTO search_index_titles (page_id, title) SELECT page_id, title FROM search_index")


def downgrade():
    op.execute("DROP TABLE search_index_titles")
