"""Notification mail: the settings, the messages, and the jobs that send them.

``wiki.services.notifications`` decides who is told and queues ``mail_page`` jobs; the jobs
here send them (one mail each, so an SMTP failure retries one mail), mail what batching
held back (``mail_flush``), the daily digests (``mail_digest``), address verifications and
password resets. ``tick`` queues the periodic ones: every job worker runs it at each sweep
(wiki.jobqueue), and the ``scheduled_runs`` table lets one worker only queue each run.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from wiki.core import notices
from wiki.core.mail import InvalidMailSetting, Link, Mail, MailServer, build_message, parse_mail_url
from wiki.extensions import db
from wiki.models import Job, Notification, ScheduledRun, User, UserPreferences, utcnow
from wiki.services import jobs, mail, tokens

MAIL_PAGE = "mail_page"
MAIL_FLUSH = "mail_flush"
MAIL_DIGEST = "mail_digest"
MAIL_VERIFY = "mail_verify"
MAIL_RESET = "mail_reset"
OPTIONS_KEY = "notifications"
KEEP_READ_DAYS = 180  # read notifications older than this are deleted (the list would only grow)


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


def options_of(settings: jobs.Settings) -> NotifySettings:
    """The notification settings the queue layer put into the jobs' settings."""
    found = settings.options.get(OPTIONS_KEY)
    if found is None:
        raise RuntimeError("the job queue was started without notification settings")
    return found


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
    talk = [item for item in items if item.kind in notices.DISCUSSION_KINDS]  # issue 16
    if talk:
        links.append(Link("Open the discussion", _url(options, notices.discussion_path(last.title, talk[-1].number))))
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
    options = options_of(settings)
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
    options = options_of(settings)
    data = jobs.payload(job)
    now = datetime.fromisoformat(data["at"]) if data.get("at") else utcnow()  # the tick's time
    for user_id, page_id in db.session.execute(_ready_pairs(now, options)).all():
        jobs.enqueue(MAIL_PAGE, user_id=user_id, page_id=page_id)


@jobs.handler(MAIL_DIGEST)
def _mail_digest(job: Job, settings: jobs.Settings) -> None:
    """One mail per "daily" user with changes due, in batches of users (resumable)."""
    options = options_of(settings)
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
    options = options_of(settings)
    data = jobs.payload(job)
    prefs = db.session.get(UserPreferences, data["user_id"])
    user = db.session.get(User, data["user_id"])
    if not options.mail_on or user is None or prefs is None or prefs.email is None \
            or prefs.email_verified_at is not None:
        return  # removed or verified since: nothing to confirm
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
    options = options_of(settings)
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
    queued by one worker only), and once a day delete read notifications older than
    ``KEEP_READ_DAYS``. Returns the kinds of job queued."""
    now = now or utcnow()
    queued = []
    if _claim_slot("prune_notifications", now.date().isoformat()):  # once a day, by one worker
        db.session.execute(delete(Notification).where(Notification.read_at < now - timedelta(days=KEEP_READ_DAYS)))
    if not options.mail_on:
        jobs.commit()
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


# Issue 20: the weekly link-health digest (wiki.services.linkhealth) sends through these.
claim_slot = _claim_slot
page_url = _url
unsubscribe_url = _unsubscribe_url
footer = _footer
recipient = _recipient
send = _send
