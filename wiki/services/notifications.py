"""Notifications: who is told what, in the app and by mail, all of it as jobs.

A change only *queues* one job (``queue_page_event``) in its own transaction, so a page
watched by 5,000 users saves as fast as any other. The job (``notify_watchers``) creates
a ``Notification`` per watcher and per @mentioned user, never for the actor, in batches
with a cursor (resumable like every fan-out), and decides per recipient what mail is due:

- mail off (no MAIL_URL), no verified address, or the preference "never": in the app only;
- "immediate": at most one mail per page per ``MAIL_BATCH_MINUTES``. The first change
  queues a ``mail_page`` job at once; later ones in the window wait ("due") and the
  ``mail_flush`` job mails them together when the window is over;
- "daily": the ``mail_digest`` job, queued once a day after ``MAIL_DIGEST_HOUR`` UTC,
  mails each such user one message grouped by page.

``tick`` (run by every job worker's sweeper, see wiki.jobqueue) queues the flush and the
digest; the ``scheduled_runs`` table lets one worker only queue each. Every mail is its own
job: an SMTP failure retries that mail (the queue's back-off), not the fan-out.

For other features (discussions): ``queue_page_event(page, kind, actor, ...)`` tells a
page's watchers (and the users @mentioned in ``mention_text``); ``notify(...)`` creates one
user's notification inside a job.
"""
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from wiki.core import notices
from wiki.extensions import db
from wiki.models import Job, Notification, Page, User, UserPreferences, Watch, utcnow
from wiki.services import jobs, mailing, preferences, watching
from wiki.services.mailing import MAIL_PAGE, MAIL_RESET, MAIL_VERIFY, OPTIONS_KEY, NotifySettings, settings_from

NOTIFY = "notify_watchers"
PER_PAGE = 50
__all__ = ["NOTIFY", "MAIL_RESET", "OPTIONS_KEY", "NotifySettings", "settings_from", "queue_page_event", "on_save",
           "notify", "unread_count", "listing", "open_notification", "mark_all_read", "target_path", "tick"]
tick = mailing.tick  # queues the periodic mail jobs (see wiki.services.mailing)


# --- Queueing: what a change does in its own transaction ---------------------------------

def queue_page_event(page: Page, kind: str, actor: User | None, summary: str = "", number: int | None = None,
                     mention_text: str = "") -> None:
    """Tell the watchers of ``page`` (and the users @mentioned in ``mention_text``) about
    ``kind``, by one job queued in the caller's transaction. No job when nobody but the
    actor watches it and nobody is mentioned (one EXISTS query): most saves queue nothing."""
    db.session.flush()  # a new page needs its id
    if not notices.mentions(mention_text) and not watching.watched_by_others(page, actor.id if actor else None):
        return
    jobs.enqueue(NOTIFY, event=kind, page_id=page.id, title=page.title, actor_id=actor.id if actor else None,
                 summary=summary[:500], number=number, mention_text=mention_text[:1000])


def on_save(page: Page, number: int, summary: str, author: User | None) -> None:
    """A saved revision, in the save's transaction: the author watches the page (their
    preference), and the watchers and anyone @mentioned in the summary are told by a job."""
    watching.auto_watch(author, page)
    queue_page_event(page, "edit", author, summary=summary, number=number, mention_text=summary)


def queue_verification(user_id: int, email: str) -> None:
    """Mail the verification link for the account's new address (a job, after the caller's
    commit). The job reads the address when it runs: no address is ever in a job's payload,
    which admins see on /-/admin/jobs."""
    jobs.enqueue(MAIL_VERIFY, user_id=user_id)


def queue_password_reset(user: User) -> None:
    """Mail a password-reset link to the account's verified address (a job)."""
    jobs.enqueue(MAIL_RESET, user_id=user.id)
    jobs.commit()


# --- The fan-out job -------------------------------------------------------------------

def notify(user_id: int, kind: str, page_id: int | None, title: str, actor_id: int | None, summary: str = "",
           number: int | None = None, settings: NotifySettings | None = None,
           prefs: UserPreferences | None = None, last_mailed: datetime | None = None) -> Notification:
    """One user's notification, in the caller's transaction (inside a job), with its mail
    decided: "no", or "due" (and, for "immediate" mail outside the batching window, a
    ``mail_page`` job queued)."""
    prefs = prefs if prefs is not None else preferences.of(user_id)
    item = Notification(user_id=user_id, kind=kind, page_id=page_id, title=title[:255], actor_id=actor_id,
                        summary=summary[:500], number=number, mail="no")
    wants = (settings is not None and settings.mail_on and prefs.email and prefs.email_verified_at is not None
             and prefs.mail in ("immediate", "daily"))
    if wants:
        item.mail = "due"
        if prefs.mail == "immediate" and page_id is not None and notices.mail_now(
                last_mailed, utcnow(), settings.batch_minutes):
            jobs.enqueue(MAIL_PAGE, user_id=user_id, page_id=page_id)
    db.session.add(item)
    return item


