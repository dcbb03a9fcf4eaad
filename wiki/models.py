"""SQLAlchemy models. No behaviour beyond what the columns say: logic lives in services."""
import secrets
from datetime import datetime, timezone

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

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
    # Issue 19: the display title this source gives (wiki.core.markup.displaytitle), "" for none.
    display_title: Mapped[str] = mapped_column(String(255), default="", server_default="")
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


# --- Files and images (issue 14) ----------------------------------------------------------


class Blob(db.Model):
    """File contents, named by their SHA-256: stored once however many versions hold them.

    ``data`` is set when FILES_STORAGE is "database"; with "filesystem" the bytes live under
    instance/files/ and the row only records that they exist (wiki.services.blobstore)."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    data: Mapped[bytes | None] = mapped_column(db.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class File(db.Model):
    """A named file attached to a page; its contents are its versions."""

    __tablename__ = "files"
    __table_args__ = (UniqueConstraint("page_id", "name_key", name="uq_files_page_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))  # as first uploaded
    name_key: Mapped[str] = mapped_column(String(200))  # wiki.core.files.name_key
    deleted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    page: Mapped[Page] = relationship()


class FileVersion(db.Model):
    """One upload of a file: never changed, so its URL can be cached for good."""

    __tablename__ = "file_versions"
    __table_args__ = (
        UniqueConstraint("file_id", "number", name="uq_file_versions_file_number"),
        Index("ix_file_versions_uploader_id", "uploader_id"),  # quotas
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"))
    number: Mapped[int]
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    size: Mapped[int]
    media_type: Mapped[str] = mapped_column(String(100))
    width: Mapped[int | None]
    height: Mapped[int | None]
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    file: Mapped[File] = relationship()
    uploader: Mapped[User | None] = relationship()


class FileVariant(db.Model):
    """A resized image (?width=N), made once by a job and kept: source blob -> variant blob."""

    __tablename__ = "file_variants"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    width: Mapped[int] = mapped_column(primary_key=True)
    variant_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))


class FileLink(db.Model):
    """A page's current revision uses a file: embeds or links to it. "Used by", missing files,
    and the pages to render again when a file appears or goes come from here."""

    __tablename__ = "file_links"
    __table_args__ = (Index("ix_file_links_target", "target_key", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    target_key: Mapped[str] = mapped_column(String(255))  # the page holding the file; "" = the source page
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))


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
    # Issue 20: whether the profile (/-/user/<name>) shows this account's learning-path progress.
    paths_public: Mapped[bool] = mapped_column(default=False, server_default=false())


class Watch(db.Model):
    """A user watching one page (``page_id``) or every title starting with ``prefix`` (a
    title key, e.g. "concepts/")."""

    __tablename__ = "watches"
    __table_args__ = (
        UniqueConstraint("user_id", "page_id", name="uq_watches_user_page"),
        UniqueConstraint("user_id", "prefix", name="uq_watches_user_prefix"),
        Index("ix_watches_page_id", "page_id"),  # a page's watchers, for the fan-out
        Index("ix_watches_prefix", "prefix"),  # the prefix watches, for the same (migration 0021)
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
    __table_args__ = (Index("ix_page_events_created_at", "created_at"), Index("ix_page_events_page_id", "page_id"))

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
# --- Issue 17: the JSON API's personal access tokens, and webhooks ---


class ApiToken(db.Model):
    """A personal access token for the JSON API. Only a hash of the secret is stored: the
    token is shown once, when it is made. ``scope`` is "read" or "write"."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(8))
    # sha256 (hex) of the whole token; the secret itself is never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16))  # the token's first characters, to recognise it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: never expires
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class Webhook(db.Model):
    """An admin-made subscription: the events named in ``events`` (comma-separated) are POSTed
    to ``url``, signed with ``secret`` (HMAC-SHA256)."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebhookDelivery(db.Model):
    """One event sent (or being sent) to one webhook: the delivery log."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_webhook_id_id", "webhook_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)  # the JSON sent, byte for byte what was signed
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(default=0)
    status_code: Mapped[int | None] = mapped_column()
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    webhook: Mapped[Webhook] = relationship()


# --- Issue 19: display titles ------------------------------------------------------------------
# A page's display title is its current revision's (stored there, with the rendered HTML); read
# with the page in the same query, so lists of pages show it without loading revisions.
Page.display_title = column_property(
    db.select(Revision.display_title)
    .where(Revision.id == Page.current_revision_id)
    .correlate_except(Revision)
    .scalar_subquery()
)


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


# --- Issue 20: tags ------------------------------------------------------------------------------


class PageTag(db.Model):
    """One tag of a live page's current revision (its ``tags:`` front matter, normalised by
    wiki.core.tags), rewritten with each save in the save's transaction and dropped while the
    page is deleted. Keyed by the page's id, so a rename changes nothing; (tag, page_id) serves
    a tag's pages and the counts of /-/tags in tag order."""

    __tablename__ = "page_tags"
    __table_args__ = (Index("ix_page_tags_tag", "tag", "page_id"),)

    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)
