"""Full-text search over discussion comments, beside (not inside) the page search of
wiki.services.search: its own index table (``search_index_comments``: FTS5 on SQLite, a
tsvector with a GIN index on PostgreSQL, migration 0013), its own query, its own results
section. A hit says where it sits: the page, and the section its thread discusses.

Hidden comments and comments on deleted pages are not results.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, Text, text

from wiki.core.searchtext import html_to_text, parse_query, snippet
from wiki.extensions import db
from wiki.models import DiscussionComment, UTCDateTime
from wiki.services import search as page_search


def _sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def index_comment(comment: DiscussionComment) -> None:
    """Put a comment's current text in the index (or take it out if hidden), in the caller's
    transaction."""
    page_search.changed()  # the search page lists comments too: its cached answers are keyed on this
    column = "rowid" if _sqlite() else "comment_id"
    db.session.execute(text(f"DELETE FROM search_index_comments WHERE {column} = :id"), {"id": comment.id})
    if comment.hidden:
        return
    db.session.execute(text(f"INSERT INTO search_index_comments ({column}, body) VALUES (:id, :body)"),
                       {"id": comment.id, "body": html_to_text(comment.html)})


def reindex_all() -> int:
    """Rebuild the comments' index; returns the number of comments indexed."""
    page_search.changed()
    db.session.execute(text("DELETE FROM search_index_comments"))
    count = 0
    for comment in db.session.scalars(db.select(DiscussionComment).where(DiscussionComment.hidden.is_(False))):
        index_comment(comment)
        count += 1
    db.session.commit()
    return count


@dataclass(frozen=True)
class CommentHit:
    title: str  # the page's current title
    thread_id: int
    comment_id: int
    heading: str  # the section's heading when the thread started; "" for the whole page
    snippet: str  # HTML: escaped text with <mark> around matches
    created_at: datetime


_SQLITE = text("""
    SELECT pages.title, t.id AS thread_id, c.id AS comment_id, t.heading, si.body, c.created_at
    FROM search_index_comments si
    JOIN discussion_comments c ON c.id = si.rowid
    JOIN discussion_threads t ON t.id = c.thread_id
    JOIN pages ON pages.id = t.page_id
    WHERE search_index_comments MATCH :match AND pages.deleted = 0 AND pages.title_key LIKE :prefix ESCAPE '\\'
    ORDER BY bm25(search_index_comments), c.id DESC
    LIMIT :limit
""").columns(title=String(), thread_id=Integer(), comment_id=Integer(), heading=String(), body=Text(),
             created_at=UTCDateTime())

_POSTGRESQL = text("""
    SELECT pages.title, t.id AS thread_id, c.id AS comment_id, t.heading, si.body, c.created_at
    FROM search_index_comments si
    JOIN discussion_comments c ON c.id = si.comment_id
    JOIN discussion_threads t ON t.id = c.thread_id
    JOIN pages ON pages.id = t.page_id,
         websearch_to_tsquery('english', :match) AS q
    WHERE si.document @@ q AND NOT pages.deleted AND pages.title_key LIKE :prefix ESCAPE '\\'
    ORDER BY ts_rank(si.document, q) DESC, c.id DESC
    LIMIT :limit
""").columns(title=String(), thread_id=Integer(), comment_id=Integer(), heading=String(), body=Text(),
             created_at=UTCDateTime())


def search(raw_query: str, prefix: str = "", limit: int = 10) -> list[CommentHit]:
    """The comments matching the query, most relevant first (at most ``limit``), on pages
    whose title starts with ``prefix`` (or the query's in:...)."""
    query = parse_query(raw_query)
    if query.empty:
        return []
    key_prefix = " ".join((prefix or query.prefix).strip().replace("_", " ").split(" ")).casefold()
    like = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    params = {"limit": limit, "prefix": like}
    if _sqlite():
        rows = db.session.execute(_SQLITE, {**params, "match": query.fts5()}).all()
    else:
        rows = db.session.execute(_POSTGRESQL, {**params, "match": query.websearch()}).all()
    return [CommentHit(r.title, r.thread_id, r.comment_id, r.heading, snippet(r.body, query.highlight_terms),
                       r.created_at) for r in rows]
