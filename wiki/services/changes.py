"""Recent changes across the wiki and a user's contributions, newest first."""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload, load_only

from wiki.extensions import db
from wiki.models import DiscussionComment, DiscussionThread, Page, PageEvent, Revision, User
from wiki.services.pages import LISTED_COLUMNS


@dataclass(frozen=True)
class ChangeFilter:
    hide_minor: bool = False
    user: User | None = None
    prefix: str = ""  # title prefix, e.g. "concepts/" (any letter case, '_' as space)
    comments: bool = False  # issue 16: discussion comments among the changes


def recent_changes(filters: ChangeFilter, page_number: int = 1, per_page: int = 50,
                   events: bool = False) -> tuple[list[Revision | PageEvent], bool]:
    """One page of revisions of live pages, newest first, and whether older ones follow;
    with ``events``, deletes and restores (``PageEvent``) among them; with ``filters.comments``,
    discussion comments (``DiscussionComment``) too."""
    # An outer join, though every revision has its page: for an inner join SQLite 3.40 first
    # builds a Bloom filter over the whole pages table (16 ms at 100,000 pages, for a list of
    # 50: bench/RESULTS.md); the WHERE on the page makes it an inner join all the same.
    query = (
        select(Revision)
        .outerjoin(Page, Page.id == Revision.page_id)
        .options(load_only(*LISTED_COLUMNS), contains_eager(Revision.page), joinedload(Revision.author))
        .where(Page.deleted.is_(False))
        .order_by(Revision.created_at.desc(), Revision.id.desc())
    )
    if filters.hide_minor:
        query = query.where(Revision.minor.is_(False))
    if filters.user is not None:
        query = query.where(Revision.author_id == filters.user.id)
    prefix = " ".join(filters.prefix.replace("_", " ").split(" ")).casefold().lstrip()
    if prefix:
        query = query.where(Page.title_key.startswith(prefix, autoescape=True))
    if not events and not filters.comments:
        rows = db.session.scalars(query.limit(per_page + 1).offset((page_number - 1) * per_page)).all()
        return list(rows[:per_page]), len(rows) > per_page
    # Deletes and restores make no revision: their page events are merged in by time. Both
    # lists are read up to the end of the page asked for, then cut (page numbers stay small).
    upto = page_number * per_page + 1
    revisions = db.session.scalars(query.limit(upto)).all()
    merged = list(revisions)
    if filters.comments:
        merged += comments(filters.user, prefix, upto)
    if not events:
        merged.sort(key=lambda row: row.created_at, reverse=True)
        rows = merged[(page_number - 1) * per_page:upto]
        return rows[:per_page], len(rows) > per_page
    logged = select(PageEvent).options(joinedload(PageEvent.actor)).order_by(PageEvent.created_at.desc(),
                                                                               PageEvent.id.desc())
    if filters.user is not None:
        logged = logged.where(PageEvent.actor_id == filters.user.id)
    if prefix:
        logged = logged.join(Page, Page.id == PageEvent.page_id).where(
            Page.title_key.startswith(prefix, autoescape=True))
    merged = sorted([*merged, *db.session.scalars(logged.limit(upto)).all()],
                    key=lambda row: row.created_at, reverse=True)
    rows = merged[(page_number - 1) * per_page:upto]
    return rows[:per_page], len(rows) > per_page


def comments(user: User | None = None, prefix: str = "", limit: int = 50,
             page_id: int | None = None) -> list[DiscussionComment]:
    """The newest visible comments on live pages (each with its thread, page and author
    loaded), of ``user``, under a title key ``prefix`` or on one page (issue 16)."""
    query = (
        select(DiscussionComment)
        .join(DiscussionThread, DiscussionThread.id == DiscussionComment.thread_id)
        .join(Page, Page.id == DiscussionThread.page_id)
        .options(contains_eager(DiscussionComment.thread).contains_eager(DiscussionThread.page),
                 joinedload(DiscussionComment.author))
        .where(Page.deleted.is_(False), DiscussionComment.hidden.is_(False))
        .order_by(DiscussionComment.created_at.desc(), DiscussionComment.id.desc())
    )
    if user is not None:
        query = query.where(DiscussionComment.author_id == user.id)
    if prefix:
        query = query.where(Page.title_key.startswith(prefix, autoescape=True))
    if page_id is not None:
        query = query.where(Page.id == page_id)
    return list(db.session.scalars(query.limit(limit)).unique())
