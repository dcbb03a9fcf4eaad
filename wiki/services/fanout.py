"""Fan-out: the work a change to one page causes on the pages that link to it, run as jobs.

Rendered HTML is stored with each revision, so when a link target changes state (created,
deleted, restored, renamed, its headings changed) the pages linking to it must be rendered
again, and a rename may rewrite their links. That work grows with the wiki, so saves,
renames, deletes and restores only queue it (``wiki.services.jobs``); a worker runs it in
batches. Until it has, a linking page shows the link's previous state: a red link to a page
that now exists leads to that page's editor, a blue one to a page just deleted to its
"no such page" answer, never to another page.

Correctness while jobs overlap with saves: each page is rendered before its lock (like a
save, ``rendering.prepare``), then, holding the page's lock, its *current* revision is
checked against what was rendered (``rendering.render_locked`` re-renders if a link target
changed meanwhile, or a save made a new revision). Every change of a target's state queues
a job that starts after that change committed, so the last job to touch a page sees the
final state: a drained queue leaves every page as a from-scratch render would.
"""
from sqlalchemy import select, update

from wiki.core.markup.rewrite import rewrite_wikilinks
from wiki.core.titles import InvalidTitle, canonical_key
from wiki.extensions import db
from wiki.models import Job, Link, Page, Revision, User
from wiki.services import jobs, linkhealth, paths, rendering, review, search, tags

RERENDER = "rerender"
REWRITE_LINKS = "rewrite_links"


def queue_rerender(keys: set[str], sections_only: bool = False) -> None:
    """Queue rendering again every live page linking to one of ``keys`` (title keys), in the
    caller's transaction. ``sections_only``: only pages whose links name a section."""
    if keys:
        jobs.enqueue(RERENDER, keys=sorted(keys), sections_only=sections_only)


def queue_link_rewrite(page: Page, old_title: str, old_key: str, actor: User | None) -> None:
    """Queue rewriting links to ``old_title`` on every page into links to ``page`` (renamed)."""
    jobs.enqueue(REWRITE_LINKS, page_id=page.id, old_title=old_title, old_key=old_key,
                 actor_id=actor.id if actor else None)


def _linking_query(keys: list[str], sections_only: bool = False, exclude: int | None = None, last: int | None = None):
    links = select(Link.source_page_id).where(Link.target_key.in_(keys))
    if sections_only:
        links = links.where(Link.section.is_not(None))
    query = select(Page).where(Page.deleted.is_(False), Page.id.in_(links))
    if exclude is not None:
        query = query.where(Page.id != exclude)
    if last is not None:
        query = query.where(Page.id <= last)
    return query


def _linking(keys: list[str], after: int, limit: int, sections_only: bool = False, exclude: int | None = None,
             last: int | None = None):
    """The next ``limit`` live pages (by id, after ``after``, up to ``last``) linking to ``keys``."""
    query = _linking_query(keys, sections_only, exclude, last).where(Page.id > after)
    return list(db.session.scalars(query.order_by(Page.id).limit(limit)))


def _lock(page_id: int) -> None:
    """The page's row lock (PostgreSQL) or the database's write lock (SQLite), until commit:
    the same lock a save of that page takes, so the two never interleave."""
    db.session.execute(
        update(Page).where(Page.id == page_id).values(deleted=Page.deleted)
        .execution_options(synchronize_session=False)
    )


def prepare_page(page: Page) -> rendering.Prepared | None:
    """Render the page's current revision without taking any lock (see ``rerender_page``)."""
    revision = db.session.get(Revision, page.current_revision_id)
    return rendering.prepare(page.title, revision.source) if revision is not None else None


def rerender_page(page: Page, prepared: rendering.Prepared | None = None) -> bool:
    """Render the page's current revision again, in the caller's transaction. False if gone.

    ``prepared``: its rendering made before any lock was taken (``prepare_page``); under the
    page's lock it is used if the page and its link targets are as they were, else redone.
    """
    if prepared is None:
        prepared = prepare_page(page)
        if prepared is None:
            return False
    _lock(page.id)
    current = db.session.scalar(
        select(Revision).join(Page, Page.current_revision_id == Revision.id)
        .where(Page.id == page.id, Page.deleted.is_(False))
    )
    if current is None:
        return False  # deleted meanwhile: deleting it took it out of the index
    rendered = rendering.render_locked(page.title, current.source, prepared)
    rendering.apply(current, rendered)
    linkhealth.sync_broken(page, current.source, rendered)  # issue 20: targets changed state
    search.index_page(page, current)  # link labels are part of its text
    tags.sync_tags(page, current.source)  # issue 20: after an upgrade whose tag rules changed
    paths.sync_path(page, current.source, only_new=True)  # issue 20: a path saved before paths were stored
    return True


