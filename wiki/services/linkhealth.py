"""Link health (issue 20): the broken links of every page, kept in ``broken_links`` beside the
link table, listed a screen at a time, counted for the admin dashboard, and told to the
owners and watchers of the pages that have them in a weekly digest.

A link's state is what the renderer made of it (the resolver of wiki.services.rendering for
pages and sections, the files feature's FileResolver for files): the rows are written from
the rendering on every save and every re-rendering (a target created, deleted, renamed, its
headings or files changed: wiki.services.fanout), so the list needs no source and no render.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select

from wiki.core import linkhealth as rules
from wiki.core import notices
from wiki.core.files import FileRefused, check_name
from wiki.core.frontmatter import parse_front_matter
from wiki.core.mail import Link as MailLink, Mail
from wiki.core.markup import Rendered, slugify_heading
from wiki.core.titles import InvalidTitle, canonical_key, normalize_title
from wiki.extensions import db
from wiki.models import BrokenLink, Job, Notification, Page, Revision, User, Watch, utcnow
from wiki.services import jobs, mailing, notifications, preferences
from wiki.services.filerefs import FileResolver
from wiki.services.links import title_key_prefix
from wiki.services.rendering import Resolver

PAGES_PER_SCREEN = 50  # pages (each with its broken links) on one screen of /-/links/broken
SHOWN_PER_PAGE = 100  # broken links shown under one page; the rest are counted
MAX_SCREEN = 10_000  # highest ?page= accepted
LINK_DIGEST = "link_digest"
DIGEST_WEEKDAY = 0  # Monday, at the daily digest's hour (DIGEST_HOUR)
DIGEST_PAGES = 50  # pages named in one digest mail; the list has the rest


# --- Writing: from a rendering ---------------------------------------------------------------

def broken_rows(page: Page, source: str, rendered: Rendered, resolver: Resolver) -> list[dict]:
    """The BrokenLink rows (insert parameters) of a page whose current source ``source`` was
    rendered as ``rendered`` through ``resolver`` (its cache answers, no new render)."""
    rows: list[dict] = []
    seen = set()
    for link in rendered.links:
        if not link.target:
            continue  # [[#Section]] on the page itself
        try:
            title, key = normalize_title(link.target), canonical_key(link.target)
        except InvalidTitle:
            title, key = link.target.strip()[:255], None
        section = link.section[:255] if link.section else None
        once = ("page", key or title, slugify_heading(section) if section else None)  # as the renderer compares
        if once in seen:
            continue
        seen.add(once)
        state = resolver(link.target, link.section)
        if not state.exists:
            kind, suggestion = "page", None
        elif section and not state.section_exists:
            kind, suggestion = "section", rules.closest_heading(section, resolver.headings_of(key))
        else:
            continue
        lines = rules.page_link_lines(source, key, section) if key else []
        rows += _located(page, source, lines, kind, title, section, suggestion)
    files = resolver.files
    for ref in rendered.files if files is not None else ():
        try:
            name = check_name(ref.name)
        except FileRefused:
            name = ref.name
        owner = ref.page or page.title
        if ("file", owner, name.casefold()) in seen or files(ref.page, ref.name).exists:
            continue
        seen.add(("file", owner, name.casefold()))
        rows += _located(page, source, rules.file_link_lines(source, name), "file", owner[:255], name[:255], None)
    return rows


def _located(page: Page, source: str, lines: list[int], kind: str, title: str, section: str | None,
             suggestion: tuple[str, str] | None) -> list[dict]:
    return [{"source_page_id": page.id, "kind": kind, "target_title": title, "section": section,
             "line": place.line, "section_number": place.section,
             "suggestion": suggestion[1][:255] if suggestion else None,
             "suggestion_anchor": suggestion[0][:255] if suggestion else None}
            for place in rules.locate(source, lines)]


def sync_broken(page: Page, source: str, rendered: Rendered) -> None:
    """Replace the page's broken links with those of its current revision, as rendered.
    A fresh resolver answers from the database as it is now, in a few queries."""
    db.session.execute(BrokenLink.__table__.delete().where(BrokenLink.source_page_id == page.id))
    if not rendered.links and not rendered.files:
        return
    resolver = Resolver()
    resolver.prefetch(source)
    resolver.files = FileResolver(page.title)  # the files feature decides what a missing file is
    rows = broken_rows(page, source, rendered, resolver)
    if rows:
        db.session.execute(BrokenLink.__table__.insert(), rows)


# --- Reading: the list, the count ------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    id: int
    kind: str
    target_title: str
    section: str | None
    line: int | None
    section_number: int | None
    suggestion: str | None
    suggestion_anchor: str | None


@dataclass
class PageGroup:
    page: Page
    count: int  # broken links of this page (with the filter)
    entries: list[Entry] = field(default_factory=list)  # at most SHOWN_PER_PAGE


@dataclass(frozen=True)
class Screen:
    groups: list[PageGroup]
    number: int
    has_next: bool
    pages: int  # pages with broken links (with the filter)
    links: int  # broken links (with the filter)


def _page_filters(prefix: str) -> list:
    conditions = [Page.deleted.is_(False)]
    key_prefix = title_key_prefix(prefix)
    if key_prefix:
        conditions += [Page.title_key >= key_prefix, Page.title_key.startswith(key_prefix, autoescape=True)]
    return conditions


def _filters(kind: str | None, prefix: str) -> list:
    return _page_filters(prefix) + ([BrokenLink.kind == kind] if kind else [])


def _entry(row: BrokenLink) -> Entry:
    return Entry(row.id, row.kind, row.target_title, row.section, row.line, row.section_number,
                 row.suggestion, row.suggestion_anchor)


def _per_page(kind: str | None):
    """(source page id, broken links) grouped from broken_links alone: the query starts from
    the few pages that have broken links, not from every page (a join from ``pages`` would
    walk all 100,000 of them)."""
    query = select(BrokenLink.source_page_id, func.count(BrokenLink.id).label("n"))
    if kind:
        query = query.where(BrokenLink.kind == kind)
    return query.group_by(BrokenLink.source_page_id).subquery()


def screen(kind: str | None = None, prefix: str = "", number: int = 1) -> Screen:
    """One screen of pages with broken links, by title, each with its broken links by line:
    three queries whatever the number of pages or links."""
    grouped = _per_page(kind)
    conditions = _page_filters(prefix)
    pages = db.session.execute(
        select(Page, grouped.c.n).join(grouped, grouped.c.source_page_id == Page.id)
        .where(*conditions).order_by(Page.title_key)
        .offset((number - 1) * PAGES_PER_SCREEN).limit(PAGES_PER_SCREEN + 1)).all()
    has_next = len(pages) > PAGES_PER_SCREEN
    groups = {page.id: PageGroup(page, n) for page, n in pages[:PAGES_PER_SCREEN]}
    if groups:
        query = select(BrokenLink).where(BrokenLink.source_page_id.in_(list(groups)))
        if kind:
            query = query.where(BrokenLink.kind == kind)
        for row in db.session.scalars(query.order_by(BrokenLink.source_page_id, BrokenLink.line, BrokenLink.id)):
            group = groups[row.source_page_id]
            if len(group.entries) < SHOWN_PER_PAGE:
                group.entries.append(_entry(row))
    totals = db.session.execute(
        select(func.count(), func.coalesce(func.sum(grouped.c.n), 0))
        .select_from(grouped).join(Page, Page.id == grouped.c.source_page_id).where(*conditions)).one()
    return Screen(list(groups.values()), number, has_next, totals[0], totals[1])


def count() -> int:
    """Broken links on live pages (the admin dashboard): one count over broken_links, each
    row's page looked up by its primary key."""
    live = select(Page.id).where(Page.id == BrokenLink.source_page_id, Page.deleted.is_(False)).exists()
    return db.session.scalar(select(func.count(BrokenLink.id)).where(live)) or 0


