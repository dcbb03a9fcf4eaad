"""A page's review dates in the export format (issue 20): ``pages/<folder>/review.json``,
present only for pages with a review schedule or a "Mark verified" event. The settings
themselves (interval, owner) live in the source and are not repeated; this file carries the
state a source cannot: when each clock started, and who verified what when. A reader that
validates, in the manner of wiki.core.backupformat (whose checks it reuses); docs/backup.md
describes it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wiki.core.backupformat import InvalidExport, _expect, _time
from wiki.core.backupdiscussions import _user_ref

REVIEW_FILE = "review.json"


@dataclass(frozen=True)
class SectionStartRecord:
    anchor: str
    started_at: datetime


@dataclass(frozen=True)
class VerificationRecord:
    by: str | None  # username as listed in the manifest
    at: datetime
    section: str | None  # heading id; None: the page and all its sections
    heading: str


@dataclass(frozen=True)
class ReviewRecord:
    started_at: datetime | None  # the page's clock (None: the page has no schedule row)
    sections: tuple[SectionStartRecord, ...]
    events: tuple[VerificationRecord, ...]  # oldest first


def _anchor(value: Any, at: str, name: str, optional: bool) -> str | None:
    _expect((optional and value is None) or (isinstance(value, str) and 0 < len(value) <= 255 and "\x00" not in value),
            at, f"'{name}' must be a heading id of at most 255 characters" + (", or null" if optional else ""))
    return value


def read_review(where: str, data: Any, known_users: set[str]) -> ReviewRecord:
    """A page's review.json."""
    _expect(isinstance(data, dict), where, "is not a JSON object")
    started = None if data.get("started_at") is None else _time(data, "started_at", where)
    sections, events = [], []
    entries = data.get("sections", [])
    _expect(isinstance(entries, list), where, "'sections' must be a list")
    for index, entry in enumerate(entries):
        at = f"{where}: sections[{index}]"
        _expect(isinstance(entry, dict), at, "must be an object")
        sections.append(SectionStartRecord(_anchor(entry.get("anchor"), at, "anchor", False),
                                           _time(entry, "started_at", at)))
    entries = data.get("events", [])
    _expect(isinstance(entries, list), where, "'events' must be a list")
    for index, entry in enumerate(entries):
        at = f"{where}: events[{index}]"
        _expect(isinstance(entry, dict), at, "must be an object")
        heading = entry.get("heading", "")
        _expect(isinstance(heading, str) and len(heading) <= 300 and "\x00" not in heading, at,
                "'heading' must be a string of at most 300 characters")
        events.append(VerificationRecord(_user_ref(entry.get("by"), at, "by", known_users), _time(entry, "at", at),
                                         _anchor(entry.get("section"), at, "section", True), heading))
    return ReviewRecord(started, tuple(sections), tuple(sorted(events, key=lambda e: e.at)))
