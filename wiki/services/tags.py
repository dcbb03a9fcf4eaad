"""Tags (issue 20): the page_tags table, kept equal to the ``tags:`` of every live page's
current revision, and the lists read from it.

Tags live in the source (wiki.core.tags parses them), so they change only when a page's
current revision does: ``sync_tags`` is called in the transaction of every save (through
``pages.write_revision``), restore, re-rendering and import, and ``drop_tags`` in a delete's.
Each costs one DELETE and one INSERT of the page's few rows, whatever the length of its
history. Rows are keyed by page id: a rename changes nothing.
"""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from wiki.core.edits import UNPARSED, Unparsed
from wiki.core.markup.redirects import redirect_target
from wiki.core.tags import InvalidTag, normalize_tag, source_tags
from wiki.extensions import db
from wiki.models import Page, PageTag, Revision
from wiki.services import links
from wiki.services.errors import NotFound

TAGS_PAGE_SIZE = 200  # tags in one window of /-/tags


def tags_of(source: str, redirect: str | None | Unparsed = UNPARSED) -> tuple[str, ...]:
    """The tags stored for a live page whose current source is ``source``: a redirect has none."""
    if redirect is UNPARSED:
        redirect = redirect_target(source)
    return () if redirect is not None else source_tags(source).tags


def tag_rows(page: Page, source: str, redirect: str | None | Unparsed = UNPARSED) -> list[dict]:
    """The page_tags rows (insert parameters) of a live page whose current source is ``source``."""
    if page.deleted:
        return []
    return [{"page_id": page.id, "tag": tag} for tag in tags_of(source, redirect)]


def sync_tags(page: Page, source: str, redirect: str | None | Unparsed = UNPARSED) -> None:
    """Replace the page's tags with those of ``source``, its current text, in the caller's
    transaction (none while the page is deleted)."""
    drop_tags(page)
    rows = tag_rows(page, source, redirect)
    if rows:
        db.session.execute(PageTag.__table__.insert(), rows)


def drop_tags(page: Page) -> None:
    """Take the page's tags out of the lists (it is deleted, or about to be tagged again)."""
    db.session.execute(PageTag.__table__.delete().where(PageTag.page_id == page.id))


def page_tags(page_id: int) -> list[str]:
    """The stored tags of a page, in tag order (what the API answers)."""
    return list(db.session.scalars(select(PageTag.tag).where(PageTag.page_id == page_id).order_by(PageTag.tag)))


def tags_of_pages(page_ids: list[int]) -> dict[int, list[str]]:
    """The tags of several pages, in one query: {page id: tags in tag order}."""
    result: dict[int, list[str]] = {page_id: [] for page_id in page_ids}
    if page_ids:
        for page_id, tag in db.session.execute(select(PageTag.page_id, PageTag.tag)
                                               .where(PageTag.page_id.in_(page_ids)).order_by(PageTag.tag)):
            result[page_id].append(tag)
    return result


def parse_tag(raw: str) -> str:
    """A tag named in a URL or a query, normalised; NotFound saying why when none can be."""
    try:
        return normalize_tag(raw[:200])
    except InvalidTag as error:
        raise NotFound(f"No page can have this tag. {error}") from None


@dataclass(frozen=True)
class TagCount:
    tag: str
    pages: int


@dataclass(frozen=True)
class TagWindow:
    """Tags in tag order with their page counts; ``next_after``: the tag to continue after."""
    tags: list[TagCount]
    next_after: str | None


def list_tags(after: str | None = None, limit: int = TAGS_PAGE_SIZE) -> TagWindow:
    """A window of ``limit`` tags after the tag ``after``, each with its number of live pages:
    one query, a walk of the (tag, page_id) index that stops after ``limit`` + 1 tags."""
    query = select(PageTag.tag, func.count()).group_by(PageTag.tag).order_by(PageTag.tag).limit(limit + 1)
    if after is not None:
        query = query.where(PageTag.tag > after)
    rows = db.session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return TagWindow([TagCount(tag, count) for tag, count in rows], rows[-1][0] if more and rows else None)


def count_pages(tag: str) -> int:
    """How many live pages have the tag (0: nobody uses it)."""
    return db.session.scalar(select(func.count()).select_from(PageTag).where(PageTag.tag == tag))


def has_tag(tag: str):
    """The condition "the page has this tag", for title lists (links.list_titles)."""
    return Page.id.in_(select(PageTag.page_id).where(PageTag.tag == tag))


def tagged_titles(tag: str, prefix: str = "", after: str | None = None, before: str | None = None,
                  limit: int | None = None) -> links.TitleWindow:
    """One window of the titles of the live pages having ``tag``, in title order (/-/pages?tag=,
    /-/tags/<tag>): links.list_titles narrowed by it."""
    return links.list_titles(prefix, after, before, limit, has_tag(tag))


def tagged_pages(tag: str, after_key: str | None = None, limit: int = 50) -> tuple[list[Page], bool]:
    """Live pages having ``tag`` in title-key order after ``after_key`` (the API's cursor), and
    whether more follow; NotFound when no live page has it."""
    rows = db.session.scalars(
        select(Page).options(joinedload(Page.current_revision).joinedload(Revision.author))
        .join(PageTag, PageTag.page_id == Page.id)
        .where(PageTag.tag == tag, Page.deleted.is_(False),
               *([Page.title_key > after_key] if after_key is not None else []))
        .order_by(Page.title_key).limit(limit + 1)
    ).unique().all()
    if not rows and after_key is None:
        raise NotFound(f"No page has the tag “{tag}”.")
    return list(rows[:limit]), len(rows) > limit


def rebuild_all(batch_size: int = 500) -> int:
    """Fill the table again from every live page's current revision (``flask search-reindex``);
    returns the number of tags stored."""
    db.session.execute(PageTag.__table__.delete())
    stored = after = 0
    while rows := db.session.execute(
            select(Page.id, Revision.source).join(Revision, Revision.id == Page.current_revision_id)
            .where(Page.deleted.is_(False), Page.id > after).order_by(Page.id).limit(batch_size)).all():
        inserts = [{"page_id": page_id, "tag": tag} for page_id, source in rows for tag in tags_of(source)]
        if inserts:
            db.session.execute(PageTag.__table__.insert(), inserts)
        stored += len(inserts)
        after = rows[-1][0]
    db.session.commit()
    return stored
