"""Recent changes across the wiki and a user's contributions, newest first."""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload, load_only

from wiki.extensions import db
from wiki.models import Page, Revision, User
from wiki.services.pages import LISTED_COLUMNS


@dataclass(frozen=True)
class ChangeFilter:
    hide_minor: bool = False
    user: User | None = None
    prefix: str = ""  # title prefix, e.g. "concepts/" (any letter case, '_' as space)


def recent_changes(filters: ChangeFilter, page_number: int = 1, per_page: int = 50) -> tuple[list[Revision], bool]:
    """One page of revisions of live pages, newest first, and whether older ones follow."""
    query = (
        select(Revision)
        .join(Page, Page.id == Revision.page_id)
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
    rows = db.session.scalars(query.limit(per_page + 1).offset((page_number - 1) * per_page)).all()
    return list(rows[:per_page]), len(rows) > per_page
