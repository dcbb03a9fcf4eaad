"""Full-text search over live pages, with each database's own engine.

SQLite: an FTS5 table (porter stemming) keyed by page id. PostgreSQL: a stored tsvector
(English stemming, title weighted above body) with a GIN index, queried through
websearch_to_tsquery. Both are fed only quoted words from wiki.core.searchtext.parse_query.
"""
from dataclasses import dataclass, replace

from sqlalchemy import Integer, String, Text, bindparam, event, text
from sqlalchemy.orm import Session

from wiki.core.edits import UNPARSED, Unparsed
from wiki.extensions import db
from wiki.core.markup.redirects import redirect_target
from wiki.models import Page, Revision, UTCDateTime
from wiki.core.searchtext import Query, exact_title_keys, html_to_text, parse_query, snippet


def _sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


# --- The generation: a number that moves on with every change to what search shows ---------
# (migration 0019). A cached search answer is keyed on it (wiki.web.readcache). It is added
# to as the transaction commits, not when the index is written: the row lock that orders
# concurrent commits is then held only for the COMMIT itself, and taken after every other
# lock of the transaction, so it can neither slow a save's work nor join a deadlock.
_CHANGED = "nexus.search_changed"
GENERATION = text("SELECT generation FROM search_index_generation WHERE id = 1")


def changed() -> None:
    """What search shows changes in this transaction (an index write, a comment hidden):
    the generation moves on when it commits, and not at all if it rolls back."""
    db.session.info[_CHANGED] = True


def generation(connection) -> int | None:
    """The current generation (None: the row is missing, so nothing may be keyed on it)."""
    return connection.execute(GENERATION).scalar()


@event.listens_for(Session, "before_commit")
def _move_generation_on(session) -> None:
    if session.info.pop(_CHANGED, False):
        session.execute(text("UPDATE search_index_generation SET generation = generation + 1 WHERE id = 1"))


@event.listens_for(Session, "after_rollback")
def _forget_change(session) -> None:
    session.info.pop(_CHANGED, None)


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
    index_many([{"id": page.id, "title": title, "body": body}])  # one writer of both indexes


def index_many(entries: list[dict]) -> None:
    """Index many pages not in the index yet, with one executemany: ``entries`` of {"id": page
    id, "title": title (and display title, as index_page joins them), "body": plain text}."""
    changed()
    column = "rowid" if _sqlite() else "page_id"
    db.session.execute(text(f"INSERT INTO search_index ({column}, title, body) VALUES (:id, :title, :body)"), entries)
    # The titles' own index too, as index_page fills it: without it a page created in bulk
    # (import-markdown, import) was never a title match, so a search for "tar" did not put
    # pages/common/tar first.
    db.session.execute(text(f"INSERT INTO search_index_titles ({column}, title) VALUES (:id, :title)"),
                       [{"id": entry["id"], "title": entry["title"]} for entry in entries])


def unindex_page(page: Page) -> None:
    """Remove a page from the index (deleted, or about to be indexed again)."""
    changed()
    column = "rowid" if _sqlite() else "page_id"
    db.session.execute(text(f"DELETE FROM search_index WHERE {column} = :id"), {"id": page.id})
    db.session.execute(text(f"DELETE FROM search_index_titles WHERE {column} = :id"), {"id": page.id})


def reindex_all() -> int:
    """Rebuild the whole index from the current revisions; returns the number of pages."""
    db.session.execute(text("DELETE FROM search_index"))
    db.session.execute(text("DELETE FROM search_index_titles"))
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
class Named:
    """The live page a query names exactly (the search page's "Go to page")."""
    title: str
    display_title: str


def named_page(key: str) -> Named | None:
    """The live page whose title key is ``key``: its title and display title only (the
    search page loaded the whole page, revision and author for them: 12% of its time)."""
    row = db.session.execute(
        db.select(Page.title, Revision.display_title).join(Revision, Revision.id == Page.current_revision_id)
        .where(Page.title_key == key, Page.deleted.is_(False))
    ).first()
    return Named(row.title, row.display_title or "") if row else None


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
    # True when more pages match than were ranked (a word found on thousands of pages): the
    # results are then the best of TITLE_CANDIDATES title matches and BODY_CANDIDATES others.
    capped: bool = False


# Ranking every match is what made a word found on most pages slow (bm25 over 51,805 matches,
# 224 ms at 100,000 pages). So only a bounded set of candidates is looked at:
# - the pages whose *title* matches (up to TITLE_CANDIDATES), from search_index_titles, whose
#   posting lists are a title's few words; a page named by the query first, then the shortest
#   titles (what bm25 on a title alone comes down to);
# - the first BODY_CANDIDATES other matches in the index's own order (page id). When there are
#   fewer, the query is rare and they are ranked by relevance: bm25 (whose cost grows with
#   each word's number of pages: it counts them) or ts_rank. When there are more, the word is
#   on too many pages for relevance among the body matches to mean much: they stay in page
#   order, after the title matches, and the results say that more pages match.
TITLE_CANDIDATES = 500
BODY_CANDIDATES = 200


