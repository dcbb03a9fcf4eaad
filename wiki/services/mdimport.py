"""Importing a folder of Markdown files as pages, again and again (starter content too).

``plan_import`` reads the folder and checks every file (nothing is written); ``run_import``
saves each file as a revision by the importing user. The title and link rules are pure and
live in wiki.core.importlinks.

Re-running an import updates only what changed: a file whose converted text equals the
source of its page's last imported revision (the newest one whose summary is exactly this
file's "Imported from <path>") is left alone; a changed file is merged three-way with that
revision as the base, so edits made in the wiki since are kept, and overlapping changes are
reported as a conflict with the page left as it is. A merged revision's summary says so
("..., merged with edits made in the wiki"): its text is not the file's, so it does not
become the next merge base.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlalchemy import select

from wiki.extensions import db
from wiki.core.importlinks import (HeadingRef, convert_links, fold_titles, is_markdown_file, link_order,
                                   title_for_path)
from wiki.core.markup import extract_headings
from wiki.core.diff.merge import merge3
from wiki.core.importfiles import file_references
from wiki.models import Page, Revision, User
from wiki.services import bulkpages
from wiki.services import pages as page_service
from wiki.services import users
from wiki.services.errors import DomainError, EditConflict, InvalidInput
from wiki.core.titles import InvalidTitle, canonical_key, normalize_title

STARTER_USER = "Nexus"
MAX_DEPTH = 32  # folders deeper than this are not entered (and reported)
_SUMMARY_LIMIT = page_service.MAX_SUMMARY_LENGTH


@dataclass(frozen=True)
class Skipped:
    path: str  # relative to the imported folder
    reason: str
    kind: str  # "problem" (bad file), "conflict", or "kept" (the wiki's page is left alone)


@dataclass(frozen=True)
class PlannedFile:
    path: str
    title: str
    text: str  # converted Markdown, ready to save


@dataclass
class Plan:
    root: Path
    files: list[PlannedFile] = field(default_factory=list)
    problems: list[Skipped] = field(default_factory=list)
    # Symbolic links to folders inside the imported one (not followed): link path -> folder path.
    folder_links: dict[str, str] = field(default_factory=dict)


@dataclass
class Report:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)  # updated, merged with edits made in the wiki
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # files attached to pages (wiki.services.fileimport)

    @property
    def changed(self) -> bool:
        """Anything worth telling: a page written, or a file that needs attention."""
        return bool(self.created or self.updated or any(s.kind != "kept" for s in self.skipped))

    def summary_line(self) -> str:
        merged = f" ({len(self.merged)} merged with edits made in the wiki)" if self.merged else ""
        return (f"{_count(self.created, 'page')} created, {len(self.updated)} updated{merged}, "
                f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped.")

    def detail_lines(self) -> list[str]:
        attached = [f"Attached {_count(self.files, 'file')} to their pages."] if self.files else []
        return attached + [f"Skipped {item.path}: {item.reason}" for item in self.skipped]


def _count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


_MERGED = ", merged with edits made in the wiki"


def import_summary(path: str, merged: bool = False) -> str:
    """The edit summary of an imported revision. Without ``merged`` it marks the revision as
    holding exactly the file's text: the merge base of the next import of that file."""
    suffix = _MERGED if merged else ""
    summary = " ".join(f"Imported from {path}".split())  # as save_page normalizes it
    room = _SUMMARY_LIMIT - len(suffix)
    if len(summary) > room:
        summary = "Imported from …" + summary[-(room - len("Imported from …")):]
    return summary + suffix


# --- Reading the folder ------------------------------------------------------------------------

