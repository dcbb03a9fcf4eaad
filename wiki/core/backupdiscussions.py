"""A page's discussion in the export format (issue 16): ``pages/<folder>/discussion.json``,
present only for pages with threads or a locked discussion. Records and a validating reader,
in the manner of wiki.core.backupformat (whose checks it reuses); docs/backup.md describes it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wiki.core.backupformat import MANIFEST, InvalidExport, _expect, _time

THREAD_STATUSES = ("open", "resolved")


@dataclass(frozen=True)
class CommentVersionRecord:
    """An earlier text of an edited comment."""

    body: str
    created_at: datetime


@dataclass(frozen=True)
class CommentRecord:
    author: str | None
    created_at: datetime
    edited_at: datetime | None
    hidden: bool
    body: str
    versions: tuple[CommentVersionRecord, ...]  # oldest first


@dataclass(frozen=True)
class ThreadRecord:
    anchor: str | None  # heading id; None: about the whole page
    heading: str
    section_text: str
    section_hash: str
    revision: int  # the page revision the thread started at
    status: str
    author: str | None
    created_at: datetime
    resolved_by: str | None
    resolved_at: datetime | None
    comments: tuple[CommentRecord, ...]


@dataclass(frozen=True)
class DiscussionRecord:
    locked: bool
    threads: tuple[ThreadRecord, ...]



def _user_ref(value: Any, at: str, name: str, known_users: set[str]) -> str | None:
    _expect(value is None or isinstance(value, str), at, f"'{name}' must be a username or null")
    if value is not None and value.strip().casefold() not in known_users:
        raise InvalidExport(f"{at}: {name} {value!r} is not one of the users in {MANIFEST}.")
    return value


def _optional_time(data: dict, name: str, where: str) -> datetime | None:
    return None if data.get(name) is None else _time(data, name, where)


def _text(data: dict, name: str, at: str, limit: int | None = None, empty: bool = True) -> str:
    value = data.get(name, "")
    _expect(isinstance(value, str) and (empty or value.strip()) and (limit is None or len(value) <= limit)
            and "\x00" not in value, at, f"'{name}' must be a{'' if empty else ' non-empty'} string"
            + (f" of at most {limit} characters" if limit else "") + " without NUL")
    return value


def read_discussion(where: str, data: Any, known_users: set[str], revisions: int) -> DiscussionRecord:
    """A page's discussion.json: threads with their comments and edit history (issue 16)."""
    _expect(isinstance(data, dict), where, "is not a JSON object")
    locked = data.get("locked", False)
    _expect(isinstance(locked, bool), where, "'locked' must be true or false")
    entries = data.get("threads")
    _expect(isinstance(entries, list), where, "needs a 'threads' list")
    threads = []
    for index, entry in enumerate(entries):
        at = f"{where}: threads[{index}]"
        _expect(isinstance(entry, dict), at, "must be an object")
        anchor = entry.get("anchor")
        _expect(anchor is None or (isinstance(anchor, str) and 0 < len(anchor) <= 255), at,
                "'anchor' must be a heading id of at most 255 characters, or null")
        digest = entry.get("section_sha256", "")
        _expect(isinstance(digest, str) and re.fullmatch(r"([0-9a-f]{64})?", digest) is not None, at,
                "'section_sha256' must be 64 lowercase hexadecimal digits or empty")
        number = entry.get("revision")
        _expect(isinstance(number, int) and not isinstance(number, bool) and 1 <= number <= revisions, at,
                f"'revision' {number!r} is not one of the page's revision numbers")
        status = entry.get("status", "open")
        _expect(status in THREAD_STATUSES, at, f"'status' must be one of {', '.join(THREAD_STATUSES)}")
        comments = [_comment(f"{at}.comments[{n}]", c, known_users) for n, c in enumerate(entry.get("comments") or [])]
        _expect(bool(comments), at, "needs a non-empty 'comments' list")
        threads.append(ThreadRecord(
            anchor, _text(entry, "heading", at, 255), _text(entry, "section_text", at), digest, number, status,
            _user_ref(entry.get("author"), at, "author", known_users), _time(entry, "created_at", at),
            _user_ref(entry.get("resolved_by"), at, "resolved_by", known_users),
            _optional_time(entry, "resolved_at", at), tuple(comments)))
    return DiscussionRecord(locked, tuple(threads))


def _comment(at: str, entry: Any, known_users: set[str]) -> CommentRecord:
    _expect(isinstance(entry, dict), at, "must be an object")
    hidden = entry.get("hidden", False)
    _expect(isinstance(hidden, bool), at, "'hidden' must be true or false")
    versions = entry.get("versions", [])
    _expect(isinstance(versions, list), at, "'versions' must be a list")
    earlier = []
    for n, version in enumerate(versions):
        where = f"{at}.versions[{n}]"
        _expect(isinstance(version, dict), where, "must be an object")
        earlier.append(CommentVersionRecord(_text(version, "body", where, empty=False),
                                            _time(version, "created_at", where)))
    return CommentRecord(_user_ref(entry.get("author"), at, "author", known_users), _time(entry, "created_at", at),
                         _optional_time(entry, "edited_at", at), hidden, _text(entry, "body", at, empty=False),
                         tuple(earlier))
