"""Creating many new pages at once (``import-markdown``, the bench corpus; rendering for
``import``): rendered side by side in worker processes, written in batches.

Saving pages one by one (``pages.save_page``) renders each page and commits it alone, about
140 pages per CPU second, and a page saved before the pages it links to is rendered again
by a fan-out job once they exist. Here every page's link state is known before any is
rendered: the titles, display titles and headings of the new pages are planned first (the
headings only of the pages some source links to with a section), the rest comes from the
database in a few queries. Then the pages are rendered by ``jobs`` worker processes (pure
rendering, no database: ``rendering.PreloadedResolver`` and
``filerefs.PreloadedFileResolver``), and the parent process writes them in batches of
``BATCH`` pages: pages, revisions, links, file links and the search index with one
executemany each, committed per batch. Each page is rendered once, as a from-scratch
rendering of the finished import would render it, which is what the sequential saves give
after their fan-out jobs ran.

An interrupted run (Ctrl-C, a worker process that died) leaves the batches committed so
far: whole pages with their revision, links and search entry, never half a page.
"""
from __future__ import annotations

import os
import re
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from sqlalchemy import bindparam, insert, select, update

from wiki.core.edits import Edit
from wiki.core.markup import display_title, extract_headings
from wiki.core.markup.wikilinks import WIKILINK_RE, parse_wikilink
from wiki.core.notices import mentions
from wiki.core.searchtext import html_to_text
from wiki.core.titles import InvalidTitle, Title, canonical_key
from wiki.extensions import db
from wiki.models import BrokenLink, FileLink, Link, Page, PageTag, Revision, User, Watch, Webhook, utcnow
from wiki.services import fanout, jobs, linkhealth, paths, rendering, review, search, tags
from wiki.services.errors import DomainError
from wiki.services.filerefs import PreloadedFileResolver, file_link_rows, live_page_files
from wiki.services.links import link_rows

BATCH = 500  # pages written (and committed) together
CHUNK = 32  # pages sent to a worker process at a time
RERENDER_KEYS = 500  # title keys per fan-out job for the pages that existed before


def default_jobs() -> int:
    """The worker processes used when the caller does not say: one per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class WorkerStopped(DomainError):
    """A rendering worker process died (killed, out of memory): the batches written so far stay."""


@dataclass(frozen=True)
class NewPage:
    ref: str  # what the caller knows it by (an imported file's path)
    title: str  # as the page will be titled
    source: str
    summary: str
    author: User | None = None  # None: the author create_pages is given


@dataclass(frozen=True)
class Created:
    ref: str
    page_id: int
    title: str
    title_key: str


@dataclass(frozen=True)
class Target:
    """What a link to a page shows of it (duck-types the Page a Resolver reads)."""
    title: str
    title_key: str
    display_title: str


class _Row:  # link_rows, file_link_rows, broken_rows and tag_rows read a page's id, title and key
    deleted = False

    def __init__(self, page_id: int, title_key: str, title: str = ""):
        self.id, self.title_key, self.title = page_id, title_key, title


# Set in the parent before the worker processes are forked, so that they inherit it instead
# of receiving it with every page: {title key: (Target, {heading id: text})}, and the files.
_TARGETS: dict[str, tuple[Target, dict[str, str]]] = {}
_FILES: dict[str, tuple[str, dict[str, str]]] = {}


def _quiet_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _pool(workers: int) -> ProcessPoolExecutor:
    import multiprocessing

    # fork: the workers inherit the imported renderer and the link targets set just before.
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_quiet_worker)


def parallel_map(function: Callable, items: list, workers: int, chunk: int | None = None) -> Iterator:
    """``map(function, items)`` in order, in ``workers`` forked processes (in this one for 1).

    Raises WorkerStopped if a worker process dies. On KeyboardInterrupt the pending work is
    cancelled and the workers are stopped before it propagates.
    """
    chunk = chunk or CHUNK
    if workers <= 1 or len(items) <= chunk:
        yield from map(function, items)
        return
    pool = _pool(workers)
    try:
        yield from pool.map(function, items, chunksize=chunk)
    except BrokenProcessPool:
        raise WorkerStopped("A rendering process stopped unexpectedly (killed, or out of memory); "
                            "the pages written before it stopped were kept.") from None
    finally:
        _stop(pool)


def _stop(pool: ProcessPoolExecutor) -> None:
    processes = list((pool._processes or {}).values())  # noqa: SLF001 — to end them now, not after their chunk
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(5)


# --- Planning the link targets ---------------------------------------------------------------

def link_target_keys(source: str) -> tuple[set[str], set[str]]:
    """(title keys the source links to, those among them it links to with a section)."""
    keys, sections = set(), set()
    for match in re.finditer(WIKILINK_RE, source):
        parsed = parse_wikilink(match.group(1))
        if parsed is not None and parsed[0].target:
            try:
                key = canonical_key(parsed[0].target)
            except InvalidTitle:
                continue
            keys.add(key)
            if parsed[0].section:
                sections.add(key)
    return keys, sections


def _keys_of(source: str) -> tuple[set[str], set[str]]:
    return link_target_keys(source)


def _describe(item: tuple[str, str | None, bool]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Worker: (display title, headings if wanted) of a new page, as its rendering will give them."""
    source, redirect, wanted = item
    if redirect is not None:
        return "", ()  # a redirect renders as one sentence: no title, no headings
    headings = tuple((h.id, " ".join(h.text.split())) for h in extract_headings(source)) if wanted else ()
    return display_title(source), headings