def plan_import(root: Path, prefix: str | None = None, max_bytes: int = page_service.DEFAULT_MAX_BYTES,
                progress: Callable[[int, int], None] | None = None, workers: int = 1) -> Plan:
    """Read and convert every ``*.md`` file under ``root``; bad files become ``problems``.

    ``progress(done, total)`` is called as files are read and converted (two steps per file).
    Raises InvalidInput for an unusable folder or prefix. Writes nothing. The time taken is
    linear in the number of files: every index over all of them is built once. ``workers``:
    processes that find the headings links with an anchor need (wiki.services.bulkpages):
    that is a Markdown parse of each such target, most of the planning's time.
    """
    root = Path(root)
    if not root.is_dir():
        raise InvalidInput(f"{root} is not a folder.")
    if prefix is not None:
        try:
            prefix = normalize_title(prefix)
        except InvalidTitle as error:
            raise InvalidInput(f"The prefix is not a valid title: {error.message}") from None
    plan = Plan(root)
    found: list[tuple[str, Path]] = []
    hidden: list[str] = []
    _walk(root, plan, found, hidden)
    _report_hidden(hidden, prefix, plan)
    tick = _Ticker(progress, 2 * len(found))  # each file read, then converted

    readable: dict[str, tuple[str, str]] = {}  # path -> (title, raw text)
    for path, file in found:
        tick()
        text = _read(path, file, max_bytes, plan)
        if text is None:
            continue
        try:
            title = title_for_path(path, prefix)
        except InvalidTitle as error:
            plan.problems.append(Skipped(path, f"its path gives no valid title: {error.message}", "problem"))
            continue
        readable[path] = (title, text)

    by_key: dict[str, list[str]] = {}
    for path, (title, _text) in readable.items():
        by_key.setdefault(canonical_key(title), []).append(path)
    for paths in by_key.values():
        if len(paths) > 1:
            for path in paths:
                others = ", ".join(p for p in paths if p != path)
                plan.problems.append(Skipped(
                    path, f"its title “{readable[path][0]}” is also that of {others} (titles ignore "
                    "letter case and read '_' as a space); none of them was imported", "problem"))
                del readable[path]

    titles = {path: title for path, (title, _text) in readable.items()}
    by_folded = fold_titles(titles)
    cache: dict[str, list[HeadingRef]] = {}

    def headings(path: str) -> list[HeadingRef]:
        if path not in cache:
            cache[path] = _heading_refs(readable[path][1])
        return cache[path]

    tick.skip(len(found) - len(readable))  # files refused while reading are not converted
    paths = sorted(readable)
    if workers > 1:
        # In worker processes (forked: they inherit this state): a first pass notes whose
        # headings the links ask for; those are parsed; the second pass converts with them
        # (a file asked for only then is parsed in its worker, lazily, as with one process).
        # The plan is the one of a single process (tests/services/test_bulkimport.py).
        global _PLANNING
        _PLANNING = (readable, titles, by_folded, plan.folder_links, cache)
        try:
            asked_for: set[str] = set()
            for asked in bulkpages.parallel_map(_wanted_by, paths, workers):
                asked_for.update(asked)  # (no step of the progress: the conversion below is)
            wanted = sorted(asked_for)
            for path, refs in zip(wanted, bulkpages.parallel_map(_heading_refs, [readable[p][1] for p in wanted],
                                                                 workers)):
                cache[path] = refs
            converted = bulkpages.parallel_map(_converted, paths, workers)
            for path, text in zip(paths, converted):
                tick()
                plan.files.append(PlannedFile(path, readable[path][0], text))
        finally:
            _PLANNING = None
    else:
        for path in paths:
            tick()
            title, text = readable[path]
            converted = convert_links(text, path, titles, headings, by_folded, plan.folder_links)
            plan.files.append(PlannedFile(path, title, converted))
    tick.finish()
    plan.problems.sort(key=lambda item: item.path)
    return plan


class _Ticker:
    """Calls ``progress(done, total)`` about every PROGRESS_STEP steps, and at the end."""

    PROGRESS_STEP = 200

    def __init__(self, progress: Callable[[int, int], None] | None, total: int):
        self.progress, self.total, self.done, self.told = progress, total, 0, 0

    def __call__(self, steps: int = 1) -> None:
        self.done += steps
        if self.progress and self.done - self.told >= self.PROGRESS_STEP:
            self.told = self.done
            self.progress(self.done, self.total)

    def skip(self, steps: int) -> None:
        if steps:
            self(steps)

    def finish(self) -> None:
        if self.progress and self.told != self.total:
            self.told = self.done = self.total
            self.progress(self.total, self.total)


# What the planning's worker processes read (set before they are forked, see plan_import):
# (readable, titles, by_folded, folder_links, headings cache).
_PLANNING = None


