"""The link graph: the Link table is the one source of truth for backlinks, wanted pages,
orphaned pages and the page index."""
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from wiki.extensions import db
from wiki.core.markup import Rendered
from wiki.models import Link, Page
from wiki.services.filerefs import sync_file_links
from wiki.core.titles import InvalidTitle, canonical_key, normalize_title


def sync_links(page: Page, rendered: Rendered) -> None:
    """Replace the page's outgoing links with those of its new current revision."""
    db.session.execute(Link.__table__.delete().where(Link.source_page_id == page.id))
    rows = link_rows(page, rendered)
    if rows:
        db.session.execute(Link.__table__.insert(), rows)
    sync_file_links(page, rendered)


def link_rows(page: Page, rendered: Rendered) -> list[dict]:
    """The Link rows (as insert parameters) for a page whose current rendering is ``rendered``."""
    seen, rows = set(), []
    for link in rendered.links:
        if not link.target:
            continue  # a link to a section of the same page
        try:
            title, key = normalize_title(link.target), canonical_key(link.target)
        except InvalidTitle:
            continue  # can never be a page
        section = link.section[:255] if link.section else None
        if (key, section) not in seen:
            seen.add((key, section))
            rows.append({"source_page_id": page.id, "target_title": title, "target_key": key, "section": section})
    return rows


@dataclass
class Backlink:
    page: Page
    sections: list[str] = field(default_factory=list)  # sections of the target it links to
    whole_page: bool = False  # it links to the page itself (no section)


def backlinks(title: str) -> list[Backlink]:
    """Live pages linking to ``title`` (existing or not), each with the sections they link to."""
    key = canonical_key(title)
    rows = db.session.execute(
        select(Page, Link.section)
        .join(Link, Link.source_page_id == Page.id)
        .where(Link.target_key == key, Page.deleted.is_(False), Page.title_key != key)
        .order_by(func.lower(Page.title), Link.section)
    ).all()
    result: dict[int, Backlink] = {}
    for source, section in rows:
        entry = result.setdefault(source.id, Backlink(source))
        if section:
            entry.sections.append(section)
        else:
            entry.whole_page = True
    return list(result.values())


def wanted_pages(limit: int = 200) -> list[tuple[str, int]]:
    """Titles linked to but missing (or deleted), most linked first: (title, linking pages)."""
    live_target = aliased(Page)
    source = aliased(Page)
    rows = db.session.execute(
        select(Link.target_key, func.min(Link.target_title), func.count(func.distinct(Link.source_page_id)))
        .join(source, source.id == Link.source_page_id)
        .outerjoin(live_target, (live_target.title_key == Link.target_key) & live_target.deleted.is_(False))
        .where(source.deleted.is_(False), live_target.id.is_(None))
        .group_by(Link.target_key)
        .order_by(func.count(func.distinct(Link.source_page_id)).desc(), Link.target_key)
        .limit(limit)
    ).all()
    return [(title, count) for _key, title, count in rows]


LIST_PAGE_SIZE = 200  # titles in one window of /-/pages or /-/orphans (list_titles)
# Titles looked at for one window of /-/orphans: each costs a probe of the link table, and in
# a wiki where nearly every page is linked, 200 orphans may be 100,000 titles away.
ORPHAN_SCAN = 5000


def orphaned_pages(prefix: str = "", after: str | None = None, before: str | None = None,
                   limit: int | None = None) -> "TitleWindow":
    """Live pages that no other live page links to (the home page excepted), one window of
    them in title-key order (see list_titles)."""
    source = aliased(Page)
    linked = (
        select(Link.target_key)
        .join(source, source.id == Link.source_page_id)
        .where(source.deleted.is_(False), source.id != Page.id, Link.target_key == Page.title_key)
    )
    return list_titles(prefix, after, before, limit, Page.title_key != "home", ~linked.exists(),
                       scan=ORPHAN_SCAN)


# --- Lists of titles, a window at a time (issue 22) -------------------------------------------
# /-/pages and /-/orphans list every page: 4.5 MB at 45,700 pages. They show LIST_PAGE_SIZE
# titles at a time, by keyset on pages.title_key (its unique index): a window costs the same
# at the first title as at the 100,000th, and a ?prefix= narrows it to one folder.


@dataclass(frozen=True)
class TitleWindow:
    """Titles in title-key order; ``next_after`` / ``previous_before`` are the keys to ask
    for the neighbouring windows with (None: there is none)."""

    titles: list[str]
    prefix: str  # as normalized into a key prefix
    next_after: str | None
    previous_before: str | None
    display: dict[str, str] = field(default_factory=dict)  # title -> display title, where one is set


