"""Pages and revisions: look-up, save, revert, history, and the link table."""
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, load_only

from wiki.core.markup.redirects import redirect_target
from wiki.extensions import db
from wiki.core.markup.sections import Section, get_section, replace_section, section_text
from wiki.models import Page, Revision, User
from wiki.services import availability, fanout, jobs, linkhealth, notifications, paths, rendering, review, search, tags, webhooks
from wiki.core.diff.merge import merge3
from wiki.services.errors import EditConflict, NotFound, StaleRevision
from wiki.services.links import sync_links
from wiki.core.edits import MAX_SUMMARY_LENGTH, UNPARSED, Edit, Unparsed, check_size
from wiki.core.titles import InvalidTitle, Title

DEFAULT_MAX_BYTES = 1024 * 1024
__all__ = ["MAX_SUMMARY_LENGTH", "Edit", "Title", "check_size"]  # re-exported for views and forms


@dataclass(frozen=True)
class SaveResult:
    """What a save did. The plain values are read before the commit, so an answer built from
    them needs no query once the revision exists; ``page``, ``revision`` and ``merged_with``
    are expired by the commit, and reading them queries the database again."""
    page: Page
    revision: Revision
    created: bool  # False: the body was identical, nothing was saved
    title: str  # the page's title
    number: int  # the revision's number
    source: str  # the revision's text
    merged_with: Revision | None = None  # the newer revision a stale edit was merged with
    merged_number: int | None = None  # its number
    merged_author: str | None = None  # and its author's name (None: anonymous)


def _result(page: Page, revision: Revision, created: bool, merged_with: Revision | None = None) -> SaveResult:
    merged_author = None
    if merged_with is not None and merged_with.author is not None:
        merged_author = merged_with.author.username
    return SaveResult(page, revision, created, title=page.title, number=revision.number, source=revision.source,
                      merged_with=merged_with, merged_number=merged_with.number if merged_with else None,
                      merged_author=merged_author)


def find_deleted_page(title: str | Title) -> Page | None:
    """The deleted page holding this title, or None."""
    return db.session.scalar(
        select(Page).where(Page.title_key == Title.parse(title).key, Page.deleted.is_(True))
    )


def find_page(title: str | Title) -> Page | None:
    """The live page with this title in any spelling, or None. Raises InvalidTitle."""
    key = Title.parse(title).key
    return db.session.scalar(
        select(Page)
        .options(joinedload(Page.current_revision).joinedload(Revision.author))
        .where(Page.title_key == key, Page.deleted.is_(False))
    )


def get_page(title: str | Title) -> Page:
    """Like find_page, but a missing page raises NotFound."""
    title = Title.parse(title)
    page = find_page(title)
    if page is None:
        raise NotFound(f"There is no page called “{title.display}”.")
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


# What a list of revisions shows: never the source or the stored HTML, the bulk of each row.
LISTED_COLUMNS = (Revision.id, Revision.page_id, Revision.number, Revision.parent_id, Revision.author_id,
                  Revision.created_at, Revision.summary, Revision.minor, Revision.size, Revision.parent_size)


def history(page: Page, page_number: int, per_page: int) -> tuple[list[Revision], int]:
    """One page of a page's revisions, newest first, and the total number of revisions.

    Revisions are numbered 1, 2, 3 ... without gaps and never deleted, so the current
    revision's number is the count and a page of the listing is a range of numbers: one
    index range scan on (page_id, number) however long the history, no COUNT, no OFFSET.
    """
    total = page.current_revision.number if page.current_revision is not None else 0
    top = total - (page_number - 1) * per_page
    rows = db.session.scalars(
        select(Revision)
        .options(load_only(*LISTED_COLUMNS), joinedload(Revision.author))
        .where(Revision.page_id == page.id, Revision.number <= top, Revision.number > top - per_page)
        .order_by(Revision.number.desc())
    ).all()
    return list(rows), total


def current_revision(page_id: int) -> Revision | None:
    """The page's current revision, read from the database (not from a cached object)."""
    return db.session.scalar(
        select(Revision).join(Page, Page.current_revision_id == Revision.id).where(Page.id == page_id)
    )


SAVE_ATTEMPTS = 5  # a save that races another one is merged again this many times


def save_page(
    title: str | Title,
    body: str,
    summary: str,
    author: User | None,
    base_revision: int | None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    minor: bool = False,
    merge: bool = True,
) -> SaveResult:
    """Validate plain values into an Edit and save it (``save_edit``): for callers such as the
    importer and the CLI that hold no Edit yet."""
    name = Title.parse(title)
    edit = Edit.make(name, body, summary, max_bytes=max_bytes, base_revision=base_revision, minor=minor)
    return save_edit(edit, author, max_bytes=max_bytes, merge=merge)


