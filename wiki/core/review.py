"""Review dates as values: intervals, owners, the section syntax, and when a review is due.

A page names its review in front matter (wiki.core.frontmatter)::

    ---
    owner: ann
    review: 90 days
    ---

A section names its own in an HTML comment on the line right under its heading (blank lines
between are allowed); the comment is never shown, since the sanitizer drops comments::

    ## Installing
    <!-- review: 6 months, owner: bob -->

Both keys are optional in either place, but an owner without an interval schedules nothing.
An interval is a positive whole number and a unit: ``days`` (``d``), ``weeks`` (``w``),
``months`` (``m``, counted as 30 days) or ``years`` (``y``, 365 days), singular or plural,
with or without a space: ``90 days``, ``12 weeks``, ``6 months``, ``90d``. At most
MAX_DAYS (five years): a longer one is surely a typo. Whether the owner exists is for the
service to say; here an owner is only checked to be a plausible username.

The clock: a review is due ``interval`` after the page (or the section's review line) first
appeared, or after its last "Mark verified". An ordinary edit does not count as a review:
a typo fix is not a check that the content is still right.

Pure: standard library only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from wiki.core.frontmatter import parse_front_matter

MAX_DAYS = 5 * 365
UNITS = {"day": 1, "days": 1, "d": 1, "week": 7, "weeks": 7, "w": 7,
         "month": 30, "months": 30, "m": 30, "year": 365, "years": 365, "y": 365}
_INTERVAL = re.compile(r"([+-]?\d{1,12})\s*([A-Za-z]+)")
_OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
# A heading line (ATX): "## Title" (setext headings are rare in wikis and not supported here).
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")
_SECTION_LINE = re.compile(r"^ {0,3}<!--\s*(review\s*:.*?|owner\s*:.*?)\s*-->\s*$", re.IGNORECASE)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
MAX_SECTIONS = 200  # a page naming more section reviews keeps the first ones


class InvalidReview(ValueError):
    """A review setting that cannot be used; ``str(error)`` says why, for the editor."""


@dataclass(frozen=True)
class ReviewSetting:
    """One page's or section's review: every ``days`` days, owned by ``owner`` (a username or
    None). ``anchor``/``heading``: the section's heading id and text (None for the page)."""

    days: int
    owner: str | None = None
    anchor: str | None = None
    heading: str = ""