def search(raw_query: str, prefix: str = "", page_number: int = 1, per_page: int = 20,
           tags: list[str] | None = None) -> Results:
    """Live pages matching the query, most relevant first: a page named by the query, then
    pages whose title matches, then the others by relevance (bm25 / ts_rank).

    ``tag:`` filters in the query and ``tags`` (the form's field) keep only pages having every
    one of those tags (issue 20); a query of tags alone lists their pages in title order."""
    query = parse_query(raw_query)
    if tags:
        query = query.with_tags(tags)
    prefix = (prefix or query.prefix).strip()
    if query.empty and not query.tags:
        return Results(query, [], False)
    key_prefix = " ".join(prefix.replace("_", " ").split(" ")).casefold()
    like = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    tag_params = {f"tag_{i}": tag for i, tag in enumerate(query.tags)}
    if query.empty:
        params = {"limit": per_page + 1, "offset": (page_number - 1) * per_page, "prefix": like, **tag_params}
        return _with_display_titles(_tagged(query, params, per_page))
    params = {"prefix": like, "title_cap": TITLE_CANDIDATES, "body_cap": BODY_CANDIDATES, **tag_params}
    sqlite = _sqlite()
    titles, bodies = (_sqlite_candidates if sqlite else _postgresql_candidates)(query, params)
    # (tier, score, key) per page; tier 0: its title matches (score: the title's length); a
    # lower score ranks higher.
    ranked: dict[int, tuple] = {}
    for page_id, key, score in bodies:
        ranked[page_id] = (1, score, key)  # key: "" without an in: prefix (not needed)
    for page_id, key in titles:
        ranked[page_id] = (0, len(key), key)
    exact = exact_title_keys(query)
    suffixes = tuple("/" + key for key in exact)

    def order(item):
        tier, score, key = item[1]
        named = 0 if key in exact else 1 if suffixes and key.endswith(suffixes) else 2
        return (named, len(key) if named < 2 else 0, tier, score, key)

    ordered = sorted(ranked.items(), key=order)
    offset = max(0, (page_number - 1) * per_page)
    ids = [page_id for page_id, _ in ordered[offset:offset + per_page]]
    hits = _hits(ids, query, sqlite)
    capped = len(titles) >= TITLE_CANDIDATES or len(bodies) >= BODY_CANDIDATES
    return Results(query, hits, len(ordered) > offset + per_page, capped)


def _hits(ids: list[int], query: Query, sqlite: bool) -> list[Hit]:
    """One page of hits, in the order of ``ids``: title, snippet, date, display title."""
    if not ids:
        return []
    details = {row.id: row for row in db.session.execute(_SQLITE_DETAILS if sqlite else _PG_DETAILS,
                                                          {"ids": ids})}
    return [Hit(details[i].title, snippet(details[i].body, query.highlight_terms), details[i].created_at,
                details[i].display_title or "")
            for i in ids if i in details]


def _tag_filter(page_id: str, count: int) -> str:
    """SQL: the page whose id is the column ``page_id`` has each of the tags :tag_0 ... (one
    probe of page_tags' key each)."""
    return "".join(f" AND EXISTS (SELECT 1 FROM page_tags WHERE page_tags.page_id = {page_id}"
                   f" AND page_tags.tag = :tag_{i})" for i in range(count))


def _tagged(query: Query, params: dict, per_page: int) -> Results:
    """A query of tags (and exclusions) without words: the tagged pages in title order, their
    opening words as snippets."""
    sqlite = _sqlite()
    key = "rowid" if sqlite else "page_id"
    excluded = ""
    if query.excluded:
        if sqlite:
            excluded = " AND pages.id NOT IN (SELECT rowid FROM search_index WHERE search_index MATCH :excluded)"
            params = {**params, "excluded": " OR ".join(f'"{word}"' for word in query.excluded)}
        else:
            excluded = " AND NOT (search_index.document @@ websearch_to_tsquery('english', :excluded))"
            params = {**params, "excluded": " or ".join(query.excluded)}
    statement = text(f"""
        SELECT pages.title, search_index.body, revisions.created_at
        FROM pages
        JOIN search_index ON search_index.{key} = pages.id
        JOIN revisions ON revisions.id = pages.current_revision_id
        WHERE pages.title_key LIKE :prefix ESCAPE '\\'{_tag_filter("pages.id", len(query.tags))}{excluded}
        ORDER BY pages.title_key
        LIMIT :limit OFFSET :offset
    """).columns(title=String(), body=Text(), created_at=UTCDateTime())
    rows = db.session.execute(statement, params).all()
    hits = [Hit(title, snippet(body, ()), updated) for title, body, updated in rows[:per_page]]
    return Results(query, hits, len(rows) > per_page)


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