def save_edit(edit: Edit, author: User | None, max_bytes: int = DEFAULT_MAX_BYTES,
              merge: bool = True) -> SaveResult:
    """Save ``edit`` as a new revision of its page (creating the page if needed).

    ``edit.base_revision`` is the revision number the editor started from (None or 0 for a
    new page). If the page has moved on since, the edit is merged three-way with the newer
    revision (``merged_with`` says which); overlapping changes raise EditConflict and
    nothing is written. With ``merge=False`` a stale base raises StaleRevision instead.
    An identical body writes nothing and returns ``created=False``. ``max_bytes`` bounds a
    merged body. The edit was validated when it was made and is not checked again; its review
    settings (owners must exist) are checked here when it changes them (issue 20).
    """
    review.check_edit(edit.body, db.session.scalar(
        select(Revision.source).join(Page, Page.current_revision_id == Revision.id)
        .where(Page.title_key == edit.title.key)))
    for _ in range(SAVE_ATTEMPTS):
        try:
            return _save_once(edit, author, max_bytes, merge)
        except (IntegrityError, _Raced):
            db.session.rollback()  # another save got in first: read the page again and retry
            jobs.discard()
    existing = db.session.scalar(select(Page).where(Page.title_key == edit.title.key))
    raise StaleRevision(current_revision(existing.id) if existing else None)


class _Raced(Exception):
    """The page moved on between reading it and writing the new revision."""


def _save_once(edit: Edit, author: User | None, max_bytes: int, merge: bool) -> SaveResult:
    page = db.session.scalar(select(Page).where(Page.title_key == edit.title.key))
    merged_with = None
    base_revision = edit.base_revision
    if page is None:
        if base_revision:
            raise StaleRevision(None)  # the page the editor started from is gone
        prepared = rendering.prepare(edit.title.display, edit.body, redirect=edit.redirect)
        page = Page(title=edit.title.display, title_key=edit.title.key)
        db.session.add(page)
        parent = None
    else:
        if page.deleted:
            raise NotFound(f"“{page.title}” has been deleted; an administrator can restore it.")
        unlocked = current_revision(page.id)  # rendering before the lock: see rendering.prepare
        prepared = (None if unlocked is not None and unlocked.source == edit.body
                    else rendering.prepare(page.title, edit.body, redirect=edit.redirect))
        _lock(page)
        parent = current_revision(page.id)
        if base_revision != parent.number:
            if not merge or (base_revision or 0) > parent.number:
                raise StaleRevision(parent)
            base_source = _revision_source(page, base_revision) if base_revision else ""
            if base_source is None:
                raise StaleRevision(parent)
            result = merge3(base_source, parent.source, edit.body)
            if not result.clean:
                raise EditConflict(parent, base_revision or 0, base_source, edit.body, result)
            edit, merged_with = edit.with_body(result.merged, max_bytes), parent
        if edit.body == parent.source:
            return _result(page, parent, False, merged_with)
    try:
        revision = write_revision(page, parent, edit.body, edit.summary, author, minor=edit.minor,
                                  prepared=prepared, redirect=edit.redirect)
    except StaleRevision:
        jobs.discard()
        raise _Raced() from None
    # Watchers are told by one job, whatever their number (wiki.services.notifications).
    notifications.on_save(page, revision.number, edit.summary, author)
    webhooks.emit("page.saved", page, author, revision=revision.number)  # delivered by a job, after the commit
    # Everything the answer shows is read now: after the commit nothing may fail, or a saved
    # revision would be reported as an error. A connection lost during the COMMIT itself
    # raises Unconfirmed: the user is told to look at the history before saving again.
    result = _result(page, revision, True, merged_with)
    availability.commit(f"your edit of “{result.title}”", committer=jobs.commit, keep_loaded=False)
    return result


def _lock(page: Page) -> None:
    """Serialize saves of one page: a no-op UPDATE takes the page's row lock (PostgreSQL) or
    the database's write lock (SQLite) until commit, so the current revision read next
    cannot change before this save is written. Concurrent saves queue instead of retrying."""
    db.session.execute(
        update(Page).where(Page.id == page.id).values(deleted=Page.deleted)
        .execution_options(synchronize_session=False)
    )


def _revision_source(page: Page, number: int) -> str | None:
    return db.session.scalar(
        select(Revision.source).where(Revision.page_id == page.id, Revision.number == number)
    )