def _last_mailed(user_ids: list[int], page_id: int) -> dict[int, datetime]:
    rows = db.session.execute(
        select(Notification.user_id, func.max(Notification.mailed_at))
        .where(Notification.page_id == page_id, Notification.user_id.in_(user_ids), Notification.mail == "sent")
        .group_by(Notification.user_id)
    ).all()
    return {user_id: when for user_id, when in rows}


def _prefs_of(user_ids: list[int]) -> dict[int, UserPreferences]:
    found = {p.user_id: p for p in db.session.scalars(select(UserPreferences).where(UserPreferences.user_id.in_(user_ids)))}
    return {uid: found.get(uid) or UserPreferences(user_id=uid, mail="immediate", auto_watch=True) for uid in user_ids}


def _notify_all(user_ids: list[int], kind: str, page: Page, data: dict, options: NotifySettings) -> None:
    prefs, last = _prefs_of(user_ids), _last_mailed(user_ids, page.id)
    for user_id in user_ids:
        notify(user_id, kind, page.id, data.get("title") or page.title, data.get("actor_id"), data.get("summary", ""),
               data.get("number"), options, prefs[user_id], last.get(user_id))


@jobs.handler(NOTIFY)
def _notify_watchers(job: Job, settings: jobs.Settings) -> None:
    options = mailing.options_of(settings)
    data = jobs.payload(job)
    page = db.session.get(Page, data["page_id"])
    if page is None:
        return
    actor_id = data.get("actor_id")
    names = notices.mentions(data.get("mention_text", ""))
    mentioned = list(db.session.scalars(
        select(User.id).where(User.username_key.in_(names), User.active.is_(True), User.id != (actor_id or 0))
    )) if names else []
    if job.cursor == 0:  # first run: the mentions, then the watchers after cursor -1
        if mentioned:
            _notify_all(mentioned, "mention", page, data, options)
        jobs.extend(job, settings, cursor=-1, done=len(mentioned))
        jobs.commit()
    skip = set(mentioned) | ({actor_id} if actor_id else set())
    after = max(job.cursor, 0)
    while True:
        batch = list(db.session.scalars(
            watching.watchers_query(page).where(Watch.user_id > after).order_by(Watch.user_id)
            .limit(settings.batch)))
        if not batch:
            break
        after = batch[-1]
        recipients = [user_id for user_id in batch if user_id not in skip]
        if recipients:
            _notify_all(recipients, data["event"], page, data, options)
        jobs.extend(job, settings, cursor=after, done=len(recipients))
        jobs.commit()


# --- In the app ------------------------------------------------------------------------

def unread_count(user_id: int) -> int:
    """The header's count: one COUNT on the (user_id, read_at) index."""
    return db.session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None)))


def listing(user_id: int, page_number: int = 1, per_page: int = PER_PAGE) -> tuple[list[Notification], bool]:
    """One page of the user's notifications, newest first, and whether older ones follow."""
    rows = list(db.session.scalars(
        select(Notification).options(joinedload(Notification.actor), joinedload(Notification.page))
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(per_page + 1).offset((page_number - 1) * per_page)))
    return rows[:per_page], len(rows) > per_page


def open_notification(user_id: int, notification_id: int) -> Notification | None:
    """The user's own notification, marked read; None if it is not theirs or not there."""
    item = db.session.scalar(select(Notification).where(Notification.id == notification_id,
                                                        Notification.user_id == user_id))
    if item is None:
        return None
    if item.read_at is None:
        item.read_at = utcnow()
        db.session.commit()
    return item


def mark_all_read(user_id: int) -> int:
    count = db.session.execute(
        update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return count


def target_path(item: Notification) -> str:
    """Where opening a notification leads: the change's diff, or the page (under its
    current title when it was renamed since)."""
    title = item.page.title if item.page is not None and not item.page.deleted else item.title
    if item.kind == notices.BROKEN_LINKS:  # issue 20: the weekly digest, to the list
        return "/-/links/broken"
    if item.kind in notices.DISCUSSION_KINDS:  # issue 16: to the thread
        return notices.discussion_path(title, item.number)
    if item.kind in ("edit", "mention") and item.number:
        return notices.diff_path(title, item.number, item.number)
    return notices.page_path(title)

