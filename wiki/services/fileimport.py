"""``import-markdown`` brings the files a Markdown file refers to by relative path: each is
attached to the file's page under its own name (a second import of the same bytes changes
nothing; changed bytes are a new version), then the page is rendered again so its images
show at once. Files that are absent, outside the folder, too large or refused are reported.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from wiki.core.files import FileRefused
from wiki.core.importfiles import file_references
from wiki.core.titles import canonical_key
from wiki.extensions import db
from wiki.models import Page, User
from wiki.services import fanout
from wiki.services import files as file_service
from wiki.services.errors import Conflict

DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024


def attach_files(root: Path, markdown_path: str, title: str, text: str, user: User,
                 max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> tuple[list[str], list[tuple[str, str]]]:
    """Attach the files ``text`` refers to; (attached paths, [(path, problem)])."""
    page = db.session.scalar(select(Page).where(Page.title_key == canonical_key(title), Page.deleted.is_(False)))
    refs = file_references(text, markdown_path)
    if page is None or not refs:
        return [], []
    attached, problems = [], []
    real_root = root.resolve()
    taken: dict[str, str] = {}  # name key -> the path attached under that name
    for ref in refs:
        shown = ref.path or ref.name
        first = taken.setdefault(ref.name.casefold(), shown)
        if first != shown:
            problems.append((shown, f"{markdown_path} also links to {first}, and a page's files need distinct "
                             f"names: its links show {first}. Rename one of the two files."))
            continue
        if not ref.path:
            problems.append((f"{markdown_path} → {ref.name}", "the link leaves the imported folder; shown as a missing file"))
            continue
        source = (root / ref.path)
        try:
            real = source.resolve()
            inside = real.is_relative_to(real_root)
        except OSError:
            inside = False
        if not inside or not source.is_file():
            problems.append((shown, f"{markdown_path} links to it, but there is no such file in the folder"
                             if inside else "it leads outside the imported folder; not imported"))
            continue
        if source.stat().st_size > max_bytes:
            problems.append((shown, f"larger than the {max_bytes // 1024 // 1024} MiB a file may have; not imported"))
            continue
        try:
            result = file_service.upload(page, ref.name, source.read_bytes(), user, max_bytes=max_bytes, quota=0)
        except (FileRefused, Conflict) as error:
            db.session.rollback()
            problems.append((shown, str(error)))
            continue
        if result.created:
            attached.append(shown)
    if attached:
        db.session.refresh(page)
        fanout.rerender_page(page)  # its red file links turn into pictures now, not when a worker runs
        db.session.commit()
    return attached, problems
