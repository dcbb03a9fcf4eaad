"""Export the whole wiki to a folder and import such a folder into an empty database.

The format is defined (and checked) in wiki.core.backupformat and described in docs/backup.md.
An import validates the entire export first and then writes everything in one
transaction: a corrupted export writes nothing.
"""
from __future__ import annotations

import dataclasses
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from wiki.core.backupformat import (
    DISCUSSION_FILE,
    FORMAT,
    MANIFEST,
    PAGE_FILE,
    VERSION,
    Export,
    InvalidExport,
    dump_json,
    format_time,
    page_folder,
    read_export,
    read_source,
    revision_file,
    sha256_hex,
)
from wiki.core.backuppaths import PATHS_FILE, paths_document, read_paths
from wiki.extensions import db
from wiki.core.markup import display_title, extract_headings
from wiki.core.markup.redirects import redirect_target
from wiki.core.markup.wikilinks import WIKILINK_RE, parse_wikilink
from wiki.models import (
    ROLES, BrokenLink, DiscussionComment, DiscussionCommentVersion, DiscussionState, DiscussionThread, FileLink, Link,
    Page, PageTag, Revision, User, UserPreferences, utcnow,
)
from wiki.services import path_progress, paths, rendering, reviewbackup, search, tags
from wiki.services.errors import InvalidInput
from wiki.services.users import UNUSABLE_PASSWORD, username_key
from wiki.core.titles import InvalidTitle, canonical_key

__all__ = ["ExportSummary", "ImportSummary", "InvalidExport", "count_unrendered", "export_wiki", "import_export",
           "import_units", "import_wiki", "load_export", "render_history"]


@dataclass(frozen=True)
class ExportSummary:
    users: int
    pages: int
    revisions: int


ImportSummary = ExportSummary


# --- Export ----------------------------------------------------------------------------------

def export_wiki(target: Path, with_password_hashes: bool = False, with_emails: bool = False) -> ExportSummary:
    """Write every page (live, deleted, redirects) with its full history, and every user, to
    ``target``, which must be missing or empty. Raises InvalidInput for a bad target.

    The manifest is written last, so an export that stopped half-way is refused on import.
    A consistent snapshot without locking: pages are read first, then only their revisions
    up to the current one at that moment (revisions never change), then the users (who are
    never deleted, so every author is among them).
    """
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InvalidInput(f"{target} is not an empty directory; an export is written into an "
                           "empty or new directory only.")
    target.mkdir(parents=True, exist_ok=True)

    current = aliased(Revision)
    pages = db.session.execute(
        select(Page.id, Page.title, Page.created_at, Page.deleted, Page.protection, current.number)
        .join(current, current.id == Page.current_revision_id)
        .order_by(Page.id)
    ).all()
    entries, revision_total, state = [], 0, {}
    for page_id, title, created_at, deleted, protection, number in pages:
        folder = page_folder(page_id, title)
        (target / folder / "revisions").mkdir(parents=True)
        entries.append({"title": title, "folder": folder})
        state[page_id] = {"title": title, "created_at": format_time(created_at), "deleted": deleted,
                          "protection": protection, "current_revision": number, "revisions": []}

    parent, author = aliased(Revision), aliased(User)
    rows = db.session.execute(
        select(Revision.page_id, Revision.number, parent.number, author.username, Revision.created_at,
               Revision.summary, Revision.minor, Revision.source)
        .outerjoin(parent, parent.id == Revision.parent_id)
        .outerjoin(author, author.id == Revision.author_id)
        .order_by(Revision.page_id, Revision.number)
        .execution_options(yield_per=500)
    )
    folders = {page_id: entry["folder"] for page_id, entry in zip(state, entries)}
    for page_id, number, parent_number, username, created_at, summary, minor, source in rows:
        if page_id not in state or number > state[page_id]["current_revision"]:
            continue  # saved after the page list was read
        data = source.encode("utf-8")
        name = revision_file(number)
        (target / folders[page_id] / name).write_bytes(data)
        state[page_id]["revisions"].append({
            "number": number, "parent": parent_number, "author": username,
            "created_at": format_time(created_at), "summary": summary, "minor": minor,
            "file": name, "sha256": sha256_hex(data),
        })
        revision_total += 1
    for page_id, page in state.items():
        (target / folders[page_id] / PAGE_FILE).write_bytes(dump_json(page))
    threads, comments = _export_discussions(target, folders)
    reviewbackup.export_reviews(target, folders)  # issue 20: review.json

    users = []
    # Mail addresses are private (issue 15): like password hashes, only when asked for.
    addresses = {prefs.user_id: prefs for prefs in db.session.scalars(select(UserPreferences))} if with_emails else {}
    for user in db.session.scalars(select(User).order_by(User.id)):
        record = {"username": user.username, "role": user.role, "active": user.active,
                  "created_at": format_time(user.created_at)}
        if with_password_hashes:
            record["password_hash"] = user.password_hash
        if (prefs := addresses.get(user.id)) is not None and prefs.email:
            record["email"] = prefs.email
            record["email_verified"] = prefs.email_verified_at is not None
        users.append(record)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": format_time(utcnow()),
        "counts": {"users": len(users), "pages": len(entries), "revisions": revision_total,
                   "threads": threads, "comments": comments},
        "users": users,
        "pages": entries,
    }
    from wiki.services.filebackup import export_files  # files (issue 14): files/ beside the pages

    record = path_progress.export_progress()  # issue 20: learners' progress on learning paths
    if not record.empty:
        (target / PATHS_FILE).write_bytes(dump_json(paths_document(record, format_time)))

    export_files(target)
    (target / MANIFEST).write_bytes(dump_json(manifest))
    db.session.rollback()  # end the read transaction
    return ExportSummary(len(users), len(entries), revision_total)


