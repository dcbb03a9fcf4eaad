"""Files attached to pages: upload (a new file or a new version), listing, delete and
restore (audited), resized variants (a job), and the re-rendering of the pages that use a
file when it appears or goes (a job).

What a file is and whether it is accepted is decided in wiki.core.files; where its bytes
live, in wiki.services.blobstore. Versions are never changed; a deleted file keeps them, so
an admin can restore it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from wiki.core import files as rules
from wiki.core.files import FileRefused
from wiki.extensions import db
from wiki.models import AuditEvent, File, FileLink, FileVariant, FileVersion, Page, User
from wiki.services import availability, fanout, jobs
from wiki.services.blobstore import BlobMissing, BlobStore, sha256_hex
from wiki.services.errors import Conflict

RERENDER_USERS = "rerender_file_users"
MAKE_VARIANTS = "make_file_variants"

_store: BlobStore | None = None


def configure(store: BlobStore) -> None:
    """The store for this process's app (set by the web layer when the app starts and before
    each request, so jobs run by the app use it too)."""
    global _store
    _store = store


def store() -> BlobStore:
    if _store is None:
        raise RuntimeError("wiki.services.files.configure() was not called")
    return _store


class FileTooLarge(FileRefused):
    """Over MAX_FILE_BYTES: answered with 413."""


@dataclass(frozen=True)
class UploadResult:
    name: str
    number: int  # the version made (or the current one, when the bytes were the same)
    media_type: str
    created: bool  # a new version was made
    markdown: str  # what the editor inserts


@dataclass
class FileInfo:
    """A file with its versions (newest first) and the pages using it."""

    file: File
    versions: list[FileVersion]
    used_by: list[Page] = field(default_factory=list)

    @property
    def current(self) -> FileVersion:
        return self.versions[0]


def check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise FileTooLarge(f"The file is {_mib(size)}; the largest file the wiki accepts is {_mib(max_bytes)}. "
                           "Nothing was stored.")


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KiB"


def find_file(page: Page, name: str, include_deleted: bool = False) -> File | None:
    try:
        key = rules.name_key(rules.check_name(name))
    except FileRefused:
        return None
    query = select(File).where(File.page_id == page.id, File.name_key == key)
    if not include_deleted:
        query = query.where(File.deleted.is_(False))
    return db.session.scalar(query)


def find_current(page: Page, name: str) -> tuple[File | None, FileVersion | None]:
    """A file of ``page`` (deleted ones too) with its current version, in one query."""
    try:
        key = rules.name_key(rules.check_name(name))
    except FileRefused:
        return None, None
    row = db.session.execute(
        select(File, FileVersion).join(FileVersion, FileVersion.file_id == File.id)
        .where(File.page_id == page.id, File.name_key == key)
        .order_by(FileVersion.number.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def current_version(file: File) -> FileVersion | None:
    return db.session.scalar(select(FileVersion).where(FileVersion.file_id == file.id)
                             .order_by(FileVersion.number.desc()).limit(1))


def version_by_digest(file: File, digest: str) -> FileVersion | None:
    """The newest version of ``file`` whose SHA-256 starts with ``digest`` (16+ hex digits)."""
    if len(digest) < 16 or len(digest) > 64 or any(c not in "0123456789abcdef" for c in digest):
        return None
    return db.session.scalar(select(FileVersion).where(FileVersion.file_id == file.id,
                                                       FileVersion.sha256.startswith(digest))
                             .order_by(FileVersion.number.desc()).limit(1))


def used_bytes(user: User) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(FileVersion.size), 0))
                             .where(FileVersion.uploader_id == user.id)) or 0


def upload(page: Page, name: str, data: bytes, actor: User, max_bytes: int, quota: int) -> UploadResult:
    """Store ``data`` as file ``name`` of ``page``: a new file, or a new version of the file
    already called so. Raises FileRefused (nothing stored) when the wiki does not take it."""
    name = rules.check_name(name)
    check_size(len(data), max_bytes)
    prepared = rules.prepare(name, data)
    if quota and used_bytes(actor) + len(prepared.data) > quota:
        raise FileRefused(f"This upload would take you past your quota of {_mib(quota)} of files "
                          f"(you have uploaded {_mib(used_bytes(actor))}). Nothing was stored.")
    existing = find_file(page, name, include_deleted=True)
    if existing is not None and existing.deleted:
        raise FileRefused(f"A deleted file is called “{existing.name}”: an administrator can restore it, "
                          "or upload this one under another name.")
    current = current_version(existing) if existing is not None else None
    digest = sha256_hex(prepared.data)
    if current is not None and current.sha256 == digest:
        return UploadResult(existing.name, current.number, current.media_type, False,
                            rules.markdown_for(existing.name, current.media_type))
    try:
        digest = store().put(prepared.data)
        if existing is None:
            existing = File(page_id=page.id, name=name, name_key=rules.name_key(name))
            db.session.add(existing)
            db.session.flush()
        number = (current.number if current else 0) + 1
        db.session.add(FileVersion(file_id=existing.id, number=number, sha256=digest, size=len(prepared.data),
                                   media_type=prepared.media_type, width=prepared.width, height=prepared.height,
                                   uploader_id=actor.id))
        if current is None or (current.media_type in rules.IMAGES) != (prepared.media_type in rules.IMAGES):
            _queue_rerender_users(page, existing.name_key)  # red links turn blue, links become images
        if prepared.media_type in rules.IMAGES and (prepared.width or 0) > rules.WIDTHS[0]:
            jobs.enqueue(MAKE_VARIANTS, sha256=digest)
        result_name = existing.name
        availability.commit(f"the upload of “{name}”", committer=jobs.commit)
    except IntegrityError:
        db.session.rollback()
        jobs.discard()
        raise Conflict("Someone uploaded a file of this name at the same moment. Nothing was stored; "
                       "please try again.") from None
    return UploadResult(result_name, number, prepared.media_type, True,
                        rules.markdown_for(result_name, prepared.media_type))


def read(version: FileVersion) -> bytes:
    """The bytes of a version; BlobMissing if the store lost them."""
    return store().get(version.sha256)


def variant_digest(version: FileVersion, width: int) -> str | None:
    """The blob of ``version`` resized to ``width`` (a WIDTHS value), once the job made it."""
    return db.session.scalar(select(FileVariant.variant_sha256)
                             .where(FileVariant.sha256 == version.sha256, FileVariant.width == width))


def page_files(page: Page, include_deleted: bool = False) -> list[FileInfo]:
    """A page's files by name, each with every version and the pages using it: three
    queries, whatever the number of files."""
    query = select(File).where(File.page_id == page.id).order_by(File.name_key)
    if not include_deleted:
        query = query.where(File.deleted.is_(False))
    found = list(db.session.scalars(query))
    if not found:
        return []
    versions: dict[int, list[FileVersion]] = {f.id: [] for f in found}
    for version in db.session.scalars(
            select(FileVersion).where(FileVersion.file_id.in_(versions))
            .options(selectinload(FileVersion.uploader)).order_by(FileVersion.number.desc())):
        versions[version.file_id].append(version)
    infos = {f.name_key: FileInfo(f, versions[f.id]) for f in found if versions[f.id]}
    for link, source in db.session.execute(
            select(FileLink, Page).join(Page, Page.id == FileLink.source_page_id)
            .where(Page.deleted.is_(False), FileLink.name_key.in_(infos),
                   or_(FileLink.target_key == page.title_key,
                       (FileLink.target_key == "") & (FileLink.source_page_id == page.id)))
            .order_by(func.lower(Page.title))):
        if source not in infos[link.name_key].used_by:
            infos[link.name_key].used_by.append(source)
    return list(infos.values())


def missing_on_page(page: Page) -> list[str]:
    """Names of this page's files that its text uses but that were never uploaded (or are deleted)."""
    live = select(File.name_key).where(File.page_id == page.id, File.deleted.is_(False))
    return list(db.session.scalars(
        select(FileLink.name).where(FileLink.source_page_id == page.id, FileLink.target_key == "",
                                    FileLink.name_key.not_in(live)).order_by(FileLink.name_key)))


