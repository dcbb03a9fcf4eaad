"""Learning paths (issue 20): the paths pages declare, following them, and learners' progress.

A page's ```path block (wiki.core.markup.learningpaths) is stored, in the save's transaction,
as a LearningPath row and its PathStep rows. A step names its page by title as written
(``target_key``, like the link table) and by id (``target_page_id``): the id is what progress
is keyed by, so it survives renames. It is found when the path is saved (a redirect
followed), and filled in when a page with the step's title is created or restored later
(``resolve_title``); a deleted page's steps read as missing until it is restored.

Progress (PathProgress) is one row per (learner, path, step page, section). Rows are never
deleted when a step leaves the path: the path page shows them as "done earlier, no longer in
this path", and the step counts as done again if it comes back. Undo deletes the row.

Marking steps, following, the profile and backups are in wiki.services.path_progress.

Every function reads a bounded number of rows in a constant number of queries (no query
per path or per step): see tests/blueprints/test_paths_queries.py.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import aliased

from wiki.core.markup.learningpaths import MAX_STEPS, parse_path, step_label, summary_from_html
from wiki.core.markup.redirects import redirect_target
from wiki.core.titles import InvalidTitle, canonical_key, normalize_title
from wiki.extensions import db
from wiki.models import LearningPath, Page, PathFollow, PathProgress, PathStep, Revision, utcnow

MAX_MEMBERSHIPS = 10  # paths shown on one step page (the first by the learner's choice, then by title)
MAX_PATHS_LISTED = 500  # paths in /-/paths and the API's list


# --- Keeping the tables in step with the sources ----------------------------------------------

def sync_path(page: Page, source: str, only_new: bool = False) -> None:
    """Store the path ``source`` declares (or none) for ``page``, in the caller's transaction.

    ``only_new``: only if no path is stored for it yet (re-rendering: the stored steps keep
    the pages they lead to, through renames, until the path page is saved again)."""
    if only_new and "path" not in source:
        return
    parsed = parse_path(source) if redirect_target(source) is None else None
    existing = db.session.get(LearningPath, page.id)
    if only_new and (existing is not None or parsed is None):
        return
    if parsed is None:
        if existing is not None:
            db.session.execute(delete(PathStep).where(PathStep.path_page_id == page.id))
            db.session.delete(existing)
        return
    rows, problems, keys = [], list(parsed.problems), {}
    for step in parsed.steps:
        try:
            title, key = normalize_title(step.target), canonical_key(step.target)
        except InvalidTitle as invalid:
            problems.append(f"Line {step.line}: “{step.target}” can never be a page ({invalid}).")
            continue
        keys[key] = None
        rows.append({"path_page_id": page.id, "position": len(rows) + 1, "target_title": title[:255],
                     "target_key": key[:255], "section": (step.section or "")[:255], "label": (step.label or "")[:255],
                     "note": step.note[:300]})
    ids = _resolve_keys(set(keys))
    for row in rows:
        row["target_page_id"] = ids.get(row["target_key"])
        if row["target_page_id"] is None:
            problems.append(f"Step {row['position']} links to “{row['target_title']}”, which does not exist yet.")
        elif row["target_page_id"] == page.id:
            problems.append(f"Step {row['position']} is this path's own page: a path should not contain itself.")
    if existing is None:
        existing = LearningPath(page_id=page.id)
        db.session.add(existing)
    existing.steps, existing.problems, existing.updated_at = len(rows), "\n".join(problems), utcnow()
    db.session.flush()
    db.session.execute(delete(PathStep).where(PathStep.path_page_id == page.id))
    if rows:
        db.session.execute(insert(PathStep), rows)


def _resolve_keys(keys: set[str]) -> dict[str, int]:
    """Title key -> id of the live page it names, a redirect followed one step."""
    if not keys:
        return {}
    found = db.session.execute(
        select(Page.id, Page.title_key, Revision.source).join(Revision, Revision.id == Page.current_revision_id)
        .where(Page.title_key.in_(sorted(keys)), Page.deleted.is_(False))).all()
    ids, redirects = {}, {}
    for page_id, key, source in found:
        ids[key] = page_id
        if (target := redirect_target(source)) is not None:
            try:
                redirects[key] = canonical_key(target)
            except InvalidTitle:
                pass
    if redirects:
        targets = dict(db.session.execute(
            select(Page.title_key, Page.id).where(Page.title_key.in_(sorted(set(redirects.values()))),
                                                  Page.deleted.is_(False))).all())
        for key, target in redirects.items():
            if target in targets:
                ids[key] = targets[target]
    return ids


def resolve_title(page: Page) -> None:
    """``page`` was created, restored or renamed: steps naming its title that had no live
    page now lead to it (as red links turn blue)."""
    gone = select(Page.id).where(Page.deleted.is_(True)).scalar_subquery()
    db.session.execute(
        update(PathStep).where(PathStep.target_key == page.title_key,
                               or_(PathStep.target_page_id.is_(None), PathStep.target_page_id.in_(gone)))
        .values(target_page_id=page.id).execution_options(synchronize_session=False))


def resolve_missing_steps() -> None:
    """Every step naming a title that had no live page leads to the live page of that title
    now, if there is one (a bulk import: resolve_title for all its pages in one statement)."""
    gone = select(Page.id).where(Page.deleted.is_(True)).scalar_subquery()
    live = (select(Page.id).where(Page.title_key == PathStep.target_key, Page.deleted.is_(False))
            .limit(1).scalar_subquery())
    db.session.execute(
        update(PathStep).where(or_(PathStep.target_page_id.is_(None), PathStep.target_page_id.in_(gone)))
        .values(target_page_id=live).execution_options(synchronize_session=False))


# --- What the pages show ----------------------------------------------------------------------

@dataclass(frozen=True)
class StepView:
    position: int
    title: str  # the page's title (as written while it is missing)
    label: str  # what the step reads as: its label, else the display title (and section)
    section: str
    note: str
    page_id: int | None  # None: the page does not exist
    summary: str = ""
    is_self: bool = False  # the path's own page
    done: bool = False


@dataclass(frozen=True)
class DoneEarlier:
    title: str
    label: str
    section: str
    page_id: int


@dataclass(frozen=True)
class PathView:
    page_id: int
    title: str
    label: str  # the path page's display title
    steps: tuple[StepView, ...]
    problems: tuple[str, ...]
    done_earlier: tuple[DoneEarlier, ...] = ()

    @property
    def count(self) -> int:
        return len(self.steps)

    @property
    def done(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.count) if self.count else 0


def _label(display: str | None, title: str, section: str) -> str:
    return step_label(display or title, section or None)


def _done_set(user_id: int | None, path_ids: list[int]) -> dict[int, set[tuple[int, str]]]:
    """path page id -> {(page id, section)} the learner marked done."""
    if user_id is None or not path_ids:
        return {}
    result: dict[int, set[tuple[int, str]]] = {}
    for path_id, page_id, section in db.session.execute(
            select(PathProgress.path_page_id, PathProgress.page_id, PathProgress.section)
            .where(PathProgress.user_id == user_id, PathProgress.path_page_id.in_(path_ids))):
        result.setdefault(path_id, set()).add((page_id, section))
    return result


def path_view(page: Page, user_id: int | None = None, summaries: bool = True) -> PathView | None:
    """The path ``page`` declares, with each step's page, summary and the learner's done
    marks; None if it declares none. Three queries, whatever the number of steps."""
    path = db.session.get(LearningPath, page.id)
    if path is None:
        return None
    target = aliased(Page)
    columns = [PathStep, target.title, target.deleted, Revision.display_title]
    if summaries:
        columns.append(Revision.html)
    rows = db.session.execute(
        select(*columns).outerjoin(target, target.id == PathStep.target_page_id)
        .outerjoin(Revision, Revision.id == target.current_revision_id)
        .where(PathStep.path_page_id == page.id).order_by(PathStep.position)).all()
    done = _done_set(user_id, [page.id]).get(page.id, set())
    steps = []
    for row in rows:
        step, live = row[0], row[1] is not None and not row[2]
        title = row[1] if live else step.target_title
        label = step.label or _label(row[3] if live else None, title, step.section)
        steps.append(StepView(
            step.position, title, label, step.section, step.note, step.target_page_id if live else None,
            summary_from_html(row[4]) if summaries and live and row[4] else "",
            is_self=live and step.target_page_id == page.id,
            done=live and (step.target_page_id, step.section) in done))
    current = {(s.page_id, s.section) for s in steps if s.page_id is not None}
    earlier_keys = sorted(done - current)
    earlier = ()
    if earlier_keys:
        names = dict(db.session.execute(
            select(Page.id, func.coalesce(func.nullif(Revision.display_title, ""), Page.title))
            .join(Revision, Revision.id == Page.current_revision_id)
            .where(Page.id.in_({pid for pid, _s in earlier_keys}), Page.deleted.is_(False))).all())
        titles = dict(db.session.execute(select(Page.id, Page.title).where(Page.id.in_(list(names)))).all()) \
            if names else {}
        earlier = tuple(DoneEarlier(titles[pid], _label(names[pid], titles[pid], section), section, pid)
                        for pid, section in earlier_keys if pid in names)
    display = db.session.scalar(select(Revision.display_title).where(Revision.id == page.current_revision_id))
    problems = tuple(line for line in path.problems.splitlines() if line)
    return PathView(page.id, page.title, display or page.title, tuple(steps), problems, earlier)


@dataclass(frozen=True)
class PathSummary:
    page_id: int
    title: str
    label: str
    steps: int
    done: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.steps) if self.steps else 0


def list_paths(user_id: int | None = None, limit: int = MAX_PATHS_LISTED) -> list[PathSummary]:
    """The live pages that declare a path, by title, with step counts and (for a learner)
    how many of the current steps they marked done. Two queries."""
    rows = db.session.execute(
        select(Page.id, Page.title, Revision.display_title, LearningPath.steps)
        .join(LearningPath, LearningPath.page_id == Page.id)
        .join(Revision, Revision.id == Page.current_revision_id)
        .where(Page.deleted.is_(False)).order_by(Page.title_key).limit(limit)).all()
    done = done_counts(user_id, [row.id for row in rows])
    return [PathSummary(row.id, row.title, row.display_title or row.title, row.steps, done.get(row.id, 0))
            for row in rows]


def done_counts(user_id: int | None, path_ids: list[int]) -> dict[int, int]:
    """path page id -> how many of its current steps (with a live page) the learner marked done."""
    if user_id is None or not path_ids:
        return {}
    live = aliased(Page)
    return dict(db.session.execute(
        select(PathStep.path_page_id, func.count(func.distinct(PathStep.id)))
        .join(PathProgress, and_(PathProgress.path_page_id == PathStep.path_page_id,
                                 PathProgress.page_id == PathStep.target_page_id,
                                 PathProgress.section == PathStep.section))
        .join(live, and_(live.id == PathStep.target_page_id, live.deleted.is_(False)))
        .where(PathProgress.user_id == user_id, PathStep.path_page_id.in_(path_ids))
        .group_by(PathStep.path_page_id)).all())


def find_path(title: str) -> Page | None:
    """The live page called ``title`` if it declares a path."""
    try:
        key = canonical_key(title)
    except InvalidTitle:
        return None
    return db.session.scalar(select(Page).join(LearningPath, LearningPath.page_id == Page.id)
                             .where(Page.title_key == key, Page.deleted.is_(False)))


# --- A step page: "Step k of n in <Path>" -------------------------------------------------------

@dataclass(frozen=True)
class Neighbour:
    title: str
    label: str
    section: str


@dataclass(frozen=True)
class Membership:
    """Where the viewed page stands in one path."""

    path_page_id: int
    path_title: str
    path_label: str
    position: int
    count: int
    section: str  # the step's section of the viewed page ("" for the whole page)
    previous: Neighbour | None
    next: Neighbour | None
    done: bool = False
    done_count: int = 0
    chosen: bool = False  # the path the learner follows here


@dataclass(frozen=True)
class ViewerPathState:
    """Everything about paths the view of one page shows one viewer: the paths the page is a
    step of (the chosen one first) and, for a path page, the path. ``key`` is a digest of all
    of it, part of the page view's validator, so no cached view shows stale progress."""

    memberships: tuple[Membership, ...] = ()
    path: PathView | None = None
    more: int = 0  # paths beyond MAX_MEMBERSHIPS not shown
    key: str = ""
    signed_in: bool = False

    @property
    def empty(self) -> bool:
        return not self.memberships and self.path is None