def _export_discussions(target: Path, folders: dict[int, str]) -> tuple[int, int]:
    """Each page's discussion (issue 16) as its folder's discussion.json: threads, comments
    (hidden ones too, marked), earlier texts of edited comments. Returns (threads, comments)."""
    names = dict(db.session.execute(select(User.id, User.username)).all())
    locked = {row.page_id for row in db.session.scalars(select(DiscussionState).where(DiscussionState.locked))}
    versions: dict[int, list] = {}
    for version in db.session.scalars(select(DiscussionCommentVersion).order_by(
            DiscussionCommentVersion.comment_id, DiscussionCommentVersion.number)):
        versions.setdefault(version.comment_id, []).append(
            {"body": version.body, "created_at": format_time(version.created_at)})
    by_thread: dict[int, list] = {}
    for comment in db.session.scalars(select(DiscussionComment).order_by(DiscussionComment.thread_id,
                                                                           DiscussionComment.id)):
        by_thread.setdefault(comment.thread_id, []).append({
            "author": names.get(comment.author_id), "created_at": format_time(comment.created_at),
            "edited_at": format_time(comment.edited_at) if comment.edited_at else None, "hidden": comment.hidden,
            "body": comment.body, "versions": versions.get(comment.id, [])})
    pages: dict[int, list] = {}
    for thread in db.session.scalars(select(DiscussionThread).order_by(DiscussionThread.page_id,
                                                                         DiscussionThread.id)):
        if thread.page_id not in folders or thread.id not in by_thread:
            continue  # a page or thread made after the page list was read
        pages.setdefault(thread.page_id, []).append({
            "anchor": thread.anchor, "heading": thread.heading, "section_text": thread.section_text,
            "section_sha256": thread.section_hash, "revision": thread.revision_number, "status": thread.status,
            "author": names.get(thread.author_id), "created_at": format_time(thread.created_at),
            "resolved_by": names.get(thread.resolved_by_id),
            "resolved_at": format_time(thread.resolved_at) if thread.resolved_at else None,
            "comments": by_thread[thread.id]})
    for page_id in set(pages) | (locked & folders.keys()):
        (target / folders[page_id] / DISCUSSION_FILE).write_bytes(
            dump_json({"locked": page_id in locked, "threads": pages.get(page_id, [])}))
    return sum(map(len, pages.values())), sum(len(t["comments"]) for ts in pages.values() for t in ts)


