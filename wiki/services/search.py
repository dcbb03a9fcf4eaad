"""Full-text search over live pages, with each database's own engine.

SQLite: an FTS5 table (porter stemming) keyed by page id. PostgreSQL: a stored tsvector
(English stemming, title weighted above body) with a GIN index, queried through
websearch_to_tsquery. Both are fed only quoted words from wiki.core.searchtext.parse_query.
"""
from dataclasses import dataclass, replace

from sqlalchemy import Integer, String, Text, text

from wiki.core.edits import UNPARSED, Unparsed
from wiki.extensions import db
from wiki.core.markup.redirects import redirect_target
from wiki.models import Page, Revision, UTCDateTime
from wiki.core.searchtext import Query, exact_title_keys, html_to_text, parse_query, snippet


def _sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def index_page(page: Page, revision: Revision, redirect: str | None | Unparsed = UNPARSED) -> None:
    """Put a page's current text in the index, in the caller's transaction. ``redirect``:
    the revision's redirect target (None: not a redirect) when the caller parsed it already."""
    unindex_page(page)
    if redirect is UNPARSED:
        redirect = redirect_target(revision.source)
    if page.deleted or redirect is not None:
        return  # deleted pages and redirects are not search results
    body = html_to_text(revision.html)
    # The display title is not in the body's HTML (the page template shows it): index it
    # with the path, so its words weigh as a title's.
    title = f"{page.title}\n{revision.display_title}" if revision.display_title else page.title
    if _sqlite():
        db.session.execute(text("INSERT INTO search_index (rowid, title, body) VALUES (:id, :title, :body)"),
                           {"id": page.id, "title": title, "body": body})
    else:
        db.session.execute(text("INSERT INTO search_index (page_id, title, body) VALUES (:id, :title, :body)"),
                           {"id": page.id, "title": title, "body": body})


def index_many(entries: list[dict]) -> None:
    """Index many pages not in the index yet, with one executemany: ``entries`` of {"id": page
    id, "title": title (and display title, as index_page joins them), "body": plain text}."""
    column = "rowid" if _sqlite() else "page_id"
    db.session.execute(text(f"INSERT INTO search_index ({column}, title, body) VALUES (:id, :title, :body)"), entries)


def unindex_page(page: Page) -> None:
    """Remove a page from the index (deleted, or about to be indexed again)."""
    column = "rowid" if _sqlite() else "page_id"
    db.session.execute(text(f"DELETE FROM search_index WHERE {column} = :id"), {"id": page.id})


def reindex_all() -> int:
    """Rebuild the whole index from the current revisions; returns the number of pages."""
    db.session.execute(text("DELETE FROM search_index"))
    count = 0
    rows = db.session.execute(
        db.select(Page, Revision).join(Revision, Revision.id == Page.current_revision_id)
        .where(Page.deleted.is_(False))
    ).all()
    for page, revision in rows:
        index_page(page, revision)
        count += 1
    db.session.commit()
    return count


@dataclass(frozen=True)
class Hit:
    title: str
    snippet: str  # HTML: escaped text with <mark> around matches (wiki.core.searchtext.snippet)
    updated: object  # datetime of the current revision
    display_title: str = ""  # the page's display title, "" when it sets none


@dataclass(frozen=True)
class Results:
    query: Query
    hits: list[Hit]
    has_more: bool


def search(raw_query: str, prefix: str = "", page_number: int = 1, per_page: int = 20) -> Results:
    """Live pages matching the query, most relevant first (title matches weigh most)."""
    query = parse_query(raw_query)
    prefix = (prefix or query.prefix).strip()
    if query.empty:
        return Results(query, [], False)
    key_prefix = " ".join(prefix.replace("_", " ").split(" ")).casefold()
    like = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    params = {"limit": per_page + 1, "offset": (page_number - 1) * per_page, "prefix": like,
              **_exact_title_params(query)}
    return _with_display_titles((_sqlite_search if _sqlite() else _postgresql)(query, params, per_page))


def _with_display_titles(results: Results) -> Results:
    """The hits with their pages' display titles (one query for the page of hits)."""
    titles = [hit.title for hit in results.hits]
    if not titles:
        return results
    shown = dict(db.session.execute(
        db.select(Page.title, Revision.display_title).join(Revision, Revision.id == Page.current_revision_id)
        .where(Page.title.in_(titles), Page.deleted.is_(False))
    ).all())
    return replace(results, hits=[replace(hit, display_title=shown.get(hit.title) or "") for hit in results.hits])