@dataclass(frozen=True)
class ApiItem:
    page: Page
    entry: Entry


def entries_after(kind: str | None, prefix: str, after: tuple[str, int] | None, limit: int) -> list[ApiItem]:
    """Broken links in (page title key, id) order after the position ``after``: the API's
    keyset pagination. ``limit + 1`` are asked for, so the caller knows whether more follow."""
    conditions = _filters(kind, prefix)
    if after is not None:
        key, last_id = after
        conditions.append(or_(Page.title_key > key, and_(Page.title_key == key, BrokenLink.id > last_id)))
    rows = db.session.execute(
        select(Page, BrokenLink).join(BrokenLink, BrokenLink.source_page_id == Page.id)
        .where(*conditions).order_by(Page.title_key, BrokenLink.id).limit(limit + 1)).all()
    return [ApiItem(page, _entry(row)) for page, row in rows]


# --- The weekly digest -----------------------------------------------------------------------

def digest_slot(now: datetime, hour: int) -> str | None:
    """The week whose digest is due at ``now`` (its Monday, "2026-11-30"): on Mondays from
    ``hour`` UTC, else None. (Claimed slots are pruned after three days, so the slot is only
    ever claimed on its Monday.)"""
    if now.weekday() != DIGEST_WEEKDAY or now.hour < hour:
        return None
    return now.date().isoformat()


def tick(options: mailing.NotifySettings, now: datetime | None = None) -> list[str]:
    """Queue this week's digest once (by one worker: the ``scheduled_runs`` claim), when mail
    is on and it is due. Run at every sweep, beside the mail's own tick."""
    now = now or utcnow()
    slot = digest_slot(now, options.digest_hour)
    if not options.mail_on or slot is None or not mailing.claim_slot(LINK_DIGEST, slot):
        return []
    jobs.enqueue(LINK_DIGEST, at=now.isoformat())
    jobs.commit()
    return [LINK_DIGEST]