def all_files(limit: int = 1000) -> list[tuple[File, Page, FileVersion]]:
    """Every live file of a live page, with its current version, by page and name."""
    latest = (select(FileVersion.file_id, func.max(FileVersion.number).label("number"))
              .group_by(FileVersion.file_id).subquery())
    return list(db.session.execute(
        select(File, Page, FileVersion)
        .join(Page, Page.id == File.page_id)
        .join(latest, latest.c.file_id == File.id)
        .join(FileVersion, (FileVersion.file_id == File.id) & (FileVersion.number == latest.c.number))
        .where(File.deleted.is_(False), Page.deleted.is_(False))
        .order_by(func.lower(Page.title), File.name_key).limit(limit)
    ).all())


def missing_files(limit: int = 500) -> list[tuple[Page, str, str]]:
    """(using page, title of the page the file should be on, name) for every file reference
    on a live page that no live file answers, by page."""
    rows = db.session.execute(
        select(FileLink, Page).join(Page, Page.id == FileLink.source_page_id)
        .where(Page.deleted.is_(False)).order_by(func.lower(Page.title), FileLink.name_key)
    ).all()
    owners = {key for link, _page in rows if (key := link.target_key)}
    pages = {p.title_key: p for p in db.session.scalars(
        select(Page).where(Page.title_key.in_(owners), Page.deleted.is_(False)))} if owners else {}
    holder_ids = {p.id for p in pages.values()} | {source.id for link, source in rows if not link.target_key}
    live = set(db.session.execute(select(File.page_id, File.name_key)
                                  .where(File.page_id.in_(holder_ids), File.deleted.is_(False))).all())
    out = []
    for link, source in rows:
        owner = source if not link.target_key else pages.get(link.target_key)
        if owner is None or (owner.id, link.name_key) not in live:
            out.append((source, owner.title if owner else link.target_key, link.name))
            if len(out) >= limit:
                break
    return out