# --- Import ----------------------------------------------------------------------------------

def load_export(source: Path) -> Export:
    """Check that the database is empty and read and validate the whole export at ``source``.

    Raises InvalidInput (the database is not empty) or InvalidExport (naming the problem).
    """
    _check_empty()
    export = read_export(Path(source), ROLES)
    # Issue 20: learners' progress on learning paths, checked against the export's users and pages
    known = {user.username.strip().casefold() for user in export.users}
    return dataclasses.replace(export, paths=read_paths(Path(source), known,
                                                        {canonical_key(page.title) for page in export.pages}))


def import_export(export: Export, progress: Callable[[int], None] | None = None,
                  files_root: Path | None = None, jobs: int = 1) -> ImportSummary:
    """Write a validated export into the (empty) database, in one transaction.

    Revisions keep their numbers, authors, times, summaries, minor flags and parents.
    Current revisions are rendered against the imported pages (without asking the database),
    then links and the search index are written once. Old revisions hold their source as
    preformatted text until render_history() renders them: rendering is nearly all of the
    cost, and the wiki is complete and usable without it. ``progress(n)`` is told of n units
    done: one per revision written, one per page rendered (import_units() in all). ``jobs``:
    processes rendering side by side (the result is the same for any number).
    """
    from wiki.services import filebackup  # files (issue 14), checked before anything is written

    files = filebackup.read_files(files_root) if files_root is not None else None
    step = progress or (lambda n: None)
    try:
        users = _write_users(export)
        pages = _write_pages(export, users, step)
        if files is not None:
            filebackup.restore_files(files, users)
        _render_and_index(pages, step, jobs)
        _write_discussions(export, pages, users)
        reviewbackup.write_reviews(export, pages, users)  # issue 20
        if export.paths is not None:
            path_progress.restore_progress(export.paths, users, {item.page.title_key: item.page for item in pages})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return ImportSummary(len(export.users), len(export.pages), export.revision_count)


def import_units(export: Export) -> int:
    """The number of progress units import_export reports."""
    return export.revision_count + len(export.pages)


def import_wiki(source: Path, progress: Callable[[int], None] | None = None, jobs: int = 1) -> ImportSummary:
    """load_export then import_export: nothing is written unless the whole export is valid."""
    return import_export(load_export(source), progress, files_root=Path(source), jobs=jobs)


# Stored as the HTML of an old revision until it is rendered: its source, escaped. Real
# renderings never start with this element (it is not in the sanitizer's output form).
UNRENDERED = '<pre class="nexus-unrendered">'


def unrendered_html(source: str) -> str:
    return UNRENDERED + html.escape(source, quote=False) + "</pre>"


def count_unrendered() -> int:
    """Old revisions still waiting for render_history()."""
    return db.session.scalar(select(func.count()).where(Revision.html.startswith(UNRENDERED)))


def render_history(batch_size: int = 100, progress: Callable[[int], None] | None = None) -> int:
    """Render the old revisions an import left as source, committing every ``batch_size``;
    safe to interrupt and run again. Returns how many were rendered."""
    done, after = 0, 0
    while True:
        batch = db.session.execute(
            select(Revision, Page.title).join(Page, Page.id == Revision.page_id)
            .where(Revision.html.startswith(UNRENDERED), Revision.id > after)
            .order_by(Revision.id).limit(batch_size)
        ).all()
        if not batch:
            return done
        resolver = rendering.Resolver()  # one per batch: its look-ups are shared
        for revision, title in batch:
            rendering.apply(revision, rendering.render(title, revision.source, resolver))
        after = batch[-1][0].id
        db.session.commit()
        done += len(batch)
        if progress:
            progress(len(batch))