def plan_targets(pages: list[tuple[str, str, str | None]], workers: int) -> dict[str, tuple[Target, dict]]:
    """The link targets the new ``pages`` ((title, source, redirect) each) are rendered against:
    themselves, and the live pages of the database they link to."""
    wanted_keys: set[str] = set()
    linked: set[str] = set()
    for keys, sections in parallel_map(_keys_of, [source for _title, source, _r in pages], workers, chunk=8 * CHUNK):
        linked |= keys
        wanted_keys |= sections
    new_keys = [Title.parse(title).key for title, _s, _r in pages]
    described = parallel_map(_describe, [(source, redirect, key in wanted_keys)
                                         for (_t, source, redirect), key in zip(pages, new_keys)], workers)
    targets = {}
    for (title, _source, _redirect), key, (shown, headings) in zip(pages, new_keys, described):
        targets[key] = (Target(title, key, shown), dict(headings))
    existing = sorted(linked - targets.keys())
    for start in range(0, len(existing), rendering.Resolver.BATCH):
        for page, headings in rendering._current_targets(existing[start:start + rendering.Resolver.BATCH]):  # noqa: SLF001
            targets[page.title_key] = (Target(page.title, page.title_key, page.display_title),
                                       rendering.parse_headings(headings))
    return targets


def plan_files(new: Iterable[tuple[str, str]]) -> dict[str, tuple[str, dict[str, str]]]:
    """The files a PreloadedFileResolver sees: every live page of the database (with its files,
    if any) and the new pages ((title key, title) each; none has files yet)."""
    known = {key: (title, {}) for key, title in db.session.execute(
        select(Page.title_key, Page.title).where(Page.deleted.is_(False)))}
    known.update(live_page_files())
    for key, title in new:
        known.setdefault(key, (title, {}))
    return known


# --- Rendering -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Rendered:
    html: str
    toc: str
    headings: str
    display_title: str
    links: list[dict]
    file_links: list[dict]
    search_text: str | None  # None: not a search result (a redirect)
    broken: list[dict] = ()  # issue 20: its broken_links rows (source_page_id to be set)


def render_all(items: list[tuple[str, str, str, str | None]], targets: dict, files: dict,
               workers: int) -> Iterator[_Rendered]:
    """Each (title, title key, source, redirect target) rendered against ``targets``
    (plan_targets) and ``files`` (plan_files), in order, by ``workers`` processes."""
    global _TARGETS, _FILES
    _TARGETS, _FILES = targets, files  # before the workers are forked: they inherit both
    try:
        yield from parallel_map(render_page, items, workers)
    finally:
        _TARGETS, _FILES = {}, {}


def render_page(item: tuple[str, str, str, str | None]) -> _Rendered:
    """Worker: one page rendered against the planned targets, with its link rows and search text."""
    title, key, source, redirect = item
    resolver = rendering.PreloadedResolver(_TARGETS)
    rendered = rendering.render(title, source, resolver, redirect=redirect,
                                files=PreloadedFileResolver(title, _FILES))
    row = _Row(0, key, title)
    searched = None if redirect is not None else html_to_text(rendered.html)
    # Issue 20: the broken links, from the same answers the rendering had (render() set the
    # resolver's files): what linkhealth.sync_broken stores on a save.
    broken = linkhealth.broken_rows(row, source, rendered, resolver) if rendered.links or rendered.files else []
    return _Rendered(rendered.html, rendered.toc, rendering.headings_column(rendered), rendered.title,
                     link_rows(row, rendered), file_link_rows(row, rendered), searched, broken)