def title_key_prefix(prefix: str) -> str:
    """A typed title prefix ("Concepts/", "common_x") as the start of title keys."""
    return " ".join(prefix.replace("_", " ").split(" ")).casefold().lstrip()


def list_titles(prefix: str = "", after: str | None = None, before: str | None = None,
                limit: int | None = None, *conditions, scan: int | None = None) -> TitleWindow:
    """A window of ``limit`` (default LIST_PAGE_SIZE) live page titles starting with ``prefix``,
    after the key ``after`` (or the window before the key ``before``), further narrowed by
    ``conditions``. Two queries.

    ``scan``: look at no more than this many titles (for conditions that cost a probe per
    title, like "no page links here"): a window may then hold fewer titles, even none, and
    the next one continues after the titles looked at. Such lists go forward only
    (``before`` is ignored, ``previous_before`` is None): the window before a stretch
    without matches would cost a scan of its own.
    """
    limit = limit or LIST_PAGE_SIZE
    key_prefix = title_key_prefix(prefix)
    live = [Page.deleted.is_(False)]
    if key_prefix:
        # The range lets the index start at the folder's first key; the LIKE is the exact test.
        live += [Page.title_key >= key_prefix, Page.title_key.startswith(key_prefix, autoescape=True)]
    backwards = before is not None and after is None and not scan
    if backwards:
        window, order = [Page.title_key < before], Page.title_key.desc()
    else:
        window, order = ([Page.title_key > after] if after is not None else []), Page.title_key
    bound = None
    if scan:  # the key of the scan-th title from here, looked up in the index alone
        bound = db.session.scalar(select(Page.title_key).where(*live, *window).order_by(order)
                                  .offset(scan - 1).limit(1))
        if bound is not None:
            window.append(Page.title_key <= bound)
    rows = db.session.execute(select(Page.title, Page.title_key, Page.display_title)
                              .where(*live, *conditions, *window).order_by(order).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    titles = [row.title for row in rows]
    display = {row.title: row.display_title for row in rows if row.display_title}
    if backwards:
        rows.reverse()
        titles.reverse()
        previous_before = rows[0].title_key if more else None
        return TitleWindow(titles, key_prefix, rows[-1].title_key if rows else None, previous_before, display)
    # Forward: the next window starts after the last title shown when there are more, else
    # after the scan's bound when the scan stopped short of the end.
    next_after = rows[-1].title_key if more else bound
    previous_before = None
    if not scan and after is not None and rows and db.session.scalar(
            select(Page.id).where(*live, *conditions, Page.title_key < rows[0].title_key).limit(1)) is not None:
        previous_before = rows[0].title_key
    return TitleWindow(titles, key_prefix, next_after, previous_before, display)


@dataclass
class IndexNode:
    """One level of the page hierarchy: a page (if one has this title) and its children."""

    name: str
    title: str
    page: str | None = None  # the title, when a page has it
    children: dict[str, "IndexNode"] = field(default_factory=dict)

    @property
    def sorted_children(self) -> list["IndexNode"]:
        return sorted(self.children.values(), key=lambda node: node.name.casefold())


def page_index(titles: list[str]) -> IndexNode:
    """Titles (one window of list_titles) as a tree grouped by the '/' hierarchy."""
    root = IndexNode("", "")
    for title in titles:
        node = root
        parts = title.split("/")
        for depth, part in enumerate(parts):
            key = part.casefold()
            if key not in node.children:
                node.children[key] = IndexNode(part, "/".join(parts[: depth + 1]))
            node = node.children[key]
        node.page = title
        node.title = title
    return root


# --- Breadcrumbs: which parents of a title exist (issue 22) -----------------------------------

@dataclass(frozen=True)
class Parent:
    name: str  # the last segment, as shown
    title: str
    exists: bool


_LIVE_KEYS = select(Page.title_key).where(Page.title_key.in_(bindparam("keys", expanding=True)),
                                         Page.deleted.is_(False))


def parents(title: str, connection=None) -> tuple[Parent, ...]:
    """The parent titles of ``title`` ("a/b/c": "a", "a/b"), each with whether a live page has
    it: one query for all of them (none for a title without "/"). ``connection``: a Core
    connection to read with instead of the session (the page cache's fast path)."""
    parts = title.split("/")
    titles = ["/".join(parts[:depth]) for depth in range(1, len(parts))]
    if not titles:
        return ()
    keys = {}
    for parent in titles:
        try:
            keys[parent] = canonical_key(parent)
        except InvalidTitle:
            keys[parent] = None  # cannot be a page
    wanted = sorted({key for key in keys.values() if key})
    live = set((connection or db.session).execute(_LIVE_KEYS, {"keys": wanted}).scalars()) if wanted else set()
    return tuple(Parent(parent.rsplit("/", 1)[-1], parent, keys[parent] in live) for parent in titles)
