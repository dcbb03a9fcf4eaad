"""Files as seen from page text: resolving file references while rendering, and the
file-link table (which pages use which file) kept in step with each page's current revision."""
from __future__ import annotations

from urllib.parse import quote, urlencode

from sqlalchemy import select

from wiki.core.files import IMAGES, FileRefused, check_name, name_key
from wiki.core.markup import Rendered
from wiki.core.markup.filelinks import FileTarget
from wiki.core.titles import InvalidTitle, canonical_key, title_to_url_path
from wiki.extensions import db
from wiki.models import File, FileLink, FileVersion, Page


def files_url(title: str) -> str:
    """Root-relative URL of a page's files list (no request context: used in stored HTML)."""
    return "/wiki/" + quote(title_to_url_path(title), safe="/") + "/-/files"


def file_url(title: str, name: str, digest: str | None = None) -> str:
    """The current version of a page's file, or (``digest``) one version, for good."""
    url = files_url(title) + "/" + quote(name, safe="")
    return url + "/" + digest[:16] if digest else url


def upload_url(title: str, name: str) -> str:
    """The upload form, with the name filled in: where a missing file's red link leads."""
    return files_url(title) + "?" + urlencode({"name": name}) + "#upload"


def _page_files(page_id: int) -> dict[str, str]:
    """{name key: current media type} of a page's live files, in one query."""
    latest = (select(FileVersion.file_id, db.func.max(FileVersion.number).label("number"))
              .group_by(FileVersion.file_id).subquery())
    rows = db.session.execute(
        select(File.name_key, FileVersion.media_type)
        .join(latest, latest.c.file_id == File.id)
        .join(FileVersion, (FileVersion.file_id == File.id) & (FileVersion.number == latest.c.number))
        .where(File.page_id == page_id, File.deleted.is_(False))
    ).all()
    return dict(rows)


class FileResolver:
    """Resolves file references of the page ``title`` (and of the other pages it names)
    against the database, a few queries per rendering whatever the number of references."""

    def __init__(self, title: str):
        self.title = title
        self._pages: dict[str, tuple[str, dict[str, str]] | None] = {}
        self._titles: dict[str, str] = {}  # key -> a title as written, to look it up again

    def _files_of(self, title: str) -> tuple[str, dict[str, str]] | None:
        """(display title, {name key: media type}) of a live page, or None."""
        try:
            key = canonical_key(title)
        except InvalidTitle:
            return None
        if key not in self._pages:
            self._titles[key] = title
            page = db.session.scalar(select(Page).where(Page.title_key == key, Page.deleted.is_(False)))
            self._pages[key] = (page.title, _page_files(page.id)) if page is not None else None
        return self._pages[key]

    def __call__(self, page: str, name: str) -> FileTarget:
        owner = page or self.title
        found = self._files_of(owner)
        title = found[0] if found else owner
        try:
            name = check_name(name)
        except FileRefused:
            return FileTarget(href=files_url(title), exists=False)
        media_type = found[1].get(name_key(name)) if found else None
        if media_type is None:
            return FileTarget(href=upload_url(title, name), exists=False)
        return FileTarget(href=file_url(title, name), exists=True, image=media_type in IMAGES)

    def unchanged(self) -> bool:
        """Whether every page this resolver looked at still has the files it had then."""
        seen, self._pages = self._pages, {}
        try:
            return all(self._files_of(self._titles[key]) == state for key, state in seen.items())
        finally:
            self._pages = seen


class PreloadedFileResolver(FileResolver):
    """A FileResolver over known pages, asking the database nothing (bulk rendering in worker
    processes): ``pages`` maps title keys of live pages to (title, {name key: media type})."""

    def __init__(self, title: str, pages: dict[str, tuple[str, dict[str, str]]]):
        super().__init__(title)
        self._known = pages

    def _files_of(self, title: str) -> tuple[str, dict[str, str]] | None:
        try:
            return self._known.get(canonical_key(title))
        except InvalidTitle:
            return None


def live_page_files() -> dict[str, tuple[str, dict[str, str]]]:
    """{title key: (title, {name key: media type})} of every live page that has live files,
    in one query: what a PreloadedFileResolver needs besides the pages being written."""
    latest = (select(FileVersion.file_id, db.func.max(FileVersion.number).label("number"))
              .group_by(FileVersion.file_id).subquery())
    rows = db.session.execute(
        select(Page.title_key, Page.title, File.name_key, FileVersion.media_type)
        .join(File, File.page_id == Page.id)
        .join(latest, latest.c.file_id == File.id)
        .join(FileVersion, (FileVersion.file_id == File.id) & (FileVersion.number == latest.c.number))
        .where(Page.deleted.is_(False), File.deleted.is_(False))
    ).all()
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for key, title, name, media_type in rows:
        found.setdefault(key, (title, {}))[1][name] = media_type
    return found


def sync_file_links(page: Page, rendered: Rendered) -> None:
    """Replace the page's file links with those of its new current revision."""
    db.session.execute(FileLink.__table__.delete().where(FileLink.source_page_id == page.id))
    rows = file_link_rows(page, rendered)
    if rows:
        db.session.execute(FileLink.__table__.insert(), rows)


def file_link_rows(page: Page, rendered: Rendered) -> list[dict]:
    """FileLink rows for a page rendered as ``rendered``: its own files have target "", so a
    rename needs no update."""
    seen, rows = set(), []
    for ref in rendered.files:
        try:
            name = check_name(ref.name)
            target = canonical_key(ref.page) if ref.page else ""
        except (FileRefused, InvalidTitle):
            continue
        if target == page.title_key:
            target = ""
        key = (target, name_key(name))
        if key not in seen:
            seen.add(key)
            rows.append({"source_page_id": page.id, "target_key": target, "name": name, "name_key": key[1]})
    return rows
