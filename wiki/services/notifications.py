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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from wiki.core import notices
from wiki.core.mail import InvalidMailSetting, Link, Mail, MailServer, build_message, parse_mail_url
from wiki.extensions import db
from wiki.models import Job, Notification, Page, ScheduledRun, User, UserPreferences, Watch, utcnow
from wiki.services import jobs, mail, preferences, tokens, watching

NOTIFY = "notify_watchers"
MAIL_PAGE = "mail_page"
MAIL_FLUSH = "mail_flush"
MAIL_DIGEST = "mail_digest"
MAIL_VERIFY = "mail_verify"
MAIL_RESET = "mail_reset"
OPTIONS_KEY = "notifications"
PER_PAGE = 50


@dataclass(frozen=True)
class NotifySettings:
    """What the notification jobs need from the configuration (passed in: services read no config)."""

    secret_key: str
    site_name: str = "Nexus"
    base_url: str | None = None  # absolute links in mail: PUBLIC_URL
    server: MailServer | None = None  # None: mail is off
    sender: str = "nexus@localhost"
    batch_minutes: float = 15
    digest_hour: int = 7

    @property
    def mail_on(self) -> bool:
        return self.server is not None and self.base_url is not None


def settings_from(config: Mapping) -> NotifySettings:
    """NotifySettings from the app's configuration; raises InvalidMailSetting for a MAIL_URL
    that cannot work (the app then refuses to start, saying why)."""
    url = config.get("MAIL_URL")
    server = None
    base = config.get("PUBLIC_URL")
    if not base and config.get("SERVER_NAME"):
        base = f"{config.get('PREFERRED_URL_SCHEME') or 'http'}://{config['SERVER_NAME']}"
    if url:
        server = parse_mail_url(url, username=config.get("MAIL_USERNAME"), password=config.get("MAIL_PASSWORD"),
                                starttls=config.get("MAIL_STARTTLS"), timeout=float(config.get("MAIL_TIMEOUT", 10)))
        if not base:
            raise InvalidMailSetting("MAIL_URL is set but PUBLIC_URL is not: links in mail must name the wiki's "
                                     "address (e.g. NEXUS_PUBLIC_URL=https://wiki.example.org).")
        if not config.get("MAIL_FROM"):
            raise InvalidMailSetting("MAIL_URL is set but MAIL_FROM is not: mail needs a sender address.")
    return NotifySettings(
        secret_key=str(config["SECRET_KEY"]), site_name=config.get("SITE_NAME", "Nexus"),
        base_url=base.rstrip("/") if base else None, server=server,
        sender=config.get("MAIL_FROM") or "nexus@localhost",
        batch_minutes=float(config.get("MAIL_BATCH_MINUTES", 15)), digest_hour=int(config.get("MAIL_DIGEST_HOUR", 7)),
    )


def _options(settings: jobs.Settings) -> NotifySettings:
    found = settings.options.get(OPTIONS_KEY)
    if found is None:
        raise RuntimeError("the job queue was started without notification settings")
    return found


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
    """Mail the verification link for ``email`` (a job, after the caller's commit)."""
    jobs.enqueue(MAIL_VERIFY, user_id=user_id, email=email)


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
    options = _options(settings)
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


# --- Mail jobs -------------------------------------------------------------------------

def _url(options: NotifySettings, path: str) -> str:
    return f"{options.base_url}{path}"


def _event(item: Notification) -> notices.Event:
    return notices.Event(item.kind, item.title, item.actor.username if item.actor else None, item.summary, item.number)


def _unsubscribe_url(options: NotifySettings, user_id: int) -> str:
    token = tokens.make(options.secret_key, notices.UNSUBSCRIBE, notices.unsubscribe_payload(user_id))
    return _url(options, f"/-/unsubscribe/{token}")


def _footer(options: NotifySettings) -> str:
    return (f"You get this mail because you watch pages on {options.site_name}. Choose how often mail comes: "
            f"{_url(options, '/-/notifications/preferences')}")


def _due(user_id: int, page_id: int | None = None) -> list[Notification]:
    query = (select(Notification).options(joinedload(Notification.actor))
             .where(Notification.user_id == user_id, Notification.mail == "due").order_by(Notification.id))
    if page_id is not None:
        query = query.where(Notification.page_id == page_id)
    return list(db.session.scalars(query))


def _mark(items: list[Notification], state: str) -> None:
    now = utcnow()
    for item in items:
        item.mail, item.mailed_at = state, now if state == "sent" else None


