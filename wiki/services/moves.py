"""Renaming, deleting and restoring pages, and following redirects."""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from wiki.extensions import db
from wiki.core.markup.redirects import redirect_source, redirect_target
from wiki.models import AuditEvent, Link, Page, PageEvent, Revision, User
from wiki.services import availability, fanout, jobs, notifications, paths, rendering, review, search, tags, webhooks
from wiki.services.errors import Conflict, InvalidInput, StaleRevision
from wiki.services.pages import write_revision
from wiki.core.titles import InvalidTitle, Title, canonical_key

MAX_REDIRECT_HOPS = 10


@dataclass(frozen=True)
class RenameResult:
    page: Page  # expired by the commit: reading it queries again
    title: str  # the new title, for the answer
    redirect_left: bool
    rewriting: int  # pages linking to the old title, whose links a job is rewriting


def rename_page(page: Page, new_title: "str | Title", actor: User, leave_redirect: bool = True,
                rewrite_links: bool = False) -> RenameResult:
    """Give ``page`` (and its whole history) a new title, in one transaction.

    The old title becomes a redirect unless ``leave_redirect`` is False; with
    ``rewrite_links`` a job gives every live page linking to the old title a new revision
    whose links point at the new one. Pages linking to either title are re-rendered by a
    job too (wiki.services.fanout): the rename itself costs the same however many link here.
    """
    parsed = Title.parse(new_title)  # normalized once; raises InvalidTitle
    new_display, new_key = parsed.display, parsed.key
    old_title, old_key = page.title, page.title_key
    if new_display == old_title:
        raise InvalidInput("The new title is the same as the old one.", field="new_title")
    taken = db.session.scalar(select(Page).where(Page.title_key == new_key, Page.id != page.id))
    if taken is not None:
        raise Conflict(
            f"A page called “{taken.title}” already exists"
            + (" (deleted; an administrator can restore it)" if taken.deleted else "")
            + ". Nothing was renamed.",
            field="new_title",
        )
    try:
        page.title, page.title_key = new_display, new_key
        db.session.flush()
        own = page.current_revision
        rendering.apply(own, rendering.render(new_display, own.source))  # its section edit links
        search.index_page(page, own)  # found under its new title
        paths.resolve_title(page)  # issue 20: steps naming the new title lead to it
        rewriting = 0
        if rewrite_links and old_key != new_key:
            rewriting = _count_linking(old_key, page.id)
            if rewriting:
                fanout.queue_link_rewrite(page, old_title, old_key, actor)
        leave = leave_redirect and old_key != new_key
        if leave:
            stub = Page(title=old_title, title_key=old_key)
            db.session.add(stub)
            write_revision(stub, None, redirect_source(new_display), f"Moved to “{new_display}”", actor)
        # Links to the new title turn blue; to the old one they follow the redirect left there
        # (writing it queued their re-rendering already) or turn red.
        fanout.queue_rerender({new_key} if leave else {old_key, new_key})
        notifications.queue_page_event(page, "rename", actor, summary=f"was “{old_title}”")
        webhooks.emit("page.renamed", page, actor, old_title=old_title)
        availability.commit(f"the rename of “{old_title}”", committer=jobs.commit, keep_loaded=False)
    except (IntegrityError, StaleRevision):
        db.session.rollback()
        jobs.discard()
        raise Conflict("Another change to these pages happened at the same moment. Nothing was "
                       "renamed; please try again.") from None
    return RenameResult(page, new_display, leave, rewriting)


def _count_linking(key: str, page_id: int) -> int:
    """Live pages other than ``page_id`` that link to the title ``key``."""
    return db.session.scalar(
        select(func.count()).select_from(Page).where(
            Page.deleted.is_(False),
            Page.id != page_id,
            Page.id.in_(select(Link.source_page_id).where(Link.target_key == key)),
        )
    )


MAX_REASON_LENGTH = 300


def _trace(page: Page, kind: str, actor: User | None, reason: str = "") -> None:
    """What a delete or restore leaves, in its transaction: a page event (recent changes),
    an audit event, and a job telling the page's watchers."""
    db.session.add(PageEvent(page_id=page.id, kind=kind, title=page.title, actor_id=actor.id if actor else None,
                             reason=reason))
    db.session.add(AuditEvent(actor_id=actor.id if actor else None, action=f"page_{kind}", target=page.title[:255],
                              detail=reason[:500]))
    notifications.queue_page_event(page, kind, actor, summary=reason)


def clean_reason(reason: str) -> str:
    """A delete's reason, on one line; raises InvalidInput when too long."""
    text = " ".join((reason or "").split())
    if len(text) > MAX_REASON_LENGTH:
        raise InvalidInput(f"A reason has at most {MAX_REASON_LENGTH} characters.", field="reason")
    return text


def delete_page(page: Page, actor: User | None, reason: str = "") -> None:
    """Hide a page: its history is kept and an admin can restore it; links to it turn red.
    Recorded in recent changes and the audit log with ``reason``; watchers are told."""
    reason = clean_reason(reason)
    title = page.title
    page.deleted = True
    search.unindex_page(page)
    tags.drop_tags(page)  # out of /-/tags while deleted; a restore brings them back
    fanout.queue_rerender({page.title_key})
    _trace(page, "delete", actor, reason)
    webhooks.emit("page.deleted", page, actor)
    availability.commit(f"the deletion of “{title}”", committer=jobs.commit, keep_loaded=False)


def restore_page(page: Page, actor: User | None) -> None:
    """Bring a deleted page back; links to it turn blue again. Recorded like a delete."""
    page.deleted = False
    db.session.flush()
    revision = page.current_revision
    rendering.apply(revision, rendering.render(page.title, revision.source))
    search.index_page(page, revision)
    tags.sync_tags(page, revision.source)
    review.sync_page(page, revision.source)  # issue 20: owners may have left meanwhile
    paths.resolve_title(page)  # issue 20: steps naming it lead to it again
    fanout.queue_rerender({page.title_key})
    _trace(page, "restore", actor)
    availability.commit(f"the restoration of “{page.title}”", committer=jobs.commit, keep_loaded=False)


@dataclass(frozen=True)
class RedirectOutcome:
    page: Page | None  # where the chain ends (None: broken)
    problem: str | None  # why it was not followed to the end


def follow_redirects(page: Page) -> RedirectOutcome:
    """Follow a chain of redirect pages, at most MAX_REDIRECT_HOPS, never looping."""
    seen = {page.id}
    current = page
    for _ in range(MAX_REDIRECT_HOPS):
        target = redirect_target(current.current_revision.source)
        if target is None:
            return RedirectOutcome(current, None)
        try:
            key = canonical_key(target)
        except InvalidTitle:
            return RedirectOutcome(None, f"it points to “{target}”, which is not a valid title")
        nxt = db.session.scalar(
            select(Page).join(Revision, Revision.id == Page.current_revision_id)
            .where(Page.title_key == key, Page.deleted.is_(False))
        )
        if nxt is None:
            return RedirectOutcome(None, f"it points to “{target}”, which does not exist")
        if nxt.id in seen:
            return RedirectOutcome(None, f"it is part of a redirect loop through “{nxt.title}”")
        seen.add(nxt.id)
        current = nxt
    return RedirectOutcome(None, f"the chain of redirects is longer than {MAX_REDIRECT_HOPS}")
