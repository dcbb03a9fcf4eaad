"""Completions for the editor's ``[[`` wiki links: page titles by what was typed, and a
page's section names from the headings stored with its current revision (no rendering)."""
from sqlalchemy import case, func, or_, select

from wiki.core.titles import InvalidTitle, Title, canonical_key
from wiki.extensions import db
from wiki.models import Page, Revision
from wiki.services.rendering import parse_headings

MAX_QUERY = 200


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def titles(typed: str, limit: int = 10) -> list[str]:
    """Live page titles where a word (or a path segment) starts with ``typed``, titles that
    start with it first, then shorter ones; at most ``limit``."""
    typed = typed[:MAX_QUERY]
    try:
        key = canonical_key(typed)
    except InvalidTitle:  # half typed ("concepts/"): a plain fold is good enough to match with
        key = " ".join(typed.replace("_", " ").split()).casefold()
    if not key:
        return []
    pattern = _like(key)
    starts = Page.title_key.like(pattern + "%", escape="\\")
    rows = db.session.scalars(
        select(Page.title)
        .where(Page.deleted.is_(False), Page.current_revision_id.is_not(None),
               or_(starts, *(Page.title_key.like(f"%{sep}{pattern}%", escape="\\") for sep in ("/", " ", "-"))))
        .order_by(case((starts, 0), else_=1), func.length(Page.title_key), Page.title_key)
        .limit(limit)
    ).all()
    return list(rows)


def sections(title: str) -> list[str] | None:
    """The section names (heading texts, in page order) of the live page ``title``; None if
    there is no such page."""
    try:
        key = Title.parse(title).key
    except InvalidTitle:
        return None
    column = db.session.scalar(
        select(Revision.headings).join(Page, Page.current_revision_id == Revision.id)
        .where(Page.title_key == key, Page.deleted.is_(False))
    )
    if column is None:
        return None
    return list(dict.fromkeys(parse_headings(column).values()))