# Candidates without ORDER BY: FTS5 computes bm25 only for the rows a LIMIT lets through.
_SQLITE_TITLES = """
    SELECT t.rowid, pages.title_key
    FROM search_index_titles t
    JOIN pages ON pages.id = t.rowid
    WHERE search_index_titles MATCH :title_match AND pages.title_key LIKE :prefix ESCAPE '\\'
    {excluded}{tags}
    LIMIT :title_cap
"""
_SQLITE_EXCLUDED = "AND t.rowid NOT IN (SELECT rowid FROM search_index WHERE search_index MATCH :excluded)"
# Body candidates need no title key (a page named by the query is a title match, and the
# rest are ordered by score, then page id): pages is joined only to apply an in: prefix.
_SQLITE_BODIES = """
    SELECT s.rowid, {key}, {score}
    FROM search_index s
    {join}
    WHERE search_index MATCH :match {where}{tags}
    LIMIT :body_cap
"""
_PREFIXED = {"key": "pages.title_key", "join": "JOIN pages ON pages.id = s.rowid",
             "where": "AND pages.title_key LIKE :prefix ESCAPE '\\'"}
_WHOLE = {"key": "''", "join": "", "where": ""}
_SQLITE_BODIES_FOUND = {prefixed: text(_SQLITE_BODIES.format(score="s.rowid", tags="",
                                                             **(_PREFIXED if prefixed else _WHOLE)))
                        for prefixed in (True, False)}
_SQLITE_BODIES_RANKED = {prefixed: text(_SQLITE_BODIES.format(score="bm25(search_index, 10.0, 1.0)", tags="",
                                                              **(_PREFIXED if prefixed else _WHOLE)))
                         for prefixed in (True, False)}


def _sqlite_bodies(ranked: bool, prefixed: bool, tags: int):
    """The body-candidate statement; with tag filters (issue 20) built for their number."""
    if not tags:
        return (_SQLITE_BODIES_RANKED if ranked else _SQLITE_BODIES_FOUND)[prefixed]
    return text(_SQLITE_BODIES.format(score="bm25(search_index, 10.0, 1.0)" if ranked else "s.rowid",
                                      tags=_tag_filter("s.rowid", tags), **(_PREFIXED if prefixed else _WHOLE)))

_SQLITE_DETAILS = text("""
    SELECT pages.id, pages.title, search_index.body, revisions.created_at, revisions.display_title
    FROM pages
    JOIN search_index ON search_index.rowid = pages.id
    JOIN revisions ON revisions.id = pages.current_revision_id
    WHERE pages.id IN :ids
""").bindparams(bindparam("ids", expanding=True)).columns(
    id=Integer(), title=String(), body=Text(), created_at=UTCDateTime(), display_title=String())


def _sqlite_candidates(query: Query, params: dict) -> tuple[list, list]:
    """FTS5 with bm25 inside the index; the title column weighs ten times the body."""
    positive = Query(words=query.words, phrases=query.phrases)
    statement = _SQLITE_TITLES.format(excluded=_SQLITE_EXCLUDED if query.excluded else "",
                                      tags=_tag_filter("t.rowid", len(query.tags)))
    title_params = {**params, "title_match": positive.fts5()}
    if query.excluded:
        title_params["excluded"] = " OR ".join(f'"{word}"' for word in query.excluded)
    titles = db.session.execute(text(statement), title_params).all()
    body_params = {**params, "match": query.fts5()}
    prefixed = params["prefix"] != "%"
    bodies = db.session.execute(_sqlite_bodies(False, prefixed, len(query.tags)), body_params).all()
    if len(bodies) < BODY_CANDIDATES:  # all of them: rank them
        bodies = db.session.execute(_sqlite_bodies(True, prefixed, len(query.tags)), body_params).all()
    return titles, bodies


_PG_TITLES = """
    SELECT t.page_id, p.title_key
    FROM search_index_titles t
    JOIN pages p ON p.id = t.page_id,
         websearch_to_tsquery('english', :title_match) AS q
    WHERE t.document @@ q AND p.title_key LIKE :prefix ESCAPE '\\'
    {excluded}{tags}
    LIMIT :title_cap
"""
_PG_EXCLUDED = """AND NOT EXISTS (SELECT 1 FROM search_index si WHERE si.page_id = t.page_id
                                  AND si.document @@ websearch_to_tsquery('english', :excluded))"""
