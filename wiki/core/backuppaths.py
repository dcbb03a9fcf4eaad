"""Learning-path progress in the export format (issue 20): ``paths.json`` beside the manifest,
present when any learner marked a step done, follows a path or made their progress public.
The paths themselves are in the pages' sources. Records and a validating reader in the manner
of wiki.core.backupformat (whose checks it reuses); docs/backup.md describes it.

    {"progress": [{"user": "alice", "path": "paths/backend-foundations",
                   "page": "concepts/docker", "section": "", "done_at": "2026-12-01T…+00:00"}],
     "follows": [{"user": "alice", "path": "paths/backend-foundations", "followed_at": "…"}],
     "public": ["alice"]}

Pages are named by title (titles are unique in an export), users by username.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from wiki.core.backupformat import InvalidExport, _expect, _load_json, _time
from wiki.core.titles import InvalidTitle, canonical_key

PATHS_FILE = "paths.json"


@dataclass(frozen=True)
class ProgressRecord:
    user: str
    path: str  # the path page's title
    page: str  # the step page's title
    section: str
    done_at: datetime


@dataclass(frozen=True)
class FollowRecord:
    user: str
    path: str
    followed_at: datetime


@dataclass(frozen=True)
class PathsRecord:
    progress: tuple[ProgressRecord, ...] = ()
    follows: tuple[FollowRecord, ...] = ()
    public: tuple[str, ...] = ()  # usernames whose progress shows on their profile

    @property
    def empty(self) -> bool:
        return not (self.progress or self.follows or self.public)


def paths_document(record: PathsRecord, format_time) -> dict:
    """The JSON value of ``paths.json``."""
    return {
        "progress": [{"user": p.user, "path": p.path, "page": p.page, "section": p.section,
                      "done_at": format_time(p.done_at)} for p in record.progress],
        "follows": [{"user": f.user, "path": f.path, "followed_at": format_time(f.followed_at)}
                    for f in record.follows],
        "public": list(record.public),
    }


def read_paths(root: Path, usernames: set[str], titles: set[str]) -> PathsRecord | None:
    """``paths.json`` of the export at ``root`` checked against its users (casefolded names)
    and pages (title keys); None if it has none. Raises InvalidExport naming the problem."""
    path = Path(root) / PATHS_FILE
    if not path.exists():
        return None
    data = _load_json(path, PATHS_FILE)
    _expect(isinstance(data, dict), PATHS_FILE, "is not a JSON object")

    def user(value: Any, at: str) -> str:
        _expect(isinstance(value, str) and value.strip().casefold() in usernames, at,
                f"user {value!r} is not among the export's users")
        return value

    def page(value: Any, at: str, name: str) -> str:
        try:
            known = isinstance(value, str) and canonical_key(value) in titles
        except InvalidTitle:
            known = False
        _expect(known, at, f"{name} {value!r} is not among the export's pages")
        return value

    def entries(name: str) -> list:
        value = data.get(name, [])
        _expect(isinstance(value, list), PATHS_FILE, f"'{name}' must be a list")
        return value

    progress, seen = [], set()
    for index, entry in enumerate(entries("progress")):
        at = f"{PATHS_FILE}: progress[{index}]"
        _expect(isinstance(entry, dict), at, "must be an object")
        section = entry.get("section", "")
        _expect(isinstance(section, str) and len(section) <= 255, at, "'section' must be a string of at most 255 characters")
        record = ProgressRecord(user(entry.get("user"), at), page(entry.get("path"), at, "path"),
                                page(entry.get("page"), at, "page"), section, _time(entry, "done_at", at))
        key = (record.user.casefold(), canonical_key(record.path), canonical_key(record.page), section)
        _expect(key not in seen, at, "is listed twice")
        seen.add(key)
        progress.append(record)
    follows, seen = [], set()
    for index, entry in enumerate(entries("follows")):
        at = f"{PATHS_FILE}: follows[{index}]"
        _expect(isinstance(entry, dict), at, "must be an object")
        record = FollowRecord(user(entry.get("user"), at), page(entry.get("path"), at, "path"),
                              _time(entry, "followed_at", at))
        key = (record.user.casefold(), canonical_key(record.path))
        _expect(key not in seen, at, "is listed twice")
        seen.add(key)
        follows.append(record)
    public = tuple(user(name, f"{PATHS_FILE}: public[{index}]") for index, name in enumerate(entries("public")))
    return PathsRecord(tuple(progress), tuple(follows), public)


__all__ = ["PATHS_FILE", "FollowRecord", "InvalidExport", "PathsRecord", "ProgressRecord", "paths_document",
           "read_paths"]