def _recipient(user_id: int, options: NotifySettings) -> tuple[User | None, UserPreferences | None, str | None]:
    user = db.session.get(User, user_id)
    prefs = db.session.get(UserPreferences, user_id)
    address = prefs.email if prefs is not None and prefs.email_verified_at is not None else None
    if user is None or not user.active or not options.mail_on or address is None:
        return user, prefs, None
    return user, prefs, address


def page_mail(items: list[Notification], to: str, user_id: int, options: NotifySettings) -> Mail:
    """The mail about one page's notifications (oldest first)."""
    events = [_event(item) for item in items]
    last = items[-1]
    links = []
    numbers = [item.number for item in items if item.number is not None and item.kind in ("edit", "mention")]
    if numbers:
        links.append(Link("See the changes", _url(options, notices.diff_path(last.title, min(numbers), max(numbers)))))
    links.append(Link("Open the page", _url(options, notices.page_path(last.title))))
    links.append(Link("Your notifications", _url(options, "/-/notifications")))
    return Mail(to=to, subject=notices.subject(events, options.site_name),
                paragraphs=tuple(notices.describe(event) + "." for event in events), links=tuple(links),
                unsubscribe_url=_unsubscribe_url(options, user_id), footer=_footer(options))


def digest_mail(items: list[Notification], to: str, user_id: int, options: NotifySettings) -> Mail:
    """The daily digest: one section per page, the page changed last first."""
    grouped = notices.group_by_page([(item.page_id, _event(item)) for item in items])
    paragraphs, links = [], []
    for title, events in grouped:
        paragraphs.append(f"“{title}”: " + "; ".join(notices.describe(event) for event in events) + ".")
        numbers = [e.number for e in events if e.number is not None and e.kind in ("edit", "mention")]
        path = notices.diff_path(title, min(numbers), max(numbers)) if numbers else notices.page_path(title)
        links.append(Link(title, _url(options, path)))
    count = len(items)
    return Mail(to=to, subject=f"[{options.site_name}] Your daily digest: {count} change{'s' if count != 1 else ''} "
                               f"to {len(grouped)} page{'s' if len(grouped) != 1 else ''}",
                paragraphs=tuple(paragraphs), links=tuple(links),
                unsubscribe_url=_unsubscribe_url(options, user_id), footer=_footer(options))


def _send(options: NotifySettings, content: Mail) -> None:
    mail.send(options.server, build_message(content, options.sender, options.site_name, utcnow()))


@jobs.handler(MAIL_PAGE)
def _mail_page(job: Job, settings: jobs.Settings) -> None:
    options = _options(settings)
    data = jobs.payload(job)
    items = _due(data["user_id"], data["page_id"])
    if not items:
        return  # mailed already, with an earlier change's mail
    user, prefs, address = _recipient(data["user_id"], options)
    if prefs is not None and prefs.mail == "daily" and address:
        return  # changed to the digest meanwhile: it takes these
    if address is None or prefs is None or prefs.mail != "immediate":
        _mark(items, "no")
        return
    _send(options, page_mail(items, address, user.id, options))
    _mark(items, "sent")


def _ready_pairs(now: datetime, options: NotifySettings):
    """(user id, page id) with mail due for "immediate" users whose window is over."""
    sent = aliased(Notification)
    recent = exists().where(sent.user_id == Notification.user_id, sent.page_id == Notification.page_id,
                            sent.mail == "sent", sent.mailed_at > now - timedelta(minutes=options.batch_minutes))
    return (select(Notification.user_id, Notification.page_id)
            .join(UserPreferences, UserPreferences.user_id == Notification.user_id)
            .where(Notification.mail == "due", UserPreferences.mail == "immediate", Notification.page_id.is_not(None),
                   ~recent)
            .distinct())


@jobs.handler(MAIL_FLUSH)
def _mail_flush(job: Job, settings: jobs.Settings) -> None:
    """Queue the mail of every change that batching held back, once its window is over."""
    options = _options(settings)
    data = jobs.payload(job)
    now = datetime.fromisoformat(data["at"]) if data.get("at") else utcnow()  # the tick's time
    for user_id, page_id in db.session.execute(_ready_pairs(now, options)).all():
        jobs.enqueue(MAIL_PAGE, user_id=user_id, page_id=page_id)