# The first BODY_CANDIDATES matches from the GIN index; when there are fewer, ts_rank on their
# small rank vector (title and the page's opening, migration 0005), else page order.
_PG_BODIES = """
    SELECT c.page_id, c.title_key,
           CASE WHEN count(*) OVER () < :body_cap
                THEN -ts_rank(si.rank_vector, websearch_to_tsquery('english', :match), 1) ELSE c.page_id END
    FROM (SELECT si.page_id, {key} AS title_key
          FROM search_index si
          {join}
          WHERE si.document @@ websearch_to_tsquery('english', :match) {where}{tags}
          LIMIT :body_cap) AS c
    JOIN search_index si ON si.page_id = c.page_id
"""
_PG_BODIES_BY = {
    True: text(_PG_BODIES.format(key="p.title_key", join="JOIN pages p ON p.id = si.page_id",
                                 where="AND p.title_key LIKE :prefix ESCAPE '\\'", tags="")),
    False: text(_PG_BODIES.format(key="''", join="", where="", tags="")),
}


def _pg_bodies(prefixed: bool, tags: int):
    """The body-candidate statement; with tag filters (issue 20) built for their number."""
    if not tags:
        return _PG_BODIES_BY[prefixed]
    if prefixed:
        return text(_PG_BODIES.format(key="p.title_key", join="JOIN pages p ON p.id = si.page_id",
                                      where="AND p.title_key LIKE :prefix ESCAPE '\\'",
                                      tags=_tag_filter("si.page_id", tags)))
    return text(_PG_BODIES.format(key="''", join="", where="", tags=_tag_filter("si.page_id", tags)))

_PG_DETAILS = text("""
    SELECT pages.id, pages.title, search_index.body, revisions.created_at, revisions.display_title
    FROM pages
    JOIN search_index ON search_index.page_id = pages.id
    JOIN revisions ON revisions.id = pages.current_revision_id
    WHERE pages.id = ANY(:ids)
""").columns(id=Integer(), title=String(), body=Text(), created_at=UTCDateTime(), display_title=String())


def _postgresql_candidates(query: Query, params: dict) -> tuple[list, list]:
    """Candidates from the GIN indexes.

    With a word found on most pages the planner prefers scanning the table and testing
    each row's document, which decompresses every tsvector (300 ms on 20,000 pages); the
    GIN bitmap scan answers the match without reading them. So for these statements only,
    the other scans are switched off (SET LOCAL ends with the transaction).
    """
    positive = Query(words=query.words, phrases=query.phrases)
    statement = _PG_TITLES.format(excluded=_PG_EXCLUDED if query.excluded else "",
                                  tags=_tag_filter("t.page_id", len(query.tags)))
    title_params = {**params, "title_match": positive.websearch()}
    if query.excluded:
        title_params["excluded"] = " or ".join(query.excluded)
    if not query.excluded:  # the small title table alone: the planner's own choice is best
        titles = db.session.execute(text(statement), title_params).all()
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    db.session.execute(text("SET LOCAL enable_indexscan = off"))
    if query.excluded:  # it tests search_index's documents too
        titles = db.session.execute(text(statement), title_params).all()
    bodies = db.session.execute(_pg_bodies(params["prefix"] != "%", len(query.tags)),
                                {**params, "match": query.websearch()}).all()
    db.session.execute(text("SET LOCAL enable_seqscan = on"))
    db.session.execute(text("SET LOCAL enable_indexscan = on"))
    return titles, bodies


# --- Issue 20: the opening words of pages, for lists of pages (a tag's pages) ------------------

_SQLITE_EXCERPTS = text("""
    SELECT pages.title, search_index.body FROM pages JOIN search_index ON search_index.rowid = pages.id
    WHERE pages.title IN :titles AND pages.deleted = 0
""").bindparams(bindparam("titles", expanding=True))
_PG_EXCERPTS = text("""
    SELECT pages.title, search_index.body FROM pages JOIN search_index ON search_index.page_id = pages.id
    WHERE pages.title IN :titles AND NOT pages.deleted
""").bindparams(bindparam("titles", expanding=True))


def excerpts(titles: list[str], width: int = 200) -> dict[str, str]:
    """{title: HTML of the page's opening words} for these live pages, from the search index's
    text (one query): escaped, no markup (wiki.core.searchtext.snippet)."""
    if not titles:
        return {}
    statement = _SQLITE_EXCERPTS if _sqlite() else _PG_EXCERPTS
    return {title: snippet(body, (), width) for title, body in db.session.execute(statement, {"titles": titles})}