def _check_empty() -> None:
    user_count = db.session.scalar(select(func.count()).select_from(User))
    page_count = db.session.scalar(select(func.count()).select_from(Page))
    if user_count or page_count:
        raise InvalidInput(
            f"The database is not empty ({user_count} users, {page_count} pages). An export is "
            "imported into an empty database only: point NEXUS_SQLALCHEMY_DATABASE_URI at a new "
            "database, run `flask --app wsgi db upgrade`, then import (before `make run`, which "
            "loads the starter content)."
        )


def _write_users(export: Export) -> dict[str, User]:
    by_key = {}
    for record in export.users:
        user = User(username=record.username, username_key=username_key(record.username),
                    password_hash=record.password_hash or UNUSABLE_PASSWORD, role=record.role,
                    active=record.active, created_at=record.created_at)
        db.session.add(user)
        by_key[user.username_key] = user
    db.session.flush()
    for record in export.users:
        if record.email:
            db.session.add(UserPreferences(user_id=by_key[username_key(record.username)].id, email=record.email,
                                           email_verified_at=utcnow() if record.email_verified else None))
    return by_key


@dataclass
class _Imported:
    page: Page
    current: Revision


def _write_pages(export: Export, users: dict[str, User], step) -> list[_Imported]:
    """Insert pages and revisions; HTML is filled in later, when every page exists."""
    imported = []
    for record in export.pages:
        page = Page(title=record.title, title_key=canonical_key(record.title), created_at=record.created_at,
                    protection=record.protection, deleted=record.deleted)
        db.session.add(page)
        db.session.flush()
        revisions, sizes = [], {}
        for rev in record.revisions:
            text = read_source(rev)  # checked again: the file may have changed since validation
            size = len(text.encode("utf-8"))
            sizes[rev.number] = size
            author = users[username_key(rev.author)] if rev.author is not None else None
            revisions.append(Revision(
                page_id=page.id, number=rev.number, author_id=author.id if author else None,
                created_at=rev.created_at, summary=rev.summary, minor=rev.minor, source=text,
                html=unrendered_html(text), toc="", headings="", size=size,
                parent_size=sizes[rev.parent] if rev.parent else 0,
            ))
        db.session.add_all(revisions)
        db.session.flush()
        for rev, row in zip(record.revisions, revisions):
            row.parent_id = revisions[rev.parent - 1].id if rev.parent else None
        current = revisions[record.current - 1]
        page.current_revision_id = current.id
        # Links to it are labelled with its display title when the pages are rendered below,
        # before any revision is: known from the source alone, set without a query.
        current.display_title = display_title(current.source)
        set_committed_value(page, "display_title", current.display_title)
        imported.append(_Imported(page, current))
        step(len(revisions))
    db.session.flush()
    return imported