@jobs.handler(MAIL_DIGEST)
def _mail_digest(job: Job, settings: jobs.Settings) -> None:
    """One mail per "daily" user with changes due, in batches of users (resumable)."""
    options = _options(settings)
    while True:
        user_ids = list(db.session.scalars(
            select(Notification.user_id).join(UserPreferences, UserPreferences.user_id == Notification.user_id)
            .where(Notification.mail == "due", UserPreferences.mail == "daily", Notification.user_id > job.cursor)
            .distinct().order_by(Notification.user_id).limit(settings.batch)))
        if not user_ids:
            return
        for user_id in user_ids:
            items = _due(user_id)
            user, prefs, address = _recipient(user_id, options)
            if address is None:
                _mark(items, "no")
            elif items:
                _send(options, digest_mail(items, address, user_id, options))
                _mark(items, "sent")
            jobs.extend(job, settings, cursor=user_id, done=1)
            db.session.commit()  # each user's digest is recorded once sent


@jobs.handler(MAIL_VERIFY)
def _mail_verify(job: Job, settings: jobs.Settings) -> None:
    options = _options(settings)
    data = jobs.payload(job)
    prefs = db.session.get(UserPreferences, data["user_id"])
    user = db.session.get(User, data["user_id"])
    if not options.mail_on or user is None or prefs is None or prefs.email != data["email"] \
            or prefs.email_verified_at is not None:
        return  # changed or verified since: this link would be stale
    token = tokens.make(options.secret_key, notices.VERIFY_EMAIL, notices.verify_payload(user.id, prefs.email))
    hours = notices.VERIFY_EMAIL.max_age // 3600
    _send(options, Mail(
        to=prefs.email, subject=f"[{options.site_name}] Confirm your mail address",
        paragraphs=(f"Hello {user.username},",
                    f"please confirm that {prefs.email} is your address on {options.site_name} by opening the link "
                    f"below within {hours} hours. Until then, no notification mail goes there.",
                    "If you did not ask for this, ignore this mail: the address will not be used."),
        links=(Link("Confirm your address", _url(options, f"/-/account/verify/{token}")),),
    ))


@jobs.handler(MAIL_RESET)
def _mail_reset(job: Job, settings: jobs.Settings) -> None:
    options = _options(settings)
    user, _prefs, address = _recipient(jobs.payload(job)["user_id"], options)
    if address is None:
        return
    token = tokens.make(options.secret_key, notices.RESET_PASSWORD, notices.reset_payload(user.id, user.password_hash))
    minutes = notices.RESET_PASSWORD.max_age // 60
    _send(options, Mail(
        to=address, subject=f"[{options.site_name}] Choose a new password",
        paragraphs=(f"Hello {user.username},",
                    f"someone (hopefully you) asked to reset the password of your account on {options.site_name}. "
                    f"The link below lets you choose a new one. It works once, within {minutes} minutes, and "
                    "logs out every browser where your account is logged in.",
                    "If you did not ask for this, ignore this mail: your password stays as it is."),
        links=(Link("Choose a new password", _url(options, f"/-/reset/{token}")),),
    ))


# --- Periodic work: the sweeper's tick --------------------------------------------------

def _claim_slot(name: str, slot: str) -> bool:
    """True for the one caller that records (name, slot) first."""
    try:
        with db.session.begin_nested():
            db.session.add(ScheduledRun(name=name, slot=slot))
    except IntegrityError:
        return False
    return True


def tick(options: NotifySettings, now: datetime | None = None) -> list[str]:
    """Queue the periodic mail jobs that are due (run by every worker's sweeper; a slot is
    queued by one worker only). Returns the kinds queued."""
    now = now or utcnow()
    queued = []
    if not options.mail_on:
        return queued
    if db.session.scalar(select(exists(_ready_pairs(now, options).subquery().select()))) \
            and _claim_slot(MAIL_FLUSH, now.strftime("%Y-%m-%dT%H:%M")):
        jobs.enqueue(MAIL_FLUSH, at=now.isoformat())
        queued.append(MAIL_FLUSH)
    slot = notices.digest_slot(now, options.digest_hour)
    if slot is not None and _claim_slot(MAIL_DIGEST, slot):
        jobs.enqueue(MAIL_DIGEST, slot=slot)
        queued.append(MAIL_DIGEST)
    db.session.execute(delete(ScheduledRun).where(ScheduledRun.created_at < now - timedelta(days=3)))
    jobs.commit()
    return queued


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
    if item.kind in ("edit", "mention") and item.number:
        return notices.diff_path(title, item.number, item.number)
    return notices.page_path(title)

