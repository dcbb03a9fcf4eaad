"""Pages and revisions: look-up, save, revert, history, and the link table."""
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from wiki.extensions import db
from wiki.markup import LinkTarget, Rendered, render_markdown, slugify_heading
from wiki.models import Link, Page, Revision, User
from wiki.services.errors import BodyTooLarge, InvalidInput, NotFound, StaleRevision
from wiki.titles import InvalidTitle, canonical_key, normalize_title, title_to_url_path

DEFAULT_MAX_BYTES = 1024 * 1024
MAX_SUMMARY_LENGTH = 300


@dataclass(frozen=True)
class SaveResult:
    page: Page
    revision: Revision
    created: bool  # False: the body was identical, nothing was saved


def page_url(title: str, section: str | None = None, action: str | None = None) -> str:
    """Root-relative URL of a page (or a page action); used in stored HTML, so no request context."""
    url = "/wiki/" + quote(title_to_url_path(title), safe="/")
    if action:
        url += "/-/" + action
    if section:
        url += "#" + slugify_heading(section)
    return url


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


class _Resolver:
    """Resolves wiki-link targets against the database, one query per distinct target."""

    def __init__(self):
        self._pages: dict[str, Page | None] = {}

    def __call__(self, target: str, section: str | None) -> LinkTarget:
        if not target:
            return LinkTarget(href="#" + slugify_heading(section or ""))
        try:
            title = normalize_title(target)
            key = canonical_key(target)
        except InvalidTitle:
            return LinkTarget(href="/wiki/" + quote(target.replace(" ", "_"), safe="/"), exists=False)
        if key not in self._pages:
            self._pages[key] = db.session.scalar(
                select(Page).where(Page.title_key == key, Page.deleted.is_(False))
            )
        page = self._pages[key]
        if page is None:
            return LinkTarget(href=page_url(title, action="edit"), exists=False)
        return LinkTarget(href=page_url(page.title, section))


def render(source: str) -> Rendered:
    """Render Markdown source to sanitized HTML, resolving wiki links against the database."""
    return render_markdown(source, _Resolver())


def _sync_links(page: Page, rendered: Rendered) -> None:
    """Replace the page's outgoing links with those of its new current revision."""
    db.session.execute(Link.__table__.delete().where(Link.source_page_id == page.id))
    seen = set()
    rows = []
    for link in rendered.links:
        if not link.target:
            continue  # a link to a section of the same page
        try:
            title, key = normalize_title(link.target), canonical_key(link.target)
        except InvalidTitle:
            continue  # can never be a page
        section = (link.section or None) and link.section[:255]
        if (key, section) in seen:
            continue
        seen.add((key, section))
        rows.append(
            {"source_page_id": page.id, "target_title": title, "target_key": key, "section": section}
        )
    if rows:
        db.session.execute(Link.__table__.insert(), rows)


def _current_revision(page_id: int) -> Revision | None:
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

    page = db.session.scalar(select(Page).where(Page.title_key == key))
    if page is None:
        if base_revision:
            raise StaleRevision(None)
        page = Page(title=display, title_key=key)
        db.session.add(page)
        parent = None
    else:
        if page.deleted:
            raise NotFound(f"“{page.title}” has been deleted.")
        parent = _current_revision(page.id)
        if parent is None or base_revision != parent.number:
            raise StaleRevision(parent)
        if body == parent.source:
            return SaveResult(page, parent, created=False)

    rendered = render(body)
    try:
        db.session.flush()  # a concurrent creation of the same title fails here
        revision = Revision(
            page_id=page.id,
            number=parent.number + 1 if parent else 1,
            parent_id=parent.id if parent else None,
            author_id=author.id if author else None,
            summary=summary,
            source=body,
            html=rendered.html,
            toc=rendered.toc,
            size=size,
            parent_size=parent.size if parent else 0,
        )
        db.session.add(revision)
        db.session.flush()  # a concurrent save of the same number fails here
        # Check-and-set: only move the page forward from the revision we started from.
        moved = db.session.execute(
            update(Page)
            .where(
                Page.id == page.id,
                Page.current_revision_id == parent.id
                if parent
                else Page.current_revision_id.is_(None),
            )
            .values(current_revision_id=revision.id)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            raise StaleRevision(None)
        _sync_links(page, rendered)
        db.session.commit()
    except (IntegrityError, StaleRevision):
        db.session.rollback()
        existing = db.session.scalar(select(Page).where(Page.title_key == key))
        raise StaleRevision(_current_revision(existing.id) if existing else None) from None
    db.session.refresh(page)
    return SaveResult(page, revision, created=True)


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