def _wanted_by(path: str) -> list[str]:
    """The files whose headings the links of the file at ``path`` ask for (in a worker)."""
    readable, titles, by_folded, folder_links, _cache = _PLANNING
    asked: list[str] = []
    convert_links(readable[path][1], path, titles, lambda target: asked.append(target) or (), by_folded,
                  folder_links)
    return asked


def _converted(path: str) -> str:
    """The text of the file at ``path`` with its links converted (in a worker)."""
    readable, titles, by_folded, folder_links, cache = _PLANNING

    def headings(target: str) -> list[HeadingRef]:
        if target not in cache:
            cache[target] = _heading_refs(readable[target][1])
        return cache[target]

    return convert_links(readable[path][1], path, titles, headings, by_folded, folder_links)


def _heading_refs(text: str) -> list[HeadingRef]:
    """The headings of a file's text, as links to it see them (run in a worker process)."""
    return [HeadingRef(h.id, h.text) for h in extract_headings(text)]


def _report_hidden(hidden: list[str], prefix: str | None, plan: Plan) -> None:
    """Markdown files whose names start with "." are not imported, but said so: tldr's
    ``common/..md`` (the "." command) is a page its author meant, not a tool's file."""
    for path in hidden:
        try:
            title_for_path(path, prefix)
        except InvalidTitle as error:
            plan.problems.append(Skipped(path, f"its path gives no valid title: {error.message}", "problem"))
        else:
            plan.problems.append(Skipped(path, "is a hidden file (its name starts with “.”); hidden files are "
                                         "not imported", "problem"))