def _audit(actor: User, action: str, file: File, page: Page) -> None:
    db.session.add(AuditEvent(actor=actor, action=action, target=f"{page.title}/{file.name}"[:255]))


def delete_file(file: File, actor: User) -> None:
    """Hide a file (its versions are kept for restore); pages using it show it as missing."""
    page = db.session.get(Page, file.page_id)
    file.deleted = True
    _audit(actor, "file_delete", file, page)
    _queue_rerender_users(page, file.name_key)
    availability.commit(f"the deletion of “{file.name}”", committer=jobs.commit)


def restore_file(file: File, actor: User) -> None:
    """Bring a deleted file back (admins)."""
    page = db.session.get(Page, file.page_id)
    if not file.deleted:
        raise Conflict(f"“{file.name}” is not deleted.")
    file.deleted = False
    _audit(actor, "file_restore", file, page)
    _queue_rerender_users(page, file.name_key)
    availability.commit(f"the restoration of “{file.name}”", committer=jobs.commit)


def _queue_rerender_users(page: Page, key: str) -> None:
    jobs.enqueue(RERENDER_USERS, page_id=page.id, name_key=key)


@jobs.handler(RERENDER_USERS)
def _rerender_users(job, settings: jobs.Settings) -> None:
    """Render again the live pages using a file that appeared or went; resumable by page id."""
    data = jobs.payload(job)
    page = db.session.get(Page, data["page_id"])
    if page is None:
        return
    users = (select(FileLink.source_page_id)
             .where(FileLink.name_key == data["name_key"],
                    or_(FileLink.target_key == page.title_key,
                        (FileLink.target_key == "") & (FileLink.source_page_id == page.id))))
    while batch := list(db.session.scalars(
            select(Page).where(Page.deleted.is_(False), Page.id.in_(users), Page.id > job.cursor)
            .order_by(Page.id).limit(settings.batch))):
        prepared = [(p, fanout.prepare_page(p)) for p in batch]
        done = sum(fanout.rerender_page(p, ready) for p, ready in prepared if ready is not None)
        jobs.extend(job, settings, cursor=batch[-1].id, done=done)
        db.session.commit()


@jobs.handler(MAKE_VARIANTS)
def _make_variants(job, settings: jobs.Settings) -> None:
    """Make the resized copies of an image, once; a rerun skips the ones already made."""
    digest = jobs.payload(job)["sha256"]
    version = db.session.scalar(select(FileVersion).where(FileVersion.sha256 == digest).limit(1))
    if version is None:
        return
    try:
        data = store().get(digest)
    except BlobMissing:
        return
    made = set(db.session.scalars(select(FileVariant.width).where(FileVariant.sha256 == digest)))
    for width in rules.WIDTHS:
        if width in made or width >= (version.width or 0):
            continue
        small = rules.resize(data, version.media_type, width)
        if small is None:
            continue
        db.session.add(FileVariant(sha256=digest, width=width, variant_sha256=store().put(small)))
        db.session.commit()

