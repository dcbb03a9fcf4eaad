"""Review dates (issue 20): the schedules a page's source asks for, "Mark verified", the list
of what is due, the banner's state, and the daily job telling owners and watchers.

The settings live in the source (wiki.core.review says the syntax); ``sync_page`` copies them
into ``page_reviews``/``section_reviews`` (keyed by page id and heading id) in the transaction
of every save, restore, import and ``flask rerender``, so a rename changes nothing. The dates
are state: ``started_at`` (when the setting first appeared: a new page's creation), the last
verification, and the due date computed from them. Only "Mark verified" resets the clock; an
ordinary edit does not.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from wiki.core import review as core
from wiki.core.markup import slugify_heading
from wiki.extensions import db
from wiki.models import AuditEvent, Job, Page, PageEvent, PageReview, ScheduledRun, SectionReview, User, utcnow
from wiki.services import availability, jobs, mailing, preferences, watching
from wiki.services.notifications import notify
from wiki.services.errors import InvalidInput, NotFound

REVIEW_DUE = "review_due"
NOTIFY_KIND = "review"
SOON_DAYS = 14  # "due soon" on /-/review: within this many days
PER_PAGE = 50
MAX_PAGE_NUMBER = 200  # /-/review pages beyond this are refused (the list is merged in memory)


def parse(source: str) -> core.ReviewSettings:
    """The review settings of ``source``, with heading ids as the renderer makes them."""
    return core.parse_review(source, slugify_heading)


def _owner_ids(names: set[str]) -> dict[str, int]:
    if not names:
        return {}
    return dict(db.session.execute(
        select(User.username_key, User.id).where(User.username_key.in_(names), User.active.is_(True))).all())


def problems_of(source: str) -> list[str]:
    """What is wrong with the review settings of ``source``: bad values and unknown owners."""
    settings = parse(source)
    found = list(settings.problems)
    known = _owner_ids(settings.owners)
    for name in sorted(settings.owners - known.keys()):
        found.append(f"There is no active user called “{name}” to own a review.")
    return found


def check_edit(body: str, previous: str | None) -> None:
    """Before a save: refuse review settings that cannot work (InvalidInput, nothing saved),
    when the edit changes them (an unrelated edit of a page whose owner left still saves)."""
    if previous is not None and parse(body) == parse(previous):
        return
    if (found := problems_of(body)):
        raise InvalidInput("Review settings: " + " ".join(found) + " Nothing was saved; fix them and save again.",
                           field="body")


def first_due(row: PageReview, sections: list[SectionReview]) -> datetime | None:
    dates = [s.due_at for s in sections] + ([row.due_at] if row.due_at is not None else [])
    return min(dates) if dates else None


def sync_page(page: Page, source: str, now: datetime | None = None) -> None:
    """Bring the page's schedules in line with ``source``, in the caller's transaction. A
    setting that cannot be used (bad value, unknown owner) schedules nothing and is kept as the
    row's ``problem`` (shown to editors on the page)."""
    now = now or utcnow()
    db.session.flush()  # a new page needs its id
    settings = parse(source)
    row = db.session.get(PageReview, page.id)
    if settings.empty:
        if row is not None:
            db.session.execute(delete(SectionReview).where(SectionReview.page_id == page.id))
            db.session.delete(row)
        return
    known = _owner_ids(settings.owners)
    problems = list(settings.problems) + [f"There is no active user called “{name}” to own a review."
                                          for name in sorted(settings.owners - known.keys())]

    def owner(setting):
        return known.get(setting.owner.casefold()) if setting.owner else None

    created = row is None
    if created:
        row = PageReview(page_id=page.id, started_at=now, version=1, problem="")
        db.session.add(row)
    before = (row.interval_days, row.owner_id, row.due_at, row.problem)
    setting = settings.page
    row.interval_days = setting.days if setting else None
    row.owner_id = owner(setting) if setting else None
    row.due_at = core.due_at(row.started_at, row.verified_at, setting.days) if setting else None
    row.problem = " ".join(problems)[:500]
    existing = {s.anchor: s for s in db.session.scalars(select(SectionReview).where(SectionReview.page_id == page.id))}
    kept, changed = [], False
    for wanted in settings.sections:
        section = existing.pop(wanted.anchor, None)
        if section is None:
            section = SectionReview(page_id=page.id, anchor=wanted.anchor[:255], started_at=now)
            db.session.add(section)
            changed = True
        new = (wanted.heading[:255], wanted.days, owner(wanted))
        if (section.heading, section.interval_days, section.owner_id) != new:
            section.heading, section.interval_days, section.owner_id = new
            changed = True
        section.due_at = core.due_at(section.started_at, section.verified_at, section.interval_days)
        kept.append(section)
    for gone in existing.values():
        db.session.delete(gone)
        changed = True
    row.first_due_at = first_due(row, kept)
    if not created and (changed or before != (row.interval_days, row.owner_id, row.due_at, row.problem)):
        row.version += 1