def _render_and_index(imported: list[_Imported], step, workers: int = 1) -> None:
    """Render the current revisions against the imported pages without asking the database
    (in ``workers`` processes: wiki.services.bulkpages), then write the link table and the
    search index in bulk."""
    from wiki.services import bulkpages

    live = {item.page.title_key: (item.page, {}) for item in imported if not item.page.deleted}
    sources = {item.page.title_key: item.current.source for item in imported if not item.page.deleted}
    # Section links are checked and labelled with their target's headings, so the targets'
    # headings are found first (extract_headings: half a rendering, and only for them).
    for key in _section_link_targets(item.current.source for item in imported) & live.keys():
        if redirect_target(sources[key]) is None:  # a redirect shows no headings
            live[key][1].update((h.id, " ".join(h.text.split())) for h in extract_headings(sources[key]))
    targets = {key: (bulkpages.Target(page.title, key, page.display_title), headings)
               for key, (page, headings) in live.items()}
    db.session.flush()
    files = bulkpages.plan_files(())  # the restored files of the imported pages
    rendered = bulkpages.render_all(
        [(item.page.title, item.page.title_key, item.current.source, redirect_target(item.current.source))
         for item in imported], targets, files, workers)
    rows, file_rows, entries, broken = [], [], [], []
    for item, result in zip(imported, rendered):
        current = item.current
        current.html, current.toc, current.headings = result.html, result.toc, result.headings
        current.display_title = result.display_title
        rows.extend({**row, "source_page_id": item.page.id} for row in result.links)
        file_rows.extend({**row, "source_page_id": item.page.id} for row in result.file_links)
        broken.extend({**row, "source_page_id": item.page.id} for row in result.broken)  # issue 20
        if not item.page.deleted and result.search_text is not None:
            entries.append({"id": item.page.id, "title": f"{item.page.title}\n{result.display_title}"
                            if result.display_title else item.page.title, "body": result.search_text})
        step(1)
    db.session.flush()
    if rows:
        db.session.execute(Link.__table__.insert(), rows)
    if file_rows:
        db.session.execute(FileLink.__table__.insert(), file_rows)
    if broken:
        db.session.execute(BrokenLink.__table__.insert(), broken)
    if entries:
        search.index_many(entries)
    # Tags live in the sources: the imported pages' rows, in one statement (issue 20).
    tag_rows = [row for item in imported for row in tags.tag_rows(item.page, item.current.source)]
    if tag_rows:
        db.session.execute(PageTag.__table__.insert(), tag_rows)
    for item in imported:  # issue 20: the paths the imported pages declare
        if not item.page.deleted and "path" in item.current.source:
            paths.sync_path(item.page, item.current.source)


def _section_link_targets(sources) -> set[str]:
    """Title keys that some source links to with a section ([[Target#Section]])."""
    keys = set()
    for source in sources:
        for match in re.finditer(WIKILINK_RE, source):
            parsed = parse_wikilink(match.group(1))
            if parsed is not None and parsed[0].target and parsed[0].section:
                try:
                    keys.add(canonical_key(parsed[0].target))
                except InvalidTitle:
                    pass
    return keys


def _write_discussions(export: Export, imported: list[_Imported], users: dict[str, User]) -> None:
    """Threads, comments and their earlier texts (issue 16), once every page exists (comments
    link to pages); each comment rendered and indexed for search as when it was posted."""
    from wiki.services import discussion_index, discussions  # discussions imports rendering too

    def uid(name):
        return users[username_key(name)].id if name is not None else None

    for record, item in zip(export.pages, imported):
        if record.discussion is None:
            continue
        db.session.add(DiscussionState(page_id=item.page.id, version=1, locked=record.discussion.locked))
        for t in record.discussion.threads:
            thread = DiscussionThread(
                page_id=item.page.id, author_id=uid(t.author), anchor=t.anchor, heading=t.heading,
                section_text=t.section_text, section_hash=t.section_hash, revision_number=t.revision,
                status=t.status, resolved_by_id=uid(t.resolved_by), resolved_at=t.resolved_at,
                created_at=t.created_at, updated_at=max(c.created_at for c in t.comments))
            db.session.add(thread)
            for c in t.comments:
                comment = DiscussionComment(
                    thread=thread, author_id=uid(c.author), body=c.body, html=discussions.render_comment(c.body).html,
                    created_at=c.created_at, edited_at=c.edited_at, edits=len(c.versions), hidden=c.hidden)
                db.session.add(comment)
                db.session.flush()
                for number, version in enumerate(c.versions, start=1):
                    db.session.add(DiscussionCommentVersion(
                        comment_id=comment.id, number=number, body=version.body,
                        html=discussions.render_comment(version.body).html, created_at=version.created_at))
                discussion_index.index_comment(comment)
    db.session.flush()

