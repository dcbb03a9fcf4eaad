"""SQLAlchemy models. No behaviour beyond what the columns say: logic lives in services."""
import secrets
from datetime import datetime, timezone

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wiki.extensions import db

ROLES = ("reader", "editor", "admin")


def new_session_token() -> str:
    return secrets.token_hex(16)


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


class UTCDateTime(db.TypeDecorator):
    """Timestamps stored as UTC and always read back timezone-aware.

    SQLite has no time zones; without this, values read back naive on SQLite and aware on
    PostgreSQL, and comparisons between them fail.
    """

    impl = db.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use wiki.models.utcnow()")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    # casefolded username: uniqueness and lookup are case-insensitive
    username_key: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="editor")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the session's user id: changing it (new password) logs out every other session.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token, server_default="")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What the session remembers: id and session token (see wiki.web._load_user)."""
        return f"{self.id}:{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.username!r}>"


class Page(db.Model):
    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(255))  # display form, first spelling kept
    title_key: Mapped[str] = mapped_column(String(255), unique=True)  # wiki.core.titles.canonical_key
    current_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", use_alter=True)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    protection: Mapped[str] = mapped_column(String(16), default="none")
    deleted: Mapped[bool] = mapped_column(default=False)

    current_revision: Mapped["Revision | None"] = relationship(
        foreign_keys=[current_revision_id], viewonly=True
    )

    def __repr__(self) -> str:
        return f"<Page {self.title!r}>"


class Revision(db.Model):
    __tablename__ = "revisions"
    __table_args__ = (
        UniqueConstraint("page_id", "number", name="uq_revisions_page_number"),
        Index("ix_revisions_created_at", "created_at"),  # recent changes, newest first
        Index("ix_revisions_author_id", "author_id"),  # a user's contributions
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1, 2, 3 ... within the page
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    summary: Mapped[str] = mapped_column(String(300), default="")
    minor: Mapped[bool] = mapped_column(default=False, server_default=false())
    source: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)  # rendered and sanitized at save time
    toc: Mapped[str] = mapped_column(Text, default="")
    # "id<TAB>text" per heading, one a line: lets links to this page check their #section
    # and label themselves with the heading's text without rendering this page again.
    headings: Mapped[str] = mapped_column(Text, default="", server_default="")
    size: Mapped[int]  # bytes of UTF-8 source
    # size of the parent revision's source, kept so history lists need no self-join
    parent_size: Mapped[int] = mapped_column(default=0)

    page: Mapped[Page] = relationship(foreign_keys=[page_id])
    author: Mapped[User | None] = relationship()

    @property
    def size_change(self) -> int:
        return self.size - self.parent_size

    def __repr__(self) -> str:
        return f"<Revision {self.page_id}#{self.number}>"