EMPTY = ViewerPathState()


def viewer_path_state(page: Page, user_id: int | None = None, chosen: int | None = None) -> ViewerPathState:
    """The per-viewer path state of the view of ``page``: its memberships (``chosen``: a path
    page id from ``?path=``; else the path the learner last followed; else by title) and its
    own path. A constant number of queries; one cheap query for a page in no path."""
    path = path_view(page, user_id)
    mine = db.session.execute(
        select(PathStep.path_page_id, PathStep.position, PathStep.section)
        .join(Page, Page.id == PathStep.path_page_id)
        .where(PathStep.target_page_id == page.id, PathStep.path_page_id != page.id, Page.deleted.is_(False))
        .order_by(PathStep.path_page_id, PathStep.position)).all()
    if not mine and path is None:
        return EMPTY if user_id is None else ViewerPathState(signed_in=True)
    first: dict[int, tuple[int, str]] = {}
    for path_id, position, section in mine:
        first.setdefault(path_id, (position, section))  # a page twice in one path: its first step
    memberships = _memberships(page.id, first, user_id, chosen) if first else []
    more = max(0, len(memberships) - MAX_MEMBERSHIPS)
    memberships = memberships[:MAX_MEMBERSHIPS]
    state = ViewerPathState(tuple(memberships), path, more, signed_in=user_id is not None)
    digest = hashlib.blake2b(repr((state.memberships, state.path, state.more, user_id)).encode(), digest_size=12)
    return ViewerPathState(state.memberships, state.path, state.more, digest.hexdigest(), user_id is not None)