# --- Writing ---------------------------------------------------------------------------------

def create_pages(pages: list[NewPage], author: User | None, max_bytes: int, workers: int = 1,
                 progress: Callable[[int], None] | None = None,
                 created: list[Created] | None = None) -> tuple[list[Created], list[tuple[str, str]]]:
    """Create ``pages`` (none of which may exist yet, deleted or not), each with one revision by
    ``author``; returns (created, [(ref, why refused)]). ``progress(n)``: n more pages written.

    ``created`` (a list to append to) lets a caller that is interrupted know what was written.
    Raises WorkerStopped if a worker process died.
    """
    created = created if created is not None else []
    refused: list[tuple[str, str]] = []
    edits: list[tuple[NewPage, Edit]] = []
    for page in pages:
        try:
            edits.append((page, Edit.make(Title.parse(page.title), page.source, page.summary, max_bytes=max_bytes)))
        except DomainError as error:
            refused.append((page.ref, str(error)))
        except InvalidTitle as error:
            refused.append((page.ref, error.message))
    if not edits:
        return created, refused
    taken = _existing_keys([edit.title.key for _p, edit in edits])
    for page, edit in edits:
        if edit.title.key in taken:
            refused.append((page.ref, f"“{edit.title.display}” already exists"))
    edits = [(page, edit) for page, edit in edits if edit.title.key not in taken]
    before = db.session.scalar(select(db.func.max(Page.id)))  # pages that may link to the new ones

    targets = plan_targets([(e.title.display, e.body, e.redirect) for _p, e in edits], workers)
    files = plan_files((e.title.key, e.title.display) for _p, e in edits)
    notify = _Notify()
    try:
        results = render_all([(e.title.display, e.title.key, e.body, e.redirect) for _p, e in edits],
                             targets, files, workers)
        batch: list[tuple[NewPage, Edit, _Rendered]] = []
        for (page, edit), result in zip(edits, results):
            batch.append((page, edit, result))
            if len(batch) >= BATCH:  # read at each batch: tests make it small
                _write(batch, author, before, notify, created, progress)
                batch = []
        if batch:
            _write(batch, author, before, notify, created, progress)
        # Issue 20: path steps naming pages of a later batch lead to them now (one statement).
        paths.resolve_missing_steps()
        jobs.commit()
    except BaseException:
        db.session.rollback()
        jobs.discard()
        raise
    return created, refused


def _existing_keys(keys: list[str]) -> set[str]:
    found = set()
    for start in range(0, len(keys), 500):
        found.update(db.session.scalars(select(Page.title_key).where(Page.title_key.in_(keys[start:start + 500]))))
    return found


class _Notify:
    """What a save does besides writing, decided once for the whole run: most imports have no
    watcher, no webhook and no @mention in their summaries, and then nothing is queued. A new
    page can be watched only through a prefix (or by its author's auto-watch, added here)."""

    def __init__(self):
        self.watchers = db.session.scalar(select(db.func.count()).select_from(Watch).where(
            Watch.prefix.is_not(None))) > 0
        self.hooks = any("page.saved" in hook.events.split(",") for hook in
                         db.session.scalars(select(Webhook).where(Webhook.active.is_(True))))
        self._auto: dict[int, bool] = {}

    def auto_watches(self, author: User | None) -> bool:
        """Whether the author's new pages are watched by them (watching.auto_watch's rule)."""
        from wiki.services import preferences

        if author is None:
            return False
        if author.id not in self._auto:
            self._auto[author.id] = bool(author.active and preferences.of(author.id).auto_watch)
        return self._auto[author.id]

    def needed(self, summaries: list[str]) -> bool:
        return self.watchers or self.hooks or any(mentions(summary) for summary in summaries)

    def saved(self, page: Page, summary: str, author: User | None) -> None:
        from wiki.services import notifications, webhooks  # as pages.save_edit does, for the few that need it

        notifications.queue_page_event(page, "edit", author, summary=summary, number=1, mention_text=summary)
        if self.hooks:
            webhooks.emit("page.saved", page, author, revision=1)