def verify(page: Page, actor: User, anchor: str | None = None, now: datetime | None = None) -> str:
    """"Mark verified": the page (and all its sections) or one section (``anchor``) was checked
    by ``actor`` at ``now``; the clock starts again. Recorded as a page event (history, recent
    changes) and in the audit log. Returns what was verified, for the answer."""
    now = now or utcnow()
    row = db.session.get(PageReview, page.id)
    sections = list(db.session.scalars(select(SectionReview).where(SectionReview.page_id == page.id)))
    if anchor:
        targets = [s for s in sections if s.anchor == anchor]
        if not targets:
            raise NotFound(f"“{page.title}” has no section “{anchor[:80]}” with a review date.")
        what = f"the section “{targets[0].heading}” of “{page.title}”"
    else:
        if row is None or (row.interval_days is None and not sections):
            raise InvalidInput(f"“{page.title}” has no review date to verify: add “review: 90 days” (and an "
                               "“owner:”) to its front matter first.")
        targets = sections
        what = f"“{page.title}”"
        row.verified_at, row.verified_by_id = now, actor.id
        if row.interval_days is not None:
            row.due_at = core.due_at(row.started_at, now, row.interval_days)
    for section in targets:
        section.verified_at, section.verified_by_id = now, actor.id
        section.due_at = core.due_at(section.started_at, now, section.interval_days)
    row.first_due_at = first_due(row, sections)
    row.version += 1
    heading = targets[0].heading if anchor else ""
    db.session.add(PageEvent(page_id=page.id, kind="verify", title=page.title, actor_id=actor.id,
                             reason=heading[:300], anchor=anchor[:255] if anchor else None, created_at=now))
    db.session.add(AuditEvent(actor_id=actor.id, action="page_verify", target=page.title[:255],
                              detail=f"section {anchor}"[:500] if anchor else "", created_at=now))
    availability.commit(f"the verification of {what}", keep_loaded=False)
    return what


# --- The page view -----------------------------------------------------------------------

@dataclass(frozen=True)
class DueSection:
    anchor: str
    heading: str
    due_at: datetime
    days: int  # overdue by


@dataclass(frozen=True)
class PageState:
    """What the page view shows about reviews (the banner), and its part of the validator."""

    key: str
    interval_days: int | None
    owner: str | None
    due_at: datetime | None
    overdue: int  # days; -1: not due
    verified_at: datetime | None
    verified_by: str | None
    sections: tuple[DueSection, ...]  # the due ones, most overdue first
    section_count: int
    problem: str

    @property
    def due(self) -> bool:
        return self.overdue >= 0


NO_REVIEW_KEY = "r0"