def _walk(root: Path, plan: Plan, found: list[tuple[str, Path]], hidden: list[str] | None = None) -> None:
    """Collect Markdown files under ``root``; ``hidden`` gets the hidden Markdown files' paths.

    Hidden folders (".git") and other hidden files are ignored. A symbolic link to a file
    inside the folder is followed (the file is imported under the link's path too); a link to
    a folder inside it is not: that folder's files are imported under their own paths, and
    following the link would make a second page of each (tldr's ``pages.en`` -> ``pages``).
    It is reported, like a link leading outside, a broken link to a Markdown file, and a loop.
    """
    root_real = root.resolve()
    stack: list[tuple[Path, str, tuple[Path, ...]]] = [(root, "", (root_real,))]
    while stack:
        folder, rel, chain = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as error:
            plan.problems.append(Skipped(rel or ".", f"the folder cannot be read ({error.strerror})", "problem"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                if hidden is not None and is_markdown_file(entry.name) and not entry.is_dir():
                    hidden.append(f"{rel}/{entry.name}" if rel else entry.name)
                continue
            path = f"{rel}/{entry.name}" if rel else entry.name
            target = Path(entry.path)
            if entry.is_symlink():
                try:
                    real = target.resolve(strict=True)
                except (RuntimeError, OSError) as error:
                    loop = isinstance(error, RuntimeError) or getattr(error, "errno", None) == 40  # ELOOP
                    if loop or is_markdown_file(entry.name):
                        reason = "is a symbolic link loop" if loop else "is a broken symbolic link"
                        plan.problems.append(Skipped(path, reason, "problem"))
                    continue
                if not real.is_relative_to(root_real):
                    if real.is_dir() or is_markdown_file(entry.name):
                        plan.problems.append(Skipped(
                            path, "is a symbolic link to somewhere outside the imported folder", "problem"))
                    continue
                if real.is_dir():
                    plan.problems.append(_linked_folder(path, real, root_real, chain))
                    if real not in chain:
                        plan.folder_links[path] = real.relative_to(root_real).as_posix()
                elif real.is_file() and is_markdown_file(entry.name):
                    found.append((path, target))
                continue
            if entry.is_dir(follow_symlinks=False):
                _enter(stack, plan, target, path, chain + (target.resolve(),))
            elif entry.is_file(follow_symlinks=False) and is_markdown_file(entry.name):
                found.append((path, target))


def _linked_folder(path: str, real: Path, root_real: Path, chain: tuple[Path, ...]) -> Skipped:
    if real in chain:
        return Skipped(path, "is a symbolic link loop (it leads back to a folder that contains it)", "problem")
    inside = real.relative_to(root_real).as_posix()
    where = "the imported folder itself" if inside == "." else f"the folder {inside}"
    return Skipped(path, f"is a symbolic link to {where}, whose files are imported under their own "
                   "paths; linked folders are not followed, so no file becomes two pages", "problem")


def _enter(stack, plan: Plan, folder: Path, path: str, chain: tuple[Path, ...]) -> None:
    if len(chain) > MAX_DEPTH:
        plan.problems.append(Skipped(path, f"is nested more than {MAX_DEPTH} folders deep", "problem"))
    else:
        stack.append((folder, path, chain))


def _read(path: str, file: Path, max_bytes: int, plan: Plan) -> str | None:
    try:
        size = file.stat().st_size
        if size > max_bytes:
            plan.problems.append(Skipped(path, f"is {size:,} bytes; the limit for a page is {max_bytes:,} bytes",
                                         "problem"))
            return None
        data = file.read_bytes()
    except OSError as error:
        plan.problems.append(Skipped(path, f"cannot be read ({error.strerror})", "problem"))
        return None
    try:
        text = data.decode("utf-8-sig")  # a byte order mark is dropped
    except UnicodeDecodeError as error:
        plan.problems.append(Skipped(path, f"is not UTF-8 text (invalid byte at position {error.start}); "
                                     "save it as UTF-8", "problem"))
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- Writing pages -----------------------------------------------------------------------------

class ImportInterrupted(KeyboardInterrupt):
    """Ctrl-C during run_import: ``report`` tells what was written (whole pages, committed)."""

    def __init__(self, report: Report):
        super().__init__()
        self.report = report


class ImportStopped(DomainError):
    """run_import could not go on (a rendering process died); ``report`` tells what was written."""

    def __init__(self, message: str, report: Report):
        super().__init__(message)
        self.report = report


def run_import(plan: Plan, user: User, max_bytes: int = page_service.DEFAULT_MAX_BYTES,
               progress: Callable[[int], None] | None = None, jobs: int = 1) -> Report:
    """Write the plan as revisions by ``user``. ``progress(n)``: n more files done.

    Files whose title is new to the wiki are created together (wiki.services.bulkpages:
    rendered by ``jobs`` worker processes, written in batches); the same pages, revisions,
    links and search index for any ``jobs``. Files of pages that exist already are updated
    or merged one by one after them, each in its own transaction. Ctrl-C raises
    ImportInterrupted, a dead worker ImportStopped; both carry the report of what was written
    (whole pages only), and running the import again finishes it.
    """
    report = Report(skipped=list(plan.problems))
    ordered = write_order(plan.files)
    existing = _existing_keys([canonical_key(planned.title) for planned in ordered])
    new = [planned for planned in ordered if canonical_key(planned.title) not in existing]
    by_path = {planned.path: planned for planned in new}
    created: list[bulkpages.Created] = []
    try:
        try:
            _created, refused = bulkpages.create_pages(
                [bulkpages.NewPage(p.path, p.title, p.text, import_summary(p.path)) for p in new], user, max_bytes,
                workers=jobs, progress=progress, created=created)
        finally:
            report.created.extend(item.ref for item in created)
        report.skipped.extend(Skipped(path, reason, "problem") for path, reason in refused)
        if progress and refused:
            progress(len(refused))
        for item in created:
            if file_references(by_path[item.ref].text, item.ref):
                _import_attachments(plan.root, by_path[item.ref], user, report)
        for planned in ordered:
            if canonical_key(planned.title) in existing:
                _import_one(plan.root, planned, user, max_bytes, report)
                if progress:
                    progress(1)
    except KeyboardInterrupt:
        db.session.rollback()
        raise ImportInterrupted(_sorted(report)) from None
    except bulkpages.WorkerStopped as error:
        raise ImportStopped(f"{error} Run the import again to finish it.", _sorted(report)) from None
    return _sorted(report)


def _sorted(report: Report) -> Report:
    for paths in (report.created, report.updated, report.merged, report.unchanged):
        paths.sort()
    report.skipped.sort(key=lambda item: item.path)
    return report


def _existing_keys(keys: list[str]) -> set[str]:
    """Those of ``keys`` that some page (live or deleted) has."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        found.update(db.session.scalars(select(Page.title_key).where(Page.title_key.in_(keys[start:start + 500]))))
    return found


def _import_one(root: Path, planned: PlannedFile, user: User, max_bytes: int, report: Report) -> None:
    try:
        _import_file(planned, user, max_bytes, report)
        _import_attachments(root, planned, user, report)
    except EditConflict:
        db.session.rollback()
        report.skipped.append(Skipped(planned.path, f"“{planned.title}” was edited in the wiki since the last "
                                      "import and those edits overlap the file's changes; the page was "
                                      "left as it is", "conflict"))
    except DomainError as error:
        db.session.rollback()
        report.skipped.append(Skipped(planned.path, str(error), "problem"))


def write_order(files: list[PlannedFile]) -> list[PlannedFile]:
    """The files with link targets before the pages linking to them (importlinks.link_order):
    a page saved after the pages it links to renders with blue links at once; saved before
    them, the fan-out job of each one created later renders it again."""
    return [files[i] for i in link_order([(planned.title, planned.text) for planned in files])]


def _import_file(planned: PlannedFile, user: User, max_bytes: int, report: Report) -> None:
    summary = import_summary(planned.path)
    page = db.session.scalar(select(Page).where(Page.title_key == canonical_key(planned.title)))
    if page is None:
        page_service.save_page(planned.title, planned.text, summary, user, base_revision=None, max_bytes=max_bytes)
        report.created.append(planned.path)
        return
    if page.deleted:
        report.skipped.append(Skipped(planned.path, f"“{page.title}” was deleted in the wiki; it was left "
                                      "deleted", "kept"))
        return
    base = db.session.scalar(
        select(Revision).where(Revision.page_id == page.id, Revision.summary == summary)
        .order_by(Revision.number.desc()).limit(1)
    )
    if base is None:
        report.skipped.append(Skipped(planned.path, f"“{page.title}” already exists and was not imported from "
                                      "this file; it was left as it is", "kept"))
        return
    if base.source == planned.text:
        report.unchanged.append(planned.path)
        return
    current = page_service.current_revision(page.id)
    if current.number == base.number:
        page_service.save_page(planned.title, planned.text, summary, user, base_revision=base.number,
                               max_bytes=max_bytes)
        report.updated.append(planned.path)
        return
    # The wiki moved on since the last import: merge here rather than in save_page, to know
    # whether the result is still exactly the file's text (then it is the next merge base).
    merged = merge3(base.source, current.source, planned.text)
    if not merged.clean:
        raise EditConflict(current, base.number, base.source, planned.text, merged)
    if merged.merged == current.source:
        report.unchanged.append(planned.path)  # the wiki already has the file's changes
        return
    exact = merged.merged == planned.text
    page_service.save_page(planned.title, merged.merged, import_summary(planned.path, merged=not exact), user,
                           base_revision=current.number, max_bytes=max_bytes)
    report.updated.append(planned.path)
    if not exact:
        report.merged.append(planned.path)


def _import_attachments(root: Path, planned: PlannedFile, user: User, report: Report) -> None:
    """The files the Markdown file refers to, attached to its page (issue 14)."""
    from wiki.services.fileimport import attach_files  # files -> fanout -> pages: import when used

    attached, problems = attach_files(root, planned.path, planned.title, planned.text, user)
    report.files.extend(attached)
    report.skipped.extend(Skipped(path, reason, "problem") for path, reason in problems)


# --- Starter content ---------------------------------------------------------------------------

def default_starter_dir() -> Path:
    """``<repository>/content/hub``."""
    return Path(__file__).resolve().parents[2] / "content" / "hub"


def load_starter(configured: str | os.PathLike | None, max_bytes: int) -> Report | None:
    """Import the starter pages as the inactive user "Nexus" (created if missing).

    ``configured`` None means the default folder, which may be absent (then None is
    returned: nothing to load); a configured folder that is missing raises InvalidInput.
    """
    if configured:
        folder = Path(configured)
        if not folder.is_dir():
            raise InvalidInput(f"STARTER_CONTENT_DIR is {folder}, which is not a folder.")
    else:
        folder = default_starter_dir()
        if not folder.is_dir():
            return None
    plan = plan_import(folder, None, max_bytes)
    user, _created = users.get_or_create_system_user(STARTER_USER)
    return run_import(plan, user, max_bytes)