def _recipients(after_page: int = 0, batch: int = 500) -> dict[int, list[tuple[str, int]]]:
    """{user id: [(title, broken links)]} for the owners (front matter ``owner:``, a username)
    and watchers (of the page or a prefix of it) of every live page with broken links. Pages
    are read a batch at a time: a query for their sources, one for their direct watchers."""
    prefix_watches = db.session.execute(
        select(Watch.user_id, Watch.prefix).join(User, User.id == Watch.user_id)
        .where(Watch.prefix.is_not(None), User.active.is_(True))).all()
    told: dict[int, list[tuple[str, int]]] = {}
    while True:
        pages = db.session.execute(
            select(Page.id, Page.title, Page.title_key, Revision.source, func.count(BrokenLink.id))
            .join(BrokenLink, BrokenLink.source_page_id == Page.id)
            .join(Revision, Revision.id == Page.current_revision_id)
            .where(Page.deleted.is_(False), Page.id > after_page)
            .group_by(Page.id, Page.title, Page.title_key, Revision.source).order_by(Page.id).limit(batch)).all()
        if not pages:
            return told
        after_page = pages[-1].id
        owners = {row.id: parse_front_matter(row.source).get("owner").casefold() for row in pages}
        wanted = {name for name in owners.values() if name}
        users = dict(db.session.execute(select(User.username_key, User.id).where(
            User.username_key.in_(wanted), User.active.is_(True))).all()) if wanted else {}
        watchers: dict[int, set[int]] = {}
        for page_id, user_id in db.session.execute(
                select(Watch.page_id, Watch.user_id).join(User, User.id == Watch.user_id)
                .where(Watch.page_id.in_([row.id for row in pages]), User.active.is_(True))).all():
            watchers.setdefault(page_id, set()).add(user_id)
        for row in pages:
            people = set(watchers.get(row.id, ()))
            people |= {user_id for user_id, prefix in prefix_watches if row.title_key.startswith(prefix)}
            if owners[row.id] in users:
                people.add(users[owners[row.id]])
            for user_id in people:
                told.setdefault(user_id, []).append((row.title, row[4]))


def digest_mail(pages: list[tuple[str, int]], to: str, user_id: int, options: mailing.NotifySettings) -> Mail:
    """The weekly mail: the pages one owns or watches that have broken links, most first."""
    pages = sorted(pages, key=lambda item: (-item[1], item[0].casefold()))
    total = sum(n for _title, n in pages)
    shown = pages[:DIGEST_PAGES]
    paragraphs = [f"{_plural(total, 'broken link')} on {_plural(len(pages), 'page')} you own or watch. "
                  "Each is listed with its line and a link to the editor at that section."]
    paragraphs += [f"“{title}”: {_plural(n, 'broken link')}." for title, n in shown]
    if len(pages) > len(shown):
        paragraphs.append(f"… and {_plural(len(pages) - len(shown), 'more page')}.")
    links = [MailLink("See every broken link", mailing.page_url(options, "/-/links/broken"))]
    links += [MailLink(title, mailing.page_url(options, notices.page_path(title))) for title, _n in shown]
    return Mail(to=to, subject=f"[{options.site_name}] Weekly link health: {_plural(total, 'broken link')}",
                paragraphs=tuple(paragraphs), links=tuple(links),
                unsubscribe_url=mailing.unsubscribe_url(options, user_id), footer=mailing.footer(options))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@jobs.handler(LINK_DIGEST)
def _link_digest(job: Job, settings: jobs.Settings) -> None:
    """One notification (and, per their choice, one mail) per recipient, in user-id order
    from the job's cursor, so a rerun resumes; a recipient told in the past six days is not
    told again (one digest per week, however the job was queued)."""
    options = mailing.options_of(settings)
    data = jobs.payload(job)
    now = datetime.fromisoformat(data["at"]) if data.get("at") else utcnow()
    told = _recipients()
    for user_id in sorted(uid for uid in told if uid > job.cursor):
        recent = db.session.scalar(select(Notification.id).where(
            Notification.user_id == user_id, Notification.kind == notices.BROKEN_LINKS,
            Notification.created_at > now - timedelta(days=6)).limit(1))
        if recent is None:
            pages = told[user_id]
            total = sum(n for _title, n in pages)
            item = notifications.notify(user_id, notices.BROKEN_LINKS, None, "Broken links", None,
                                        f"{_plural(total, 'broken link')} on {_plural(len(pages), 'page')}",
                                        settings=options, prefs=preferences.of(user_id))
            item.created_at = now
            if item.mail == "due":
                _user, _prefs, address = mailing.recipient(user_id, options)
                if address is not None:
                    mailing.send(options, digest_mail(pages, address, user_id, options))
                item.mail, item.mailed_at = ("sent", utcnow()) if address is not None else ("no", None)
        jobs.extend(job, settings, cursor=user_id, done=1)
        db.session.commit()

