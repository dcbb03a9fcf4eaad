"""Pages and revisions: look-up, save, revert, history, and the link table."""
from dataclasses import dataclass
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from wiki.extensions import db
from wiki.markup.redirects import redirect_target
from wiki.markup.sections import Section, get_section, replace_section, section_text
from wiki.models import Page, Revision, User
from wiki.services import rendering
from wiki.services.errors import BodyTooLarge, InvalidInput, NotFound, StaleRevision
from wiki.services.links import sync_links
from wiki.titles import InvalidTitle, canonical_key, normalize_title

DEFAULT_MAX_BYTES = 1024 * 1024
MAX_SUMMARY_LENGTH = 300


@dataclass(frozen=True)
class SaveResult:
    page: Page
    revision: Revision
    created: bool  # False: the body was identical, nothing was saved


def _same_title(title: str, key: str) -> bool:
    try:
        return canonical_key(title) == key
    except InvalidTitle:
        return False


def find_deleted_page(title: str) -> Page | None:
    """The deleted page holding this title, or None."""
    return db.session.scalar(
        select(Page).where(Page.title_key == canonical_key(title), Page.deleted.is_(True))
    )


def find_page(title: str) -> Page | None:
    """The live page with this title in any spelling, or None. Raises InvalidTitle."""
    key = canonical_key(title)
    return db.session.scalar(
        select(Page)
        .options(joinedload(Page.current_revision).joinedload(Revision.author))
        .where(Page.title_key == key, Page.deleted.is_(False))
    )


def get_page(title: str) -> Page:
    """Like find_page, but a missing page raises NotFound."""
    page = find_page(title)
    if page is None:
        raise NotFound(f"There is no page called “{normalize_title(title)}”.")
    return page


def get_revision(page: Page, number: int) -> Revision:
    """Revision ``number`` of ``page``; NotFound if it has no such revision."""
    if not 1 <= number <= 2**31 - 1:  # beyond the column's range: no such revision
        raise NotFound(f"“{page.title}” has no revision {number}.")
    revision = db.session.scalar(
        select(Revision)
        .options(joinedload(Revision.author))
        .where(Revision.page_id == page.id, Revision.number == number)
    )
    if revision is None:
        raise NotFound(f"“{page.title}” has no revision {number}.")
    return revision


def history(page: Page, page_number: int, per_page: int) -> tuple[list[Revision], int]:
    """One page of a page's revisions, newest first, and the total number of revisions."""
    total = db.session.scalar(select(func.count()).where(Revision.page_id == page.id))
    rows = db.session.scalars(
        select(Revision)
        .options(joinedload(Revision.author))
        .where(Revision.page_id == page.id)
        .order_by(Revision.number.desc())
        .limit(per_page)
        .offset((page_number - 1) * per_page)
    ).all()
    return list(rows), total


def current_revision(page_id: int) -> Revision | None:
    """The page's current revision, read from the database (not from a cached object)."""
    return db.session.scalar(
        select(Revision).join(Page, Page.current_revision_id == Revision.id).where(Page.id == page_id)
    )