def page_state(page_id: int, now: datetime | None = None) -> PageState | None:
    """The page's review state (None: it has no review settings): two queries at most."""
    now = now or utcnow()
    row = db.session.scalar(select(PageReview).options(joinedload(PageReview.owner), joinedload(PageReview.verified_by))
                            .where(PageReview.page_id == page_id))
    if row is None:
        return None
    sections = list(db.session.scalars(select(SectionReview).where(SectionReview.page_id == page_id)
                                       .order_by(SectionReview.due_at))) if row.first_due_at is not None else []
    due = tuple(DueSection(s.anchor, s.heading, s.due_at, core.overdue_days(s.due_at, now))
                for s in sections if core.is_due(s.due_at, now))
    return PageState(
        key=core.view_state(row.version, row.first_due_at, now), interval_days=row.interval_days,
        owner=row.owner.username if row.owner else None, due_at=row.due_at,
        overdue=core.overdue_days(row.due_at, now) if row.due_at is not None else -1,
        verified_at=row.verified_at, verified_by=row.verified_by.username if row.verified_by else None,
        sections=due, section_count=len(sections), problem=row.problem)


def view_key(state: PageState | None) -> str:
    return state.key if state is not None else NO_REVIEW_KEY


# --- /-/review -------------------------------------------------------------------------

@dataclass(frozen=True)
class DueItem:
    page: Page
    anchor: str | None
    heading: str
    due_at: datetime
    owner: str | None
    verified_at: datetime | None
    interval_days: int

    def overdue(self, now: datetime) -> int:
        return core.overdue_days(self.due_at, now)


def owner_filter(name: str) -> User | None:
    """The user a /-/review owner filter names (None: no filter); InvalidInput otherwise."""
    try:
        value = core.parse_owner_filter(name)
    except core.InvalidReview as error:
        raise InvalidInput(str(error), field="owner") from None
    if not value:
        return None
    user = db.session.scalar(select(User).where(User.username_key == value.casefold()))
    if user is None:
        raise InvalidInput(f"There is no user called “{value}”.", field="owner")
    return user


def prefix_key(prefix: str) -> str:
    """A title prefix as a title-key prefix ('_' as space, any letter case)."""
    if len(prefix) > 255:
        raise InvalidInput("A title prefix has at most 255 characters.", field="prefix")
    if any(ord(ch) < 32 for ch in prefix):
        raise InvalidInput("A title prefix cannot contain control characters.", field="prefix")
    return " ".join(prefix.replace("_", " ").split(" ")).casefold().lstrip()


def due_items(now: datetime | None = None, owner: User | None = None, prefix: str = "", page_number: int = 1,
              per_page: int = PER_PAGE, soon: bool = False) -> tuple[list[DueItem], bool]:
    """Pages and sections due for review (with ``soon``: due within SOON_DAYS, not yet due),
    most overdue first, of one ``owner`` and under a title ``prefix``; and whether more follow.
    Two queries whatever the number of pages (each with its page and owner joined)."""
    now = now or utcnow()
    if not 1 <= page_number <= MAX_PAGE_NUMBER:
        raise InvalidInput(f"There are at most {MAX_PAGE_NUMBER} pages of this list; narrow it with a filter.",
                           field="page")
    key = prefix_key(prefix)
    upto = page_number * per_page + 1
    items: list[DueItem] = []
    for model in (PageReview, SectionReview):
        query = (select(model, Page, User.username).join(Page, Page.id == model.page_id)
                 .outerjoin(User, User.id == model.owner_id)
                 .where(Page.deleted.is_(False), model.due_at.is_not(None)))
        if soon:
            query = query.where(model.due_at > now, model.due_at <= now + timedelta(days=SOON_DAYS))
        else:
            query = query.where(model.due_at <= now)
        if owner is not None:
            query = query.where(model.owner_id == owner.id)
        if key:
            query = query.where(Page.title_key.startswith(key, autoescape=True))
        query = query.order_by(model.due_at, Page.title_key).limit(upto)
        for review, page, username in db.session.execute(query):
            section = model is SectionReview
            items.append(DueItem(page, review.anchor if section else None, review.heading if section else "",
                                 review.due_at, username, review.verified_at, review.interval_days))
    items.sort(key=lambda item: (item.due_at, item.page.title_key, item.anchor or ""))
    rows = items[(page_number - 1) * per_page:upto]
    return rows[:per_page], len(rows) > per_page