def _author_id(author: User | None) -> int | None:
    return author.id if author is not None else None


def _write(batch: list[tuple[NewPage, Edit, _Rendered]], author: User | None, before: int | None,
           notify: _Notify, created: list[Created], progress) -> None:
    """One batch in one transaction: pages, revisions, current pointers, links, search index."""
    now = utcnow()
    page_ids = db.session.scalars(
        insert(Page).returning(Page.id, sort_by_parameter_order=True),
        [{"title": edit.title.display, "title_key": edit.title.key, "created_at": now, "protection": "none",
          "deleted": False} for _p, edit, _r in batch]).all()
    revision_ids = db.session.scalars(
        insert(Revision).returning(Revision.id, sort_by_parameter_order=True),
        [{"page_id": page_id, "number": 1, "parent_id": None, "author_id": _author_id(page.author or author),
          "created_at": now, "summary": edit.summary, "minor": False, "source": edit.body, "html": result.html,
          "toc": result.toc, "headings": result.headings, "display_title": result.display_title,
          "size": edit.size, "parent_size": 0}
         for page_id, (page, edit, result) in zip(page_ids, batch)]).all()
    db.session.execute(
        update(Page.__table__).where(Page.__table__.c.id == bindparam("pid"))
        .values(current_revision_id=bindparam("rid")),
        [{"pid": page_id, "rid": revision_id} for page_id, revision_id in zip(page_ids, revision_ids)])
    links = [{**row, "source_page_id": page_id} for page_id, (_p, _e, result) in zip(page_ids, batch)
             for row in result.links]
    if links:
        db.session.execute(Link.__table__.insert(), links)
    files = [{**row, "source_page_id": page_id} for page_id, (_p, _e, result) in zip(page_ids, batch)
             for row in result.file_links]
    if files:
        db.session.execute(FileLink.__table__.insert(), files)
    entries = [{"id": page_id, "title": f"{edit.title.display}\n{result.display_title}" if result.display_title
                else edit.title.display, "body": result.search_text}
               for page_id, (_p, edit, result) in zip(page_ids, batch) if result.search_text is not None]
    if entries:
        search.index_many(entries)
    broken = [{**row, "source_page_id": page_id} for page_id, (_p, _e, result) in zip(page_ids, batch)
              for row in result.broken]
    if broken:
        db.session.execute(BrokenLink.__table__.insert(), broken)
    tag_rows = [row for page_id, (_p, edit, _r) in zip(page_ids, batch) if edit.redirect is None
                for row in tags.tag_rows(_Row(page_id, edit.title.key), edit.body, None)]
    if tag_rows:
        db.session.execute(PageTag.__table__.insert(), tag_rows)
    # Review dates and learning paths: the few pages that declare one, through their services.
    special = [(page_id, edit) for page_id, (_p, edit, _r) in zip(page_ids, batch)
               if "review" in edit.body or "path" in edit.body]
    if special:
        loaded = {page.id: page for page in db.session.scalars(
            select(Page).where(Page.id.in_([page_id for page_id, _e in special])))}
        for page_id, edit in special:
            review.sync_page(loaded[page_id], edit.body)
            paths.sync_path(loaded[page_id], edit.body)
    watches = [{"user_id": (page.author or author).id, "page_id": page_id, "created_at": now}
               for page_id, (page, _e, _r) in zip(page_ids, batch) if notify.auto_watches(page.author or author)]
    if watches:
        db.session.execute(Watch.__table__.insert(), watches)
    if notify.needed([edit.summary for _p, edit, _r in batch]):
        pages = {page.id: page for page in db.session.scalars(select(Page).where(Page.id.in_(page_ids)))}
        for page_id, (page, edit, _r) in zip(page_ids, batch):
            notify.saved(pages[page_id], edit.summary, page.author or author)
    if before is not None:  # pages that existed before the import may show red links to these
        keys = sorted(edit.title.key for _p, edit, _r in batch)
        for start in range(0, len(keys), RERENDER_KEYS):
            jobs.enqueue(fanout.RERENDER, keys=keys[start:start + RERENDER_KEYS], sections_only=False, last=before)
    jobs.commit()
    created.extend(Created(page.ref, page_id, edit.title.display, edit.title.key)
                   for page_id, (page, edit, _r) in zip(page_ids, batch))
    if progress:
        progress(len(batch))
