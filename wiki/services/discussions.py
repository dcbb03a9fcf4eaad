"""Discussions of pages and their sections: threads, comments, their edit history, resolving,
hiding and locking, and what the page view shows of them.

Threads belong to a page by id, so they move with it when it is renamed. A thread about a
section records the section as it was (heading id and text, source text and its hash, the
page revision); where that section is now, and whether it changed, is computed from the
current revision when the discussion is shown (wiki.core.discussions.locate), so a thread
never goes stale however the page is edited.

Every change bumps the page's ``DiscussionState.version``, which is part of the page view's
validator (wiki.web.caching): the comment counts shown on the page are then never stale,
also for cached anonymous views.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from wiki.core import discussions as core
from wiki.core.errors import InvalidInput
from wiki.core.markup import Rendered, render_markdown
from wiki.core.markup.render import section_ids
from wiki.extensions import db
from wiki.models import (
    AuditEvent, DiscussionComment, DiscussionCommentVersion, DiscussionState, DiscussionThread, Page, Revision, User,
    utcnow,
)
from wiki.services import discussion_index, jobs, webhooks
from wiki.services.discussion_notices import NOTIFY
from wiki.services.errors import DomainError, NotFound
from wiki.services.rendering import Resolver, parse_headings


class Refused(DomainError):
    """The user may not do this to this discussion (locked, not theirs); a 403."""


# --- Sections of the current revision, cached by a hash of its source -------------------------

_SECTIONS: OrderedDict[bytes, dict[str, core.CurrentSection]] = OrderedDict()
_SECTIONS_LOCK = threading.Lock()
_SECTIONS_SIZE = 64


def sections_of(revision: Revision) -> dict[str, core.CurrentSection]:
    """Heading id -> section of a revision (one Markdown conversion, then kept per process,
    keyed by the source's content: nothing to invalidate)."""
    key = hashlib.blake2b(revision.source.encode(), digest_size=16).digest()
    with _SECTIONS_LOCK:
        found = _SECTIONS.get(key)
        if found is not None:
            _SECTIONS.move_to_end(key)
            return found
    found = core.current_sections(revision.source, section_ids(revision.source))
    with _SECTIONS_LOCK:
        _SECTIONS[key] = found
        while len(_SECTIONS) > _SECTIONS_SIZE:
            _SECTIONS.popitem(last=False)
    return found


def heading_text(revision: Revision, anchor: str, here: core.CurrentSection | None) -> str | None:
    """A section's heading as readers see it (plain text, no Markdown), or None if it is not there."""
    if here is None:
        return None
    return parse_headings(revision.headings).get(anchor, here.section.title)


def render_comment(body: str) -> Rendered:
    """A comment's Markdown through the pages' renderer, sanitizer and budgets, its wiki links
    resolved against the database; no section edit links."""
    resolver = Resolver()
    resolver.prefetch(body)
    return render_markdown(body, resolver)


# --- State ----------------------------------------------------------------------------------

def state_of(page: Page) -> DiscussionState | None:
    return db.session.get(DiscussionState, page.id)


def is_locked(page: Page) -> bool:
    state = state_of(page)
    return state is not None and state.locked


def _bump(page: Page) -> None:
    """Count a change of the page's discussion (see the module's docstring)."""
    insert = sqlite_insert if db.session.get_bind().dialect.name == "sqlite" else pg_insert
    db.session.execute(insert(DiscussionState).values(page_id=page.id, version=0, locked=False)
                       .on_conflict_do_nothing(index_elements=["page_id"]))
    db.session.execute(update(DiscussionState).where(DiscussionState.page_id == page.id)
                       .values(version=DiscussionState.version + 1).execution_options(synchronize_session=False))


def _may_write(page: Page, user: User) -> None:
    if user.role != "admin" and is_locked(page):
        raise Refused("An administrator has locked this page's discussion: no new comments for now.")


# --- Writing --------------------------------------------------------------------------------

def _add_comment(thread: DiscussionThread, author: User, body: str) -> DiscussionComment:
    rendered = render_comment(body)
    now = utcnow()
    comment = DiscussionComment(thread=thread, author_id=author.id, body=body, html=rendered.html, created_at=now,
                                edits=0, hidden=False)
    db.session.add(comment)
    thread.updated_at = now
    db.session.flush()
    discussion_index.index_comment(comment)
    return comment


def start_thread(page: Page, author: User, body: str, anchor: str | None = None) -> DiscussionThread:
    """A new thread about ``page`` or its section ``anchor`` (a heading id of the current
    revision), with its first comment; watchers and @mentioned users are told by a job."""
    _may_write(page, author)
    revision = page.current_revision
    heading = text = digest = ""
    if anchor is not None:
        here = sections_of(revision).get(anchor)
        if here is None:
            raise InvalidInput("This page has no section with that heading any more; "
                               "start a thread about the whole page instead.", field="section")
        heading = heading_text(revision, anchor, here)[:255]
        text, digest = here.text, core.text_hash(here.text)
    thread = DiscussionThread(page_id=page.id, author_id=author.id, anchor=anchor, heading=heading,
                              section_text=text, section_hash=digest, revision_number=revision.number,
                              status="open", created_at=utcnow(), updated_at=utcnow())
    db.session.add(thread)
    comment = _add_comment(thread, author, body)
    _bump(page)
    jobs.enqueue(NOTIFY, comment_id=comment.id, event="thread")
    webhooks.emit("comment.created", page, author, comment=comment.id, thread=thread.id, section=anchor)
    jobs.commit()
    return thread


def reply(thread: DiscussionThread, author: User, body: str) -> DiscussionComment:
    """A reply to a thread (its status stays: a resolved thread is reopened explicitly); the
    thread's participants and @mentioned users are told by a job."""
    _may_write(thread.page, author)
    comment = _add_comment(thread, author, body)
    _bump(thread.page)
    jobs.enqueue(NOTIFY, comment_id=comment.id, event="reply")
    webhooks.emit("comment.created", thread.page, author, comment=comment.id, thread=thread.id, section=thread.anchor)
    jobs.commit()
    return comment


def edit_comment(comment: DiscussionComment, user: User, body: str) -> bool:
    """The author's new text for their comment; the text it replaces is kept as a version.
    False (and nothing saved) when the text is the same."""
    if comment.author_id != user.id:
        raise Refused("Only its author may edit a comment.")
    if comment.hidden and user.role != "admin":
        raise Refused("An administrator hid this comment; it cannot be edited.")
    _may_write(comment.thread.page, user)
    if body == comment.body:
        return False
    comment.edits += 1
    db.session.add(DiscussionCommentVersion(comment_id=comment.id, number=comment.edits, body=comment.body,
                                            html=comment.html, created_at=comment.edited_at or comment.created_at))
    comment.body, comment.html, comment.edited_at = body, render_comment(body).html, utcnow()
    discussion_index.index_comment(comment)
    _bump(comment.thread.page)
    jobs.commit()
    return True


def may_resolve(thread: DiscussionThread, user) -> bool:
    """The thread's author, and editors and admins, resolve and reopen threads."""
    return bool(user.is_authenticated and (user.id == thread.author_id or user.role in ("editor", "admin")))


def set_status(thread: DiscussionThread, user: User, resolved: bool) -> bool:
    """Resolve or reopen a thread; False when it already was."""
    if not may_resolve(thread, user):
        raise Refused("Only the thread's author, editors and administrators may resolve or reopen it.")
    _may_write(thread.page, user)
    status = "resolved" if resolved else "open"
    if thread.status == status:
        return False
    thread.status = status
    thread.resolved_by_id, thread.resolved_at = (user.id, utcnow()) if resolved else (None, None)
    _bump(thread.page)
    jobs.commit()
    return True


def set_hidden(comment: DiscussionComment, admin: User, hidden: bool, reason: str = "") -> bool:
    """An administrator hides (or shows again) a comment; the audit log records it."""
    if comment.hidden == hidden:
        return False
    comment.hidden = hidden
    comment.hidden_by_id, comment.hidden_at = (admin.id, utcnow()) if hidden else (None, None)
    page = comment.thread.page
    db.session.add(AuditEvent(actor=admin, action="hide_comment" if hidden else "show_comment",
                              target=f"{page.title} (comment {comment.id})"[:255], detail=reason[:500]))
    discussion_index.index_comment(comment)
    _bump(page)
    jobs.commit()
    return True


def set_locked(page: Page, admin: User, locked: bool) -> bool:
    """An administrator locks (or unlocks) a page's discussion; the audit log records it."""
    _bump(page)
    state = db.session.get(DiscussionState, page.id)
    if state.locked == locked:
        db.session.rollback()
        return False
    state.locked = locked
    state.locked_by_id, state.locked_at = (admin.id, utcnow()) if locked else (None, None)
    db.session.add(AuditEvent(actor=admin, action="lock_discussion" if locked else "unlock_discussion",
                              target=page.title[:255]))
    jobs.commit()
    return True


# --- Reading --------------------------------------------------------------------------------

def find_thread(page: Page, thread_id: int) -> DiscussionThread:
    thread = db.session.get(DiscussionThread, thread_id)
    if thread is None or thread.page_id != page.id:
        raise NotFound("This page has no such discussion thread.")
    return thread


def find_comment(page: Page, comment_id: int) -> DiscussionComment:
    comment = db.session.scalar(
        select(DiscussionComment).join(DiscussionThread).options(joinedload(DiscussionComment.thread))
        .where(DiscussionComment.id == comment_id, DiscussionThread.page_id == page.id))
    if comment is None:
        raise NotFound("This page's discussion has no such comment.")
    return comment


def versions(comment: DiscussionComment) -> list[DiscussionCommentVersion]:
    """The earlier texts of a comment, oldest first."""
    return list(db.session.scalars(select(DiscussionCommentVersion).where(
        DiscussionCommentVersion.comment_id == comment.id).order_by(DiscussionCommentVersion.number)))


@dataclass
class ThreadView:
    """A thread as the discussion page shows it: its comments and where its section is now."""

    thread: DiscussionThread
    comments: list[DiscussionComment] = field(default_factory=list)
    anchoring: core.Anchoring = core.PAGE

    @property
    def visible_comments(self) -> int:
        return sum(1 for c in self.comments if not c.hidden)


@dataclass(frozen=True)
class Discussion:
    threads: list[ThreadView]  # open threads first, then resolved; newest activity first
    locked: bool
    version: int

    @property
    def open_count(self) -> int:
        return sum(1 for t in self.threads if t.thread.status == "open")


def discussion(page: Page) -> Discussion:
    """Every thread of the page with its comments and authors, in three queries whatever
    their number (threads, comments, state), and each section located in the current revision."""
    threads = list(db.session.scalars(
        select(DiscussionThread).options(joinedload(DiscussionThread.author), joinedload(DiscussionThread.resolved_by))
        .where(DiscussionThread.page_id == page.id)
        .order_by((DiscussionThread.status == "resolved"), DiscussionThread.updated_at.desc(),
                  DiscussionThread.id.desc())))
    views = {t.id: ThreadView(t) for t in threads}
    if views:
        comments = db.session.scalars(
            select(DiscussionComment).options(joinedload(DiscussionComment.author))
            .join(DiscussionThread).where(DiscussionThread.page_id == page.id)
            .order_by(DiscussionComment.thread_id, DiscussionComment.id))
        for comment in comments:
            views[comment.thread_id].comments.append(comment)
        _locate(page, list(views.values()))
    state = state_of(page)
    return Discussion(list(views.values()), bool(state and state.locked), state.version if state else 0)


def _locate(page: Page, views: list[ThreadView]) -> None:
    revision = page.current_revision
    if not any(v.thread.anchor for v in views):
        return
    sections, headings = sections_of(revision), parse_headings(revision.headings)
    for view in views:
        t = view.thread
        view.anchoring = core.locate(t.anchor, t.section_text, t.section_hash, sections, headings)


@dataclass(frozen=True)
class Summary:
    """What the page view shows of its discussion: open threads, and comments per heading."""

    version: int
    open_threads: int
    counts: dict[str, int]  # heading id in the current revision -> visible comments


def version(page_id: int) -> int:
    """The page's discussion version (part of the page view's validator)."""
    return db.session.scalar(select(DiscussionState.version).where(DiscussionState.page_id == page_id)) or 0


def summary(page: Page, known_version: int | None = None) -> Summary:
    """Open threads and comment counts per section for the page view: one query (two without
    ``known_version``), plus locating sections only for threads whose heading id is not in
    the current revision."""
    rows = db.session.execute(
        select(DiscussionThread.id, DiscussionThread.anchor, DiscussionThread.status,
               DiscussionThread.section_text, DiscussionThread.section_hash,
               func.count(DiscussionComment.id))
        .outerjoin(DiscussionComment, (DiscussionComment.thread_id == DiscussionThread.id)
                   & DiscussionComment.hidden.is_(False))
        .where(DiscussionThread.page_id == page.id)
        .group_by(DiscussionThread.id)).all()
    open_threads = sum(1 for row in rows if row.status == "open")
    counts: dict[str, int] = {}
    revision = page.current_revision
    headings = parse_headings(revision.headings) if rows else {}
    sections = None
    for row in rows:
        anchor = row.anchor
        if anchor is None:
            continue
        if anchor not in headings:  # renamed or gone: look for it by its text
            sections = sections if sections is not None else sections_of(revision)
            anchor = core.locate(anchor, row.section_text, row.section_hash, sections, headings).anchor
        if anchor is not None:
            counts[anchor] = counts.get(anchor, 0) + row[5]
    return Summary(version(page.id) if known_version is None else known_version, open_threads, counts)


def open_count(page: Page) -> int:
    return db.session.scalar(select(func.count()).select_from(DiscussionThread).where(
        DiscussionThread.page_id == page.id, DiscussionThread.status == "open")) or 0