SPLIT_PAGES = 1000  # a fan-out over more pages is cut into jobs of this many, for several workers


@jobs.handler(RERENDER)
def _rerender(job: Job, settings: jobs.Settings) -> None:
    data = jobs.payload(job)
    keys, sections_only = data["keys"], data.get("sections_only", False)
    if "last" not in data and _split(job, keys, sections_only):
        return
    cursor = max(job.cursor, data.get("first", 0) - 1)
    while batch := _linking(keys, cursor, settings.batch, sections_only, last=data.get("last")):
        # Rendering is most of the work: all of it happens before the batch's first lock, so
        # on SQLite (one write lock for the whole database) saves wait only for the writes.
        prepared = [(page, prepare_page(page)) for page in batch]
        done = sum(rerender_page(page, ready) for page, ready in prepared if ready is not None)
        cursor = batch[-1].id
        jobs.extend(job, settings, cursor=cursor, done=done)
        db.session.commit()


def _split(job: Job, keys: list[str], sections_only: bool) -> bool:
    """Cut a large fan-out into jobs over ranges of page ids, which workers run side by side.
    False (nothing done) for one small enough to run as it is. The ranges are queued in the
    transaction that deletes this job, so either all of them exist or this job does."""
    ids = list(db.session.scalars(
        _linking_query(keys, sections_only).with_only_columns(Page.id).order_by(Page.id)))
    if len(ids) <= SPLIT_PAGES:
        return False
    for start in range(0, len(ids), SPLIT_PAGES):
        chunk = ids[start:start + SPLIT_PAGES]
        jobs.enqueue(RERENDER, keys=keys, sections_only=sections_only, first=chunk[0], last=chunk[-1])
    return True


@jobs.handler(REWRITE_LINKS)
def _rewrite_links(job: Job, settings: jobs.Settings) -> None:
    from wiki.services.pages import current_revision, write_revision  # pages imports this module

    data = jobs.payload(job)
    target = db.session.get(Page, data["page_id"])
    if target is None or target.deleted:
        return  # deleted since: its links turned red, and the delete queued their re-rendering
    old_key, old_title = data["old_key"], data["old_title"]
    if target.title_key == old_key:
        return  # renamed back meanwhile: the old links are right again
    actor = db.session.get(User, data["actor_id"]) if data.get("actor_id") else None
    summary = f"Links updated: “{old_title}” was renamed to “{target.title}”"

    def is_old(title: str) -> bool:
        try:
            return canonical_key(title) == old_key
        except InvalidTitle:
            return False

    while batch := _linking([old_key], job.cursor, settings.batch, exclude=target.id):
        done = 0
        for source in batch:
            _lock(source.id)
            parent = current_revision(source.id)
            # A page done before a crash has no old link left: redoing it writes nothing.
            body = rewrite_wikilinks(parent.source, is_old, target.title)
            if body != parent.source:
                write_revision(source, parent, body, summary, actor)
                done += 1
        jobs.extend(job, settings, cursor=batch[-1].id, done=done)
        jobs.commit()  # write_revision may queue re-rendering of pages linking to these


def rerender_everything(batch_size: int = 100) -> tuple[int, int]:
    """Render every live page's current revision again (with the link-state protocol of
    ``rerender_page``), then every old revision, committing each batch. For upgrades whose
    rendering changed (display titles: the opening heading left the stored HTML). Returns
    (pages, old revisions) rendered."""
    pages = after = 0
    while batch := list(db.session.scalars(
            select(Page).where(Page.deleted.is_(False), Page.id > after).order_by(Page.id).limit(batch_size))):
        pages += sum(rerender_page(page) for page in batch)
        for page in batch:  # issue 20: pages saved before review dates get their schedules
            review.sync_page(page, page.current_revision.source)
        after = batch[-1].id
        db.session.commit()
    old = after = 0
    while batch := db.session.execute(
            select(Revision, Page.title).join(Page, Page.id == Revision.page_id)
            .where(Revision.id > after, Revision.id != Page.current_revision_id)
            .order_by(Revision.id).limit(batch_size)).all():
        resolver = rendering.Resolver()
        for revision, title in batch:
            rendering.apply(revision, rendering.render(title, revision.source, resolver))
        old += len(batch)
        after = batch[-1][0].id
        db.session.commit()
    return pages, old