def write_revision(page: Page, parent: Revision | None, body: str, summary: str, author: User | None,
                   minor: bool = False, prepared: rendering.Prepared | None = None,
                   redirect: str | None | Unparsed = UNPARSED) -> Revision:
    """Add a revision after ``parent`` and make it current, in the caller's transaction.

    ``prepared``: a rendering of ``body`` made before the caller locked the page, used if
    its link targets are unchanged. Raises IntegrityError or StaleRevision if another save
    got there first: the page only moves forward from the revision the writer started from
    (check-and-set). ``redirect``: the body's redirect target when the caller parsed it.
    """
    db.session.flush()  # a concurrent creation of the same title fails here
    if redirect is UNPARSED:
        redirect = redirect_target(body)
    rendered = rendering.render_locked(page.title, body, prepared, redirect=redirect)
    revision = Revision(
        page_id=page.id,
        number=parent.number + 1 if parent else 1,
        parent_id=parent.id if parent else None,
        author_id=author.id if author else None,
        summary=summary,
        minor=minor,
        source=body,
        size=len(body.encode("utf-8")),  # the one measure that is stored
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
    linkhealth.sync_broken(page, body, rendered)  # issue 20: its broken links, by line
    paths.sync_path(page, body)  # issue 20: the path it declares, if any
    if parent is None:
        paths.resolve_title(page)  # steps naming its title lead to it now
    search.index_page(page, revision, redirect=redirect)
    tags.sync_tags(page, body, redirect=redirect)  # issue 20: the page's few rows, whatever its history
    review.sync_page(page, body)  # issue 20: the review schedules its source names
    # Pages linking here are rendered again by a job (wiki.services.fanout), committed with
    # this revision: the save costs the same however many pages link to it.
    if parent is None:  # links to this title turn from red to blue
        fanout.queue_rerender({page.title_key})
    elif revision.display_title != parent.display_title:  # links without a label read it
        fanout.queue_rerender({page.title_key})
    elif revision.headings != parent.headings:  # section links may turn valid or broken
        fanout.queue_rerender({page.title_key}, sections_only=True)
    return revision


def revert_page(page: Page, number: int, author: User | None, base_revision: int) -> SaveResult:
    """Make a new revision whose source is that of revision ``number``; history is kept."""
    old = get_revision(page, number)
    max_bytes = max(DEFAULT_MAX_BYTES, old.size)
    edit = Edit.make(Title(page.title, page.title_key), old.source, f"Reverted to revision {number}",
                     max_bytes=max_bytes, base_revision=base_revision)
    # merge=False: a revert of a page that changed meanwhile must be looked at again
    return save_edit(edit, author, max_bytes=max_bytes, merge=False)


TEMPLATE_PREFIX = "templates/"  # pages under it are the starting points offered for new pages


def list_templates() -> list[Page]:
    """The live pages under ``templates/``, by title: what /-/new offers to start from."""
    pattern = TEMPLATE_PREFIX.replace("_", "\\_") + "%"
    return list(db.session.scalars(
        select(Page).options(joinedload(Page.current_revision))
        .where(Page.title_key.like(pattern, escape="\\"), Page.deleted.is_(False))
        .order_by(Page.title_key)
    ))


def find_template(title: str) -> Page | None:
    """The live template page called ``title`` (under ``templates/``), or None."""
    try:
        name = Title.parse(title)
    except InvalidTitle:
        return None
    if not name.key.startswith(TEMPLATE_PREFIX):
        return None
    return find_page(name)


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
    minor: bool = False,
) -> SaveResult:
    """Splice an edited section into the page and save the whole page as a new revision.

    The section is put back into the text of ``base_revision`` (where its number was
    counted); if the page moved on since, that whole text is merged like any stale edit.
    The spliced text is validated once, as an Edit of the page.
    """
    base_source = _revision_source(page, base_revision)
    if base_source is None:
        raise StaleRevision(page.current_revision)
    section = get_section(base_source, number)
    if section is None:
        raise NotFound(f"“{page.title}” has no section {number}; it may have been removed. "
                       "Edit the whole page instead.")
    body = replace_section(base_source, section, text)
    edit = Edit.make(Title(page.title, page.title_key), body, summary, max_bytes=max_bytes,
                     base_revision=base_revision, minor=minor, previous=base_source)
    return save_edit(edit, author, max_bytes=max_bytes)


# --- Issue 17: keyset listings for the JSON API (cursor pagination, stable under writes) ---

def list_pages(prefix: str = "", after_key: str | None = None, limit: int = 50) -> tuple[list[Page], bool]:
    """Live pages in title-key order whose key starts with ``prefix`` (any spelling, '_' as
    space), after ``after_key``; and whether more follow. One index range scan on title_key."""
    key_prefix = " ".join(prefix.replace("_", " ").split(" ")).casefold().lstrip()
    query = (select(Page).options(joinedload(Page.current_revision).joinedload(Revision.author))
             .where(Page.deleted.is_(False)).order_by(Page.title_key))
    if key_prefix:
        query = query.where(Page.title_key.startswith(key_prefix, autoescape=True))
    if after_key is not None:
        query = query.where(Page.title_key > after_key)
    rows = db.session.scalars(query.limit(limit + 1)).unique().all()
    return list(rows[:limit]), len(rows) > limit


def revisions_before(page: Page, before: int | None, limit: int) -> tuple[list[Revision], bool]:
    """The page's revisions numbered below ``before`` (None: from the newest), newest first,
    without their source; and whether older ones follow."""
    query = (select(Revision).options(load_only(*LISTED_COLUMNS), joinedload(Revision.author))
             .where(Revision.page_id == page.id).order_by(Revision.number.desc()))
    if before is not None:
        query = query.where(Revision.number < before)
    rows = db.session.scalars(query.limit(limit + 1)).all()
    return list(rows[:limit]), len(rows) > limit
