"""Renaming, deleting and restoring pages, and following redirects."""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wiki.extensions import db
from wiki.core.markup.redirects import redirect_source, redirect_target
from wiki.core.markup.rewrite import rewrite_wikilinks
from wiki.models import Link, Page, Revision, User
from wiki.services import rendering, search
from wiki.services.errors import Conflict, InvalidInput, StaleRevision
from wiki.services.pages import _same_title, current_revision, write_revision
from wiki.core.titles import InvalidTitle, Title, canonical_key

MAX_REDIRECT_HOPS = 10


@dataclass(frozen=True)
class RenameResult:
    page: Page
    redirect_left: bool
    rewritten: int  # linking pages whose links were rewritten


def _is_key(key: str):
    return lambda target: _same_title(target, key)


def rename_page(page: Page, new_title: "str | Title", actor: User, leave_redirect: bool = True,
                rewrite_links: bool = False) -> RenameResult:
    """Give ``page`` (and its whole history) a new title, in one transaction.

    The old title becomes a redirect unless ``leave_redirect`` is False; with
    ``rewrite_links`` every live page linking to the old title gets a new revision whose
    links point at the new one. Pages linking to either title are re-rendered.
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
        rewritten = 0
        if rewrite_links:
            rewritten = _rewrite_links(old_key, new_display, old_title, page.id, actor)
        leave = leave_redirect and old_key != new_key
        if leave:
            stub = Page(title=old_title, title_key=old_key)
            db.session.add(stub)
            write_revision(stub, None, redirect_source(new_display), f"Moved to “{new_display}”", actor)
        rendering.rerender_linking_pages({old_key, new_key})
        db.session.commit()
    except (IntegrityError, StaleRevision):
        db.session.rollback()
        raise Conflict("Another change to these pages happened at the same moment. Nothing was "
                       "renamed; please try again.") from None
    return RenameResult(page, leave, rewritten)


def _rewrite_links(old_key: str, new_title: str, old_title: str, page_id: int, actor: User) -> int:
    sources = db.session.scalars(
        select(Page).where(
            Page.deleted.is_(False),
            Page.id != page_id,
            Page.id.in_(select(Link.source_page_id).where(Link.target_key == old_key)),
        )
    ).all()
    count = 0
    for source in sources:
        parent = current_revision(source.id)
        body = rewrite_wikilinks(parent.source, _is_key(old_key), new_title)
        if body != parent.source:
            summary = f"Links updated: “{old_title}” was renamed to “{new_title}”"
            write_revision(source, parent, body, summary, actor)
            count += 1
    return count


def delete_page(page: Page, actor: User) -> None:
    """Hide a page: its history is kept and an admin can restore it; links to it turn red."""
    page.deleted = True
    search.unindex_page(page)
    rendering.rerender_linking_pages({page.title_key})
    db.session.commit()


def restore_page(page: Page, actor: User) -> None:
    """Bring a deleted page back; links to it turn blue again."""
    page.deleted = False
    db.session.flush()
    revision = page.current_revision
    rendering.apply(revision, rendering.render(page.title, revision.source))
    search.index_page(page, revision)
    rendering.rerender_linking_pages({page.title_key})
    db.session.commit()


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