class Link(db.Model):
    """A wiki link from a page's current revision to a title (and section)."""

    __tablename__ = "links"
    __table_args__ = (Index("ix_links_target_key", "target_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), index=True
    )
    target_title: Mapped[str] = mapped_column(String(255))  # as written, normalized
    target_key: Mapped[str] = mapped_column(String(255))  # wiki.core.titles.canonical_key
    section: Mapped[str | None] = mapped_column(String(255))


class Invitation(db.Model):
    """An admin-made registration link (registration mode "invite"): single use, expires."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the token; the token itself is shown once, to the admin who made it
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked: Mapped[bool] = mapped_column(default=False)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    used_by: Mapped[User | None] = relationship(foreign_keys=[used_by_id])


class AuditEvent(db.Model):
    """One administrative action: who did what to what, when. Never updated or deleted."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(255), default="")
    detail: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship()


class Job(db.Model):
    """Work a request caused beyond its own page (re-rendering linking pages, rewriting links),
    written in the request's transaction so it can never be lost, and run by the job queue.

    The row is the truth; the queue's message only says "run job N". A row is deleted when
    its job is done; a failed one is kept (state "failed") for an admin to retry.
    """

    __tablename__ = "jobs"
    # AUTOINCREMENT on SQLite: ids are never reused once the table empties, so an id in a log
    # or on the admin page names one job.
    __table_args__ = (Index("ix_jobs_state_updated_at", "state", "updated_at"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # JSON: ids and keys, never objects
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued, running, failed
    attempts: Mapped[int] = mapped_column(default=0)
    cursor: Mapped[int] = mapped_column(default=0)  # the last page id done: a rerun resumes after it
    done: Mapped[int] = mapped_column(default=0)  # pages handled so far
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Last change; for a job waiting to be retried, when its retry is due (the sweeper waits).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # While running: the worker holding it must finish or extend by then, or another takes it.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


# --- Issue 15: watching pages, notifications, mail -------------------------------------------


class UserPreferences(db.Model):
    """An account's mail address and notification choices; a missing row means the defaults
    (no address, mail "immediate", auto-watch on). Kept beside ``users`` so an address is
    never loaded where only the account is (page views, lists of authors)."""

    __tablename__ = "user_preferences"
    __table_args__ = (Index("ix_user_preferences_feed_token", "feed_token", unique=True),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))  # never shown to other users
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: not verified yet
    mail: Mapped[str] = mapped_column(String(16), default="immediate")  # immediate, daily, never
    auto_watch: Mapped[bool] = mapped_column(default=True)  # watch pages one creates or edits
    # sha256 of the private watchlist feed's key; None: no feed (revoked or never made)
    feed_token: Mapped[str | None] = mapped_column(String(64))
    watchlist_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # "mark all seen"


class Watch(db.Model):
    """A user watching one page (``page_id``) or every title starting with ``prefix`` (a
    title key, e.g. "concepts/")."""

    __tablename__ = "watches"
    __table_args__ = (
        UniqueConstraint("user_id", "page_id", name="uq_watches_user_page"),
        UniqueConstraint("user_id", "prefix", name="uq_watches_user_prefix"),
        Index("ix_watches_page_id", "page_id"),  # a page's watchers, for the fan-out
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    page_id: Mapped[int | None] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    prefix: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    page: Mapped[Page | None] = relationship()


class Notification(db.Model):
    """Something that happened that one user is told about: in the app (until read) and,
    per their preference, by mail (``mail``: "no", "due" or "sent")."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_read", "user_id", "read_at"),  # the header's unread count
        Index("ix_notifications_user_created", "user_id", "created_at"),  # the list, newest first
        Index("ix_notifications_mail_user", "mail", "user_id"),  # mail still to send
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # edit, mention, rename, delete, restore
    page_id: Mapped[int | None] = mapped_column(ForeignKey("pages.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(255))  # the page's title when it happened
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    number: Mapped[int | None]  # the revision it is about, if any
    summary: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    mail: Mapped[str] = mapped_column(String(8), default="no")
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    page: Mapped[Page | None] = relationship()


class PageEvent(db.Model):
    """A delete or restore of a page: who, when, why. Shown in recent changes beside the
    revisions (which a delete or restore does not make)."""

    __tablename__ = "page_events"
    __table_args__ = (Index("ix_page_events_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # delete, restore
    title: Mapped[str] = mapped_column(String(255))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship()


class ScheduledRun(db.Model):
    """A periodic job that was queued for one slot (e.g. the digest of 2026-12-01): the
    primary key lets exactly one of several workers queue it."""

    __tablename__ = "scheduled_runs"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    slot: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- Issue 16: discussions of pages and their sections ----------------------------------------


class DiscussionState(db.Model):
    """Per page: whether its discussion is locked, and a version bumped by every change to
    its threads, part of the page view's validator (the comment counts shown on the page
    change without a new revision). A missing row means unlocked, version 0."""

    __tablename__ = "discussion_states"

    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    locked: Mapped[bool] = mapped_column(default=False)
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DiscussionThread(db.Model):
    """A thread about a page (``anchor`` None) or one of its sections. The section is
    recorded as it was when the thread started: its heading id and text, its source text
    and the page revision, so later views can tell whether it changed or went away."""

    __tablename__ = "discussion_threads"
    __table_args__ = (Index("ix_discussion_threads_page_id", "page_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    anchor: Mapped[str | None] = mapped_column(String(255))  # the heading's id; None: the whole page
    heading: Mapped[str] = mapped_column(String(255), default="")  # its text then
    section_text: Mapped[str] = mapped_column(Text, default="")  # the section's source then
    section_hash: Mapped[str] = mapped_column(String(64), default="")  # sha256 of section_text
    revision_number: Mapped[int]  # the page's revision when the thread started
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, resolved
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # last comment

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    page: Mapped[Page] = relationship()


class DiscussionComment(db.Model):
    """One comment of a thread: its Markdown source and the sanitized HTML rendered from it
    (as a page's revision stores both). Hidden comments stay, shown to admins only."""

    __tablename__ = "discussion_comments"
    __table_args__ = (
        Index("ix_discussion_comments_thread_id", "thread_id", "id"),
        Index("ix_discussion_comments_author_id", "author_id", "created_at"),  # contributions
        Index("ix_discussion_comments_created_at", "created_at"),  # recent changes
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("discussion_threads.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    edits: Mapped[int] = mapped_column(default=0)  # how many earlier versions are kept
    hidden: Mapped[bool] = mapped_column(default=False)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    thread: Mapped[DiscussionThread] = relationship()


class DiscussionCommentVersion(db.Model):
    """An earlier text of an edited comment: each edit keeps the text it replaced."""

    __tablename__ = "discussion_comment_versions"
    __table_args__ = (UniqueConstraint("comment_id", "number", name="uq_discussion_comment_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("discussion_comments.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1 = the comment as first posted
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when this text was written