# The README promises "title matches first": a page whose title, or the last segment of its
# title, equals the query (exact_title_keys) comes before every other match, whole titles
# before last segments, and among those the shortest title first (tldr-pages: pages/common/tar
# before pages.fr/common/tar); bm25 / ts_rank order the rest. Only matched rows are tested.
_EXACT = """CASE WHEN {key} IN (:exact_0, :exact_1) THEN 0
         WHEN {key} LIKE :exact_like_0 ESCAPE '\\' OR {key} LIKE :exact_like_1 ESCAPE '\\' THEN 1
         ELSE 2 END"""
_EXACT_TITLE_RANK = _EXACT + ", CASE WHEN " + _EXACT + " < 2 THEN length({key}) ELSE 0 END"


def _exact_title_params(query: Query) -> dict[str, str]:
    """Bind values for _EXACT_TITLE_RANK: two keys and two '%/key' patterns; "" never matches
    (no title key is empty)."""
    keys = (list(exact_title_keys(query)) + ["", ""])[:2]
    likes = ["%/" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") if key else ""
             for key in keys]
    return {"exact_0": keys[0], "exact_1": keys[1], "exact_like_0": likes[0], "exact_like_1": likes[1]}


_SQLITE_SEARCH = text("""
    SELECT pages.title, search_index.body, revisions.created_at
    FROM search_index
    JOIN pages ON pages.id = search_index.rowid
    JOIN revisions ON revisions.id = pages.current_revision_id
    WHERE search_index MATCH :match AND pages.title_key LIKE :prefix ESCAPE '\\'
    ORDER BY """ + _EXACT_TITLE_RANK.format(key="pages.title_key") + """,
             bm25(search_index, 10.0, 1.0), pages.title_key
    LIMIT :limit OFFSET :offset
""").columns(title=String(), body=Text(), created_at=UTCDateTime())


def _sqlite_search(query: Query, params: dict, per_page: int) -> Results:
    """FTS5 ranks with bm25 inside the index; the title column weighs ten times the body."""
    rows = db.session.execute(_SQLITE_SEARCH, {**params, "match": query.fts5()}).all()
    hits = [Hit(title, snippet(body, query.highlight_terms), updated) for title, body, updated in rows[:per_page]]
    return Results(query, hits, len(rows) > per_page)


_PG_RANKED = text("""
    SELECT si.page_id, ts_rank(si.rank_vector, q, 1) AS rank
    FROM search_index si
    JOIN pages p ON p.id = si.page_id,
         websearch_to_tsquery('english', :match) AS q
    WHERE si.document @@ q AND p.title_key LIKE :prefix ESCAPE '\\'
    ORDER BY """ + _EXACT_TITLE_RANK.format(key="p.title_key") + """, rank DESC, p.title_key
    LIMIT :limit OFFSET :offset
""")

_PG_DETAILS = text("""
    SELECT pages.id, pages.title, search_index.body, revisions.created_at
    FROM pages
    JOIN search_index ON search_index.page_id = pages.id
    JOIN revisions ON revisions.id = pages.current_revision_id
    WHERE pages.id = ANY(:ids)
""").columns(id=Integer(), title=String(), body=Text(), created_at=UTCDateTime())


def _postgresql(query: Query, params: dict, per_page: int) -> Results:
    """Rank with the GIN index, then fetch the page's details for one page of hits.

    With a word found on most pages the planner prefers scanning the table and testing
    each row's document, which decompresses every tsvector (300 ms on 20,000 pages); the
    GIN bitmap scan answers the match without reading them. So for the ranking statement
    only, the other scans are switched off (SET LOCAL ends with the transaction).
    """
    params = {**params, "match": query.websearch()}
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    db.session.execute(text("SET LOCAL enable_indexscan = off"))
    ranked = db.session.execute(_PG_RANKED, params).all()
    db.session.execute(text("SET LOCAL enable_seqscan = on"))
    db.session.execute(text("SET LOCAL enable_indexscan = on"))
    ids = [page_id for page_id, _rank in ranked[:per_page]]
    details = {row.id: row for row in db.session.execute(_PG_DETAILS, {"ids": ids})}
    hits = [Hit(details[i].title, snippet(details[i].body, query.highlight_terms), details[i].created_at)
            for i in ids if i in details]
    return Results(query, hits, len(ranked) > per_page)
