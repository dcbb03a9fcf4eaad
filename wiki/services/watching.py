"""Watching pages and title prefixes, and the watchlist (changes to what one watches).

A watch names a page by id, so it follows the page through renames, or a title prefix
(a title key such as "concepts/"), which covers pages made later too. Prefixes are compared
with ``substr`` rather than ``LIKE``, so a title containing ``%`` or ``_`` needs no escaping.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, exists, func, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, load_only

from wiki.core.titles import InvalidTitle, canonical_key
from wiki.extensions import db
from wiki.models import Page, Revision, User, Watch, utcnow
from wiki.services import availability, preferences
from wiki.services.errors import InvalidInput

WATCHLIST_SIZE = 100


def _prefix_matches(title_key):
    """SQL: ``Watch.prefix`` is a prefix of ``title_key``."""
    return and_(Watch.prefix.is_not(None),
                func.substr(title_key, 1, func.length(Watch.prefix)) == Watch.prefix)


def _watching(page: Page):
    """SQL: the watch is of ``page``, directly or by a prefix of its title, as two index
    look-ups (ix_watches_page_id, ix_watches_prefix). Written as one OR, both databases read
    every watch of the wiki: 55 ms a notification batch at 100,000 auto-watched pages
    (bench/RESULTS.md, 2026-12-02), 0.05 ms this way."""
    return Watch.id.in_(union_all(select(Watch.id).where(Watch.page_id == page.id),
                                  select(Watch.id).where(_prefix_matches(page.title_key))))


def clean_prefix(value: str) -> str:
    """A title prefix as typed ("Concepts/", "concepts_") as the key prefix it stands for."""
    text = " ".join((value or "").replace("_", " ").split(" ")).strip()
    if not text:
        raise InvalidInput("Give the beginning of the titles to watch, such as “concepts/”.", field="prefix")
    if len(text) > 255:
        raise InvalidInput("A title prefix has at most 255 characters.", field="prefix")
    trailing = "/" if text.endswith("/") else ""
    try:
        return canonical_key(text.rstrip("/")) + trailing
    except InvalidTitle as error:
        raise InvalidInput(str(error), field="prefix") from None


def is_watching(user_id: int, page: Page) -> bool:
    """Whether the user watches ``page``, directly or by a prefix (one query)."""
    return bool(db.session.scalar(select(exists().where(
        Watch.user_id == user_id, or_(Watch.page_id == page.id, _prefix_matches(page.title_key))))))


def watches_page(user_id: int, page_id: int) -> bool:
    return db.session.scalar(select(Watch.id).where(Watch.user_id == user_id, Watch.page_id == page_id)) is not None


def watch(user: User, page: Page, commit: bool = True) -> bool:
    """Watch ``page``; False if already watched."""
    if watches_page(user.id, page.id):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(Watch(user_id=user.id, page_id=page.id))
    except IntegrityError:  # the same click twice at once
        return False
    if commit:
        availability.commit(f"watching “{page.title}”")
    return True


def unwatch(user: User, page: Page) -> bool:
    """Stop watching ``page`` (its direct watch; a prefix watch stays). False if not watched."""
    gone = db.session.execute(delete(Watch).where(Watch.user_id == user.id, Watch.page_id == page.id)).rowcount
    availability.commit(f"unwatching “{page.title}”")
    return bool(gone)


def watch_prefix(user: User, value: str) -> str:
    """Watch every title starting with ``value``; returns the prefix as stored."""
    prefix = clean_prefix(value)
    exists_already = db.session.scalar(select(Watch.id).where(Watch.user_id == user.id, Watch.prefix == prefix))
    if exists_already is None:
        db.session.add(Watch(user_id=user.id, prefix=prefix))
        try:
            availability.commit("watching the prefix")
        except IntegrityError:
            db.session.rollback()
    return prefix


def unwatch_by_id(user: User, watch_id: int) -> bool:
    """Remove one of the user's own watches (the watchlist's buttons)."""
    gone = db.session.execute(delete(Watch).where(Watch.user_id == user.id, Watch.id == watch_id)).rowcount
    availability.commit("unwatching")
    return bool(gone)


def auto_watch(author: User | None, page: Page) -> None:
    """In a save's transaction: the author watches the page, if their preference says so."""
    if author is None or not author.active or not preferences.of(author.id).auto_watch \
            or watches_page(author.id, page.id):
        return
    db.session.add(Watch(user_id=author.id, page_id=page.id))


def watches(user: User) -> list[Watch]:
    """The user's watches: pages (with their titles) by title, then prefixes."""
    rows = db.session.scalars(
        select(Watch).outerjoin(Page, Page.id == Watch.page_id).options(contains_eager(Watch.page))
        .where(Watch.user_id == user.id)
        .order_by(Watch.prefix.is_not(None), Page.title_key, Watch.prefix)
    )
    return list(rows)


def watched_by_others(page: Page, user_id: int | None) -> bool:
    """Whether anyone other than ``user_id`` watches ``page`` (one EXISTS query)."""
    return bool(db.session.scalar(select(exists().where(
        Watch.user_id != (user_id or 0), _watching(page)))))


def watchers_query(page: Page):
    """SELECT the ids of active users watching ``page`` (directly or by prefix)."""
    return (select(Watch.user_id).join(User, User.id == Watch.user_id)
            .where(User.active.is_(True), _watching(page))
            .distinct())


@dataclass(frozen=True)
class Watchlist:
    rows: list[Revision]  # newest first, each with .page and .author loaded
    seen_at: datetime | None  # changes after this are new
    new: int  # how many of ``rows`` are new


def watchlist(user: User, limit: int = WATCHLIST_SIZE) -> Watchlist:
    """Changes to live watched pages by others and oneself, newest first (one query)."""
    from wiki.services.pages import LISTED_COLUMNS  # pages imports this module (auto-watch)

    watched = select(Watch.id).where(Watch.user_id == user.id,
                                     or_(Watch.page_id == Page.id, _prefix_matches(Page.title_key)))
    rows = list(db.session.scalars(
        # Outer: an inner join has SQLite build a Bloom filter over every page first
        # (changes.recent_changes says more); the WHERE on the page keeps it an inner join.
        select(Revision).outerjoin(Page, Page.id == Revision.page_id)
        .options(load_only(*LISTED_COLUMNS), contains_eager(Revision.page), joinedload(Revision.author))
        .where(Page.deleted.is_(False), exists(watched))
        .order_by(Revision.created_at.desc(), Revision.id.desc()).limit(limit)
    ).unique())
    seen_at = preferences.of(user.id).watchlist_seen_at
    new = sum(1 for row in rows if seen_at is None or row.created_at > seen_at)
    return Watchlist(rows, seen_at, new)


def mark_seen(user: User) -> None:
    """Every change on the watchlist so far is seen."""
    prefs = preferences.of(user.id)
    if prefs not in db.session:
        db.session.add(prefs)
    prefs.watchlist_seen_at = utcnow()
    availability.commit("your watchlist")