def due_count(now: datetime | None = None) -> int:
    """How many live pages have the page or a section due for review (the admin dashboard):
    one count on the ``first_due_at`` index."""
    now = now or utcnow()
    return db.session.scalar(select(func.count()).select_from(PageReview).join(Page, Page.id == PageReview.page_id)
                             .where(Page.deleted.is_(False), PageReview.first_due_at <= now)) or 0


def events(page_id: int, limit: int = 50) -> list[PageEvent]:
    """The page's events (verifications, deletions, restorations), newest first: its history
    shows them beside the revisions."""
    return list(db.session.scalars(
        select(PageEvent).options(joinedload(PageEvent.actor)).where(PageEvent.page_id == page_id)
        .order_by(PageEvent.created_at.desc(), PageEvent.id.desc()).limit(limit)))


# --- Telling people: the daily job -----------------------------------------------------------

def _unnotified(model, now: datetime):
    return (select(model).join(Page, Page.id == model.page_id)
            .where(Page.deleted.is_(False), model.due_at.is_not(None), model.due_at <= now,
                   or_(model.notified_due_at.is_(None), model.notified_due_at != model.due_at)))


def tick(now: datetime | None = None) -> list[str]:
    """Once a day (the first sweep of a UTC day at which something fell due unannounced), queue
    the ``review_due`` job; the ``scheduled_runs`` claim lets one worker only do it."""
    now = now or utcnow()
    pending = any(db.session.scalar(select(exists(_unnotified(model, now).subquery().select())))
                  for model in (PageReview, SectionReview))
    if not pending:
        db.session.rollback()
        return []
    try:
        with db.session.begin_nested():
            db.session.add(ScheduledRun(name=REVIEW_DUE, slot=now.date().isoformat()))
    except IntegrityError:
        db.session.rollback()
        return []
    jobs.enqueue(REVIEW_DUE, at=now.isoformat())
    jobs.commit()
    return [REVIEW_DUE]


def _recipients(page: Page, owner_id: int | None) -> list[int]:
    ids = list(db.session.scalars(watching.watchers_query(page)))
    if owner_id is not None and owner_id not in ids:
        active = db.session.scalar(select(User.active).where(User.id == owner_id))
        if active:
            ids.insert(0, owner_id)
    return ids


@jobs.handler(REVIEW_DUE)
def _review_due(job: Job, settings: jobs.Settings) -> None:
    """Tell the owner and the watchers of every page (and section) that fell due since it was
    last told of, once per due date: a row is marked with the due date it was told of, in the
    batch's transaction, so a rerun (or tomorrow's run) tells nobody twice."""
    options = settings.options.get(mailing.OPTIONS_KEY)
    now = datetime.fromisoformat(jobs.payload(job)["at"])
    for model in (PageReview, SectionReview):
        while batch := list(db.session.scalars(_unnotified(model, now).order_by(model.page_id)
                                               .limit(settings.batch))):
            for row in batch:
                page = db.session.get(Page, row.page_id)
                since = row.due_at.date().isoformat()
                summary = (f"the section “{row.heading}” is due for review since {since}"
                           if model is SectionReview else f"due for review since {since}")
                for user_id in _recipients(page, row.owner_id):
                    notify(user_id, NOTIFY_KIND, page.id, page.title, None, summary, settings=options,
                           prefs=preferences.of(user_id))
                row.notified_due_at = row.due_at
            jobs.extend(job, settings, cursor=batch[-1].page_id, done=len(batch))
            jobs.commit()
