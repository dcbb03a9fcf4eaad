"""The link graph: the Link table is the one source of truth for backlinks, wanted pages,
orphaned pages and the page index."""
from dataclasses import dataclass, field

from sqlalchemy import func, select
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


def orphaned_pages() -> list[Page]:
    """Live pages that no other live page links to (the home page excepted)."""
    source = aliased(Page)
    linked = (
        select(Link.target_key)
        .join(source, source.id == Link.source_page_id)
        .where(source.deleted.is_(False), source.id != Page.id, Link.target_key == Page.title_key)
    )
    return list(db.session.scalars(
        select(Page)
        .where(Page.deleted.is_(False), Page.title_key != "home", ~linked.exists())
        .order_by(func.lower(Page.title))
    ))


@dataclass
class IndexNode:
    """One level of the page hierarchy: a page (if one has this title) and its children."""

    name: str
    title: str
    page: Page | None = None
    children: dict[str, "IndexNode"] = field(default_factory=dict)

    @property
    def sorted_children(self) -> list["IndexNode"]:
        return sorted(self.children.values(), key=lambda node: node.name.casefold())


def page_index() -> IndexNode:
    """All live pages as a tree grouped by the '/' hierarchy."""
    root = IndexNode("", "")
    for page in db.session.scalars(select(Page).where(Page.deleted.is_(False))):
        node = root
        parts = page.title.split("/")
        for depth, part in enumerate(parts):
            key = part.casefold()
            if key not in node.children:
                node.children[key] = IndexNode(part, "/".join(parts[: depth + 1]))
            node = node.children[key]
        node.page = page
        node.title = page.title
    return root