def save_page(
    title: str,
    body: str,
    summary: str,
    author: User | None,
    base_revision: int | None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> SaveResult:
    """Save ``body`` as a new revision of the page ``title`` (creating the page if needed).

    ``base_revision`` is the revision number the editor started from (None or 0 for a new
    page). If the page has moved on since, nothing is written and StaleRevision is raised.
    An identical body writes nothing and returns ``created=False``.
    """
    display, key = normalize_title(title), canonical_key(title)
    size = len(body.encode("utf-8"))
    if size > max_bytes:
        raise BodyTooLarge(
            f"The page is {size:,} bytes; the limit is {max_bytes:,} bytes. Nothing was saved."
        )
    summary = " ".join(summary.split())
    if len(summary) > MAX_SUMMARY_LENGTH:
        raise InvalidInput(f"The edit summary is limited to {MAX_SUMMARY_LENGTH} characters.")

    target = redirect_target(body)
    if target is not None and _same_title(target, key):
        raise InvalidInput("A page cannot redirect to itself.")

    page = db.session.scalar(select(Page).where(Page.title_key == key))
    if page is None:
        if base_revision:
            raise StaleRevision(None)
        page = Page(title=display, title_key=key)
        db.session.add(page)
        parent = None
    else:
        if page.deleted:
            raise NotFound(f"“{page.title}” has been deleted; an administrator can restore it.")
        parent = current_revision(page.id)
        if parent is None or base_revision != parent.number:
            raise StaleRevision(parent)
        if body == parent.source:
            return SaveResult(page, parent, created=False)

    try:
        revision = write_revision(page, parent, body, summary, author)
        db.session.commit()
    except (IntegrityError, StaleRevision):
        db.session.rollback()
        existing = db.session.scalar(select(Page).where(Page.title_key == key))
        raise StaleRevision(current_revision(existing.id) if existing else None) from None
    db.session.refresh(page)
    return SaveResult(page, revision, created=True)


def write_revision(page: Page, parent: Revision | None, body: str, summary: str, author: User | None) -> Revision:
    """Add a revision after ``parent`` and make it current, in the caller's transaction.

    Raises IntegrityError or StaleRevision if another save got there first: the page only
    moves forward from the revision the writer started from (check-and-set).
    """
    rendered = rendering.render(page.title, body)
    db.session.flush()  # a concurrent creation of the same title fails here
    revision = Revision(
        page_id=page.id,
        number=parent.number + 1 if parent else 1,
        parent_id=parent.id if parent else None,
        author_id=author.id if author else None,
        summary=summary,
        source=body,
        size=len(body.encode("utf-8")),
        parent_size=parent.size if parent else 0,
    )
    rendering.apply(revision, rendered)
    db.session.add(revision)
    db.session.flush()  # a concurrent save of the same number fails here
    moved = db.session.execute(
        update(Page)
        .where(
            Page.id == page.id,
            Page.current_revision_id == parent.id if parent else Page.current_revision_id.is_(None),
        )
        .values(current_revision_id=revision.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise StaleRevision(None)
    sync_links(page, rendered)
    if parent is None:  # links to this title turn from red to blue
        rendering.rerender_linking_pages({page.title_key})
    elif revision.headings != parent.headings:  # section links may turn valid or broken
        rendering.rerender_linking_pages({page.title_key}, sections_only=True)
    return revision


def revert_page(page: Page, number: int, author: User | None, base_revision: int) -> SaveResult:
    """Make a new revision whose source is that of revision ``number``; history is kept."""
    old = get_revision(page, number)
    return save_page(
        page.title,
        old.source,
        f"Reverted to revision {number}",
        author,
        base_revision=base_revision,
        max_bytes=max(DEFAULT_MAX_BYTES, old.size),
    )


def find_section(page: Page, number: int) -> tuple[Section, str]:
    """Section ``number`` of the page's current text and that section's source."""
    source = page.current_revision.source
    section = get_section(source, number)
    if section is None:
        raise NotFound(f"“{page.title}” has no section {number}; it may have been removed. "
                       "Edit the whole page instead.")
    return section, section_text(source, section)


def save_section(
    page: Page,
    number: int,
    text: str,
    summary: str,
    author: User | None,
    base_revision: int,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> SaveResult:
    """Splice an edited section into the page and save the whole page as a new revision.

    Sections are numbered in the text of ``base_revision``; if the page moved on since,
    the numbers may point elsewhere, so a stale base is refused like a whole-page edit.
    """
    current = page.current_revision
    if current is None or current.number != base_revision:
        raise StaleRevision(current)
    section, _ = find_section(page, number)
    body = replace_section(current.source, section, text)
    return save_page(page.title, body, summary, author, base_revision, max_bytes)