@dataclass(frozen=True)
class ReviewSettings:
    """What a source asks for: the page's review (or None), its sections', and the problems
    found (each a sentence; a setting with a problem is left out)."""

    page: ReviewSetting | None = None
    sections: tuple[ReviewSetting, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def owners(self) -> set[str]:
        """Every owner named, casefolded."""
        found = {self.page.owner} if self.page and self.page.owner else set()
        return {name.casefold() for name in found | {s.owner for s in self.sections if s.owner}}

    @property
    def empty(self) -> bool:
        return self.page is None and not self.sections and not self.problems


def parse_interval(text: str) -> int:
    """Days in an interval such as "90 days", "12 weeks", "6 months", "90d". Raises InvalidReview."""
    value = " ".join((text or "").split())
    match = _INTERVAL.fullmatch(value)
    if match is None:
        raise InvalidReview(f"“{value[:40]}” is not a review interval: write a number and a unit, "
                            "e.g. “90 days”, “12 weeks”, “6 months” or “90d”.")
    number, unit = int(match.group(1)), match.group(2).lower()
    if unit not in UNITS:
        raise InvalidReview(f"“{match.group(2)[:20]}” is not a unit of a review interval: use days, weeks, "
                            "months or years (or d, w, m, y).")
    if number <= 0:
        raise InvalidReview(f"A review interval must be at least one day; “{value}” is not.")
    days = number * UNITS[unit]
    if days > MAX_DAYS:
        raise InvalidReview(f"A review interval is at most five years ({MAX_DAYS} days); “{value}” is longer.")
    return days


def parse_owner(text: str) -> str:
    """A username as written; raises InvalidReview for something no username can be."""
    value = (text or "").strip().lstrip("@")
    if not _OWNER.fullmatch(value):
        raise InvalidReview(f"“{value[:40]}” is not a username, so it cannot own a review.")
    return value


def _setting(review: str | None, owner: str | None, where: str, anchor=None, heading="") -> ReviewSetting | None:
    if not review:
        if owner:
            parse_owner(owner)  # a bad name is still worth saying
        return None
    try:
        days = parse_interval(review)
        name = parse_owner(owner) if owner else None
    except InvalidReview as error:
        raise InvalidReview(f"{where}: {error}") from None
    return ReviewSetting(days, name, anchor, heading)


def _section_fields(body: str) -> dict[str, str]:
    """``review: 90 days, owner: ann`` -> {"review": "90 days", "owner": "ann"}."""
    fields = {}
    for part in body.split(","):
        key, _, value = part.partition(":")
        key = key.strip().lower()
        if key:
            fields[key] = value.strip()
    return fields


def parse_review(source: str, slugify=None) -> ReviewSettings:
    """The review settings of a page's ``source``. ``slugify(text)`` gives a heading's id (the
    renderer's, passed in); without it sections are keyed by their text casefolded."""
    slug = slugify or (lambda text: text.casefold())
    problems: list[str] = []
    front = parse_front_matter(source)
    page = None
    try:
        page = _setting(front.get("review") or None, front.get("owner") or None, "Front matter")
    except InvalidReview as error:
        problems.append(str(error))
    sections: list[ReviewSetting] = []
    seen: dict[str, int] = {}
    heading = None  # the last heading, until a line other than a blank one follows it
    fence = None
    for line in source.splitlines()[front.lines:]:
        if (opened := _FENCE.match(line)) is not None:
            marker = opened.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            heading = None
            continue
        if fence is not None:
            continue
        if (found := _HEADING.match(line)) is not None:
            text = re.sub(r"[*_`]+", "", found.group(2)).strip()  # **bold** and `code` read as their text
            base = slug(text)
            count = seen.get(base, 0)
            seen[base] = count + 1
            heading = (base if count == 0 else f"{base}-{count + 1}", text)  # as the renderer: x, x-2, x-3
            continue
        if not line.strip():
            continue
        if heading is not None and (comment := _SECTION_LINE.match(line)) is not None:
            fields = _section_fields(comment.group(1))
            unknown = sorted(set(fields) - {"review", "owner"})
            where = f"Section “{heading[1][:60]}”"
            if unknown:
                problems.append(f"{where}: “{unknown[0][:20]}” is not a review setting (use review and owner).")
            else:
                try:
                    setting = _setting(fields.get("review"), fields.get("owner"), where, *heading)
                except InvalidReview as error:
                    problems.append(str(error))
                else:
                    if setting is not None and len(sections) < MAX_SECTIONS:
                        sections.append(setting)
        heading = None
    return ReviewSettings(page, tuple(sections), tuple(problems))


# --- When a review is due ----------------------------------------------------------------

def due_at(start: datetime, verified: datetime | None, days: int) -> datetime:
    """When the review falls due: ``days`` after the last verification, else after ``start``."""
    return (verified or start) + timedelta(days=days)


def overdue_days(due: datetime, now: datetime) -> int:
    """Whole days since ``due`` (0 on the day it fell due); negative: not due yet."""
    if now < due:
        return -1
    return (now - due).days


def is_due(due: datetime | None, now: datetime) -> bool:
    return due is not None and due <= now


def view_state(version: int, first_due: datetime | None, now: datetime) -> str:
    """The part of a page view's validator that review dates add: the settings' version and,
    once something is due, how many days overdue it is (the banner says "for N days"). It
    changes when the page falls due and once a day after, never on a page not due."""
    if first_due is None or now < first_due:
        return f"r{version}"
    return f"r{version}:{overdue_days(first_due, now)}"


def days_phrase(days: int) -> str:
    """"today", "1 day", "12 days"."""
    if days <= 0:
        return "today"
    return f"{days} day" + ("s" if days != 1 else "")


def interval_phrase(days: int) -> str:
    """90 -> "90 days", 30 -> "30 days", 14 -> "2 weeks", 180 -> "6 months", 365 -> "1 year"."""
    for size, unit, least in ((365, "year", 1), (30, "month", 2), (7, "week", 1)):
        if days % size == 0 and days // size >= least and not (unit == "week" and days >= 30):
            count = days // size
            return f"{count} {unit}" + ("s" if count != 1 else "")
    return f"{days} day" + ("s" if days != 1 else "")


def parse_owner_filter(text: str) -> str:
    """The owner filter of /-/review: "" (everyone) or a username; raises InvalidReview."""
    value = (text or "").strip()
    return parse_owner(value) if value else ""