# --- Issue 20: review dates (wiki.core.review, wiki.services.review) --------------------------


class PageReview(db.Model):
    """A page's review schedule, from its source (front matter ``review:``/``owner:``) and
    its sections' review lines, kept per page id so it follows renames. ``first_due_at`` is
    the earliest due date of the page and its sections: part of the page view's validator
    (with ``version``, bumped by every change), so a cached view shows the banner once due."""

    __tablename__ = "page_reviews"
    __table_args__ = (Index("ix_page_reviews_due_at", "due_at"), Index("ix_page_reviews_first_due_at", "first_due_at"))

    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True)
    interval_days: Mapped[int | None]  # None: no page-level review (only sections, or a problem)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # the clock's start
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notified_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the due date last told of
    problem: Mapped[str] = mapped_column(String(500), default="")  # settings that could not be used
    version: Mapped[int] = mapped_column(default=1)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])


class SectionReview(db.Model):
    """One section's review schedule (its heading id ``anchor``), like PageReview's."""

    __tablename__ = "section_reviews"
    __table_args__ = (UniqueConstraint("page_id", "anchor", name="uq_section_reviews_page_anchor"),
                      Index("ix_section_reviews_due_at", "due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    anchor: Mapped[str] = mapped_column(String(255))
    heading: Mapped[str] = mapped_column(String(255), default="")
    interval_days: Mapped[int]
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    notified_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])


# A "Mark verified" is a page event (kind "verify", shown in history and recent changes); for a
# section, its heading id (the heading's text goes in ``reason``). NULL for every other event.
PageEvent.anchor = db.Column("anchor", String(255), nullable=True)
# --- Issue 20: link health ----------------------------------------------------------------


class BrokenLink(db.Model):
    """A link of a page's current revision that its rendering found broken: to a missing page
    (``kind`` "page"), to a missing section of a live page ("section", with the closest
    heading as ``suggestion``), or to a missing file ("file": ``target_title`` is the page
    that should hold it, ``section`` the file's name). Written with the link table on every
    save and re-rendering (wiki.services.linkhealth), one row per line that shows the link:
    the list of broken links reads only this table, never a source."""

    __tablename__ = "broken_links"
    __table_args__ = (
        Index("ix_broken_links_source_page_id", "source_page_id"),
        Index("ix_broken_links_kind_source", "kind", "source_page_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # page, section, file
    target_title: Mapped[str] = mapped_column(String(255))
    section: Mapped[str | None] = mapped_column(String(255))  # the section, or the file's name
    line: Mapped[int | None]  # 1-based line of the source; None: no line shows it
    section_number: Mapped[int | None]  # the innermost section holding the line (pages.edit ?section=)
    suggestion: Mapped[str | None] = mapped_column(String(255))  # closest existing heading's text
    suggestion_anchor: Mapped[str | None] = mapped_column(String(255))  # and its id
# --- Issue 20: learning paths and their progress ---------------------------------------------


class LearningPath(db.Model):
    """A page that declares a path (wiki.core.markup.learningpaths), as of its current revision."""

    __tablename__ = "learning_paths"

    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True)
    steps: Mapped[int] = mapped_column(default=0)  # how many steps it has
    problems: Mapped[str] = mapped_column(Text, default="")  # what the parser reported, one a line
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PathStep(db.Model):
    """One step of a path, in order. ``target_page_id`` is the step's page (a redirect
    followed), kept through renames; None while no live page has the title (a red link)."""

    __tablename__ = "path_steps"
    __table_args__ = (
        UniqueConstraint("path_page_id", "position", name="uq_path_steps_position"),
        Index("ix_path_steps_target_key", "target_key"),
        Index("ix_path_steps_target_page_id", "target_page_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    path_page_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.page_id", ondelete="CASCADE"))
    position: Mapped[int]  # 1, 2, 3 ...
    target_title: Mapped[str] = mapped_column(String(255))  # as written, normalized
    target_key: Mapped[str] = mapped_column(String(255))
    section: Mapped[str] = mapped_column(String(255), default="")  # "" for the whole page
    label: Mapped[str] = mapped_column(String(255), default="")
    note: Mapped[str] = mapped_column(String(300), default="")
    target_page_id: Mapped[int | None] = mapped_column(ForeignKey("pages.id", ondelete="SET NULL"))


class PathProgress(db.Model):
    """A learner's done step: kept when the step leaves the path (shown as done earlier)."""

    __tablename__ = "path_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "path_page_id", "page_id", "section", name="uq_path_progress_step"),
        Index("ix_path_progress_path_page_id", "path_page_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    path_page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))  # the step's page
    section: Mapped[str] = mapped_column(String(255), default="")
    done_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PathFollow(db.Model):
    """The path a learner chose to follow, remembered for step pages that are in several."""

    __tablename__ = "path_follows"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    path_page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True)
    followed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
