"""Learning-path progress (issue 20): marking steps done or not done, the path a learner
follows, the profile's list and its public preference, and progress in backups
(wiki.core.backuppaths). The paths themselves: wiki.services.paths."""
from sqlalchemy import insert, select
from sqlalchemy.orm import aliased

from wiki.core.backuppaths import FollowRecord, PathsRecord, ProgressRecord
from wiki.core.errors import InvalidInput
from wiki.core.titles import canonical_key
from wiki.extensions import db
from wiki.models import LearningPath, Page, PathFollow, PathProgress, PathStep, Revision, User, UserPreferences, utcnow
from wiki.services import availability
from wiki.services.errors import NotFound
from wiki.services.paths import PathSummary, done_counts


# --- Progress -----------------------------------------------------------------------------------

def _step_of(path_page: Page, page_id: int, section: str) -> PathStep:
    step = db.session.scalar(
        select(PathStep).join(Page, Page.id == PathStep.target_page_id)
        .where(PathStep.path_page_id == path_page.id, PathStep.target_page_id == page_id,
               PathStep.section == section, Page.deleted.is_(False)).limit(1))
    if step is None:
        raise InvalidInput("That page is not a step of this path (it may have been taken out of it). "
                           "Nothing was marked.", field="page")
    return step


def live_path(path_page_id: int) -> Page:
    """The live page ``path_page_id`` if it declares a path; raises NotFound."""
    page = db.session.scalar(select(Page).join(LearningPath, LearningPath.page_id == Page.id)
                             .where(Page.id == path_page_id, Page.deleted.is_(False)))
    if page is None:
        raise NotFound("There is no such learning path (it may have been deleted).")
    return page


def mark(user: User, path_page: Page, page_id: int, section: str, done: bool) -> bool:
    """Mark a step of ``path_page`` done (or not done) for ``user``; the path becomes the one
    they follow. False if it already was so. Raises InvalidInput for a page that is not a step."""
    section = (section or "")[:255]
    step = _step_of(path_page, page_id, section)
    existing = db.session.scalar(select(PathProgress).where(
        PathProgress.user_id == user.id, PathProgress.path_page_id == path_page.id,
        PathProgress.page_id == step.target_page_id, PathProgress.section == section))
    changed = (existing is None) == done
    if done and existing is None:
        db.session.add(PathProgress(user_id=user.id, path_page_id=path_page.id, page_id=page_id, section=section))
    elif not done and existing is not None:
        db.session.delete(existing)
    _follow(user.id, path_page.id)
    availability.commit("your progress")
    return changed


def follow(user: User, path_page: Page) -> None:
    """Remember ``path_page`` as the path ``user`` follows on pages that are in several."""
    _follow(user.id, path_page.id)
    availability.commit("the path you follow")


def _follow(user_id: int, path_page_id: int) -> None:
    row = db.session.get(PathFollow, (user_id, path_page_id))
    if row is None:
        db.session.add(PathFollow(user_id=user_id, path_page_id=path_page_id))
    else:
        row.followed_at = utcnow()


# --- The profile ----------------------------------------------------------------------------------

def progress_public(user_id: int) -> bool:
    return bool(db.session.scalar(select(UserPreferences.paths_public).where(UserPreferences.user_id == user_id)))


def set_progress_public(user: User, public: bool) -> None:
    """Show (or hide) ``user``'s learning-path progress on their profile."""
    prefs = db.session.get(UserPreferences, user.id)
    if prefs is None:
        prefs = UserPreferences(user_id=user.id, mail="immediate", auto_watch=True)
        db.session.add(prefs)
    prefs.paths_public = public
    availability.commit("your learning-path preference")


def learner_progress(user_id: int) -> list[PathSummary]:
    """The paths ``user_id`` has marked at least one step of, with their progress. Three queries."""
    path_ids = list(db.session.scalars(
        select(PathProgress.path_page_id).where(PathProgress.user_id == user_id).distinct()))
    if not path_ids:
        return []
    rows = db.session.execute(
        select(Page.id, Page.title, Revision.display_title, LearningPath.steps)
        .join(LearningPath, LearningPath.page_id == Page.id)
        .join(Revision, Revision.id == Page.current_revision_id)
        .where(Page.id.in_(path_ids), Page.deleted.is_(False)).order_by(Page.title_key)).all()
    done = done_counts(user_id, [row.id for row in rows])
    return [PathSummary(row.id, row.title, row.display_title or row.title, row.steps, done.get(row.id, 0))
            for row in rows]




# --- Backups (wiki.core.backuppaths) ------------------------------------------------------------

def export_progress() -> PathsRecord:
    """Every learner's done steps, followed paths and the public preference, by title and name."""
    path_page, step_page = aliased(Page), aliased(Page)
    progress = tuple(ProgressRecord(name, path_title, page_title, section, done_at)
                     for name, path_title, page_title, section, done_at in db.session.execute(
        select(User.username, path_page.title, step_page.title, PathProgress.section, PathProgress.done_at)
        .select_from(PathProgress).join(User, User.id == PathProgress.user_id)
        .join(path_page, path_page.id == PathProgress.path_page_id)
        .join(step_page, step_page.id == PathProgress.page_id)
        .order_by(PathProgress.id)))
    follows = tuple(FollowRecord(name, title, at) for name, title, at in db.session.execute(
        select(User.username, Page.title, PathFollow.followed_at).select_from(PathFollow)
        .join(User, User.id == PathFollow.user_id).join(Page, Page.id == PathFollow.path_page_id)
        .order_by(User.id, Page.id)))
    public = tuple(db.session.scalars(
        select(User.username).join(UserPreferences, UserPreferences.user_id == User.id)
        .where(UserPreferences.paths_public.is_(True)).order_by(User.id)))
    return PathsRecord(progress, follows, public)


def restore_progress(record: PathsRecord, users: dict, pages: dict) -> None:
    """Write an export's learning-path progress (``record``, validated) in the import's
    transaction. ``users``: username key -> User; ``pages``: title key -> Page."""
    def user_id(name: str) -> int:
        return users[name.strip().casefold()].id

    rows = [{"user_id": user_id(p.user), "path_page_id": pages[canonical_key(p.path)].id,
             "page_id": pages[canonical_key(p.page)].id, "section": p.section, "done_at": p.done_at}
            for p in record.progress]
    if rows:
        db.session.execute(insert(PathProgress), rows)
    follows = [{"user_id": user_id(f.user), "path_page_id": pages[canonical_key(f.path)].id,
                "followed_at": f.followed_at} for f in record.follows]
    if follows:
        db.session.execute(insert(PathFollow), follows)
    for name in record.public:
        prefs = db.session.get(UserPreferences, user_id(name))
        if prefs is None:
            prefs = UserPreferences(user_id=user_id(name), mail="immediate", auto_watch=True)
            db.session.add(prefs)
        prefs.paths_public = True
