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


# --- Issue 19: display titles ------------------------------------------------------------------
# A page's display title is its current revision's (stored there, with the rendered HTML); read
# with the page in the same query, so lists of pages show it without loading revisions.
Page.display_title = column_property(
    db.select(Revision.display_title)
    .where(Revision.id == Page.current_revision_id)
    .correlate_except(Revision)
    .scalar_subquery()
)