def _memberships(page_id: int, first: dict[int, tuple[int, str]], user_id: int | None, chosen: int | None) -> list[Membership]:
    path_ids = sorted(first)
    paths = {row.id: row for row in db.session.execute(
        select(Page.id, Page.title, Revision.display_title, LearningPath.steps)
        .join(LearningPath, LearningPath.page_id == Page.id)
        .join(Revision, Revision.id == Page.current_revision_id).where(Page.id.in_(path_ids)))}
    wanted = [(path_id, position + delta) for path_id, (position, _s) in first.items() for delta in (-1, 1)]
    target = aliased(Page)
    neighbours = {}
    for step, title, display in db.session.execute(
            select(PathStep, target.title, Revision.display_title)
            .outerjoin(target, and_(target.id == PathStep.target_page_id, target.deleted.is_(False)))
            .outerjoin(Revision, Revision.id == target.current_revision_id)
            .where(PathStep.path_page_id.in_(path_ids),
                   or_(*[and_(PathStep.path_page_id == p, PathStep.position == n) for p, n in wanted]))):
        shown = title or step.target_title
        neighbours[(step.path_page_id, step.position)] = Neighbour(
            shown, step.label or _label(display if title else None, shown, step.section), step.section)
    done = _done_set(user_id, path_ids)
    counts = done_counts(user_id, path_ids)
    followed = None
    if chosen not in first and user_id is not None:
        followed = db.session.scalar(
            select(PathFollow.path_page_id).where(PathFollow.user_id == user_id,
                                                  PathFollow.path_page_id.in_(path_ids))
            .order_by(PathFollow.followed_at.desc()).limit(1))
    pick = chosen if chosen in first else followed
    result = []
    for path_id in path_ids:
        if path_id not in paths:
            continue
        position, section = first[path_id]
        row = paths[path_id]
        result.append(Membership(
            path_id, row.title, row.display_title or row.title, position, row.steps, section,
            neighbours.get((path_id, position - 1)), neighbours.get((path_id, position + 1)),
            done_count=counts.get(path_id, 0), chosen=path_id == pick))
    result.sort(key=lambda m: (not m.chosen, m.path_label.casefold()))
    if result and not any(m.chosen for m in result):
        result[0] = replace(result[0], chosen=True)
    return [replace(m, done=(page_id, m.section) in done.get(m.path_page_id, set())) for m in result]


__all__ = ["MAX_STEPS", "Membership", "PathSummary", "PathView", "StepView", "ViewerPathState", "done_counts",
           "find_path", "list_paths", "path_view", "resolve_title", "sync_path", "viewer_path_state"]
