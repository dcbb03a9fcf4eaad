"""The export format (``nexus-export`` version 1): names, JSON shapes, and a validating reader.

Pure (standard library and wiki.core.titles only): the service (wiki.services.backup) writes and
loads the database; this module says what an export looks like and checks one completely
before anything is written. docs/backup.md describes the format for people.

    DIR/nexus-export.json                      manifest: format, version, users, page list
    DIR/pages/000001-home/page.json            title, state, revisions' metadata
    DIR/pages/000001-home/revisions/000001.md  the exact source of revision 1 (UTF-8)
    DIR/pages/000001-home/discussion.json      its discussion, if it has one (issue 16)
    DIR/pages/000001-home/review.json          its review dates, if it has any (issue 20)
    DIR/paths.json                             learning-path progress, if any (issue 20)
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

from wiki.core.titles import InvalidTitle, canonical_key, normalize_title

FORMAT = "nexus-export"
VERSION = 1
MANIFEST = "nexus-export.json"
PAGE_FILE = "page.json"
DISCUSSION_FILE = "discussion.json"  # wiki.core.backupdiscussions
MAX_SUMMARY_LENGTH = 300
SLUG_LENGTH = 40


class InvalidExport(ValueError):
    """An export that cannot be imported; ``str(error)`` names the file and the problem."""


@dataclass(frozen=True)
class UserRecord:
    username: str
    role: str
    active: bool
    created_at: datetime
    password_hash: str | None  # None: exported without it
    email: str | None = None  # only in an export made with the addresses (--with-emails)
    email_verified: bool = False


@dataclass(frozen=True)
class RevisionRecord:
    number: int
    parent: int | None
    author: str | None  # username as listed in the manifest; None: no author
    created_at: datetime
    summary: str
    minor: bool
    path: Path  # the source file
    sha256: str


@dataclass(frozen=True)
class PageRecord:
    title: str
    created_at: datetime
    deleted: bool
    protection: str
    current: int  # number of the current revision
    revisions: tuple[RevisionRecord, ...]
    discussion: "DiscussionRecord | None" = None  # wiki.core.backupdiscussions
    review: "ReviewRecord | None" = None  # wiki.core.backupreview (issue 20)


@dataclass(frozen=True)
class Export:
    exported_at: datetime
    users: tuple[UserRecord, ...]
    pages: tuple[PageRecord, ...]
    paths: Any = None  # learning-path progress (wiki.core.backuppaths.PathsRecord), issue 20

    @property
    def revision_count(self) -> int:
        return sum(len(page.revisions) for page in self.pages)

    @property
    def thread_count(self) -> int:
        return sum(len(page.discussion.threads) for page in self.pages if page.discussion)

    @property
    def comment_count(self) -> int:
        return sum(len(t.comments) for page in self.pages if page.discussion for t in page.discussion.threads)


# --- Names and values --------------------------------------------------------------------------

def page_folder(page_id: int, title: str) -> str:
    """``pages/<id>-<slug>``: ASCII letters, digits and '-' only, so the name is the same on
    every filesystem (no case or Unicode-normalization clashes, no reserved characters);
    the id keeps it unique, the slug makes it readable."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:SLUG_LENGTH].strip("-")
    return f"pages/{page_id:06d}" + (f"-{slug}" if slug else "")


def revision_file(number: int) -> str:
    """``revisions/000001.md``: zero-padded so that a plain listing sorts by number."""
    return f"revisions/{number:06d}.md"


def format_time(value: datetime) -> str:
    """ISO 8601 in UTC with microseconds: ``2026-11-25T14:54:40.123456+00:00``."""
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dump_json(value: Any) -> bytes:
    """Stable, diff-friendly JSON: two-space indent, Unicode as is, a final newline."""
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# --- Reading and validating --------------------------------------------------------------------

def read_export(root: Path, roles: Iterable[str]) -> Export:
    """Read and check a whole export; raise InvalidExport naming the first problem.

    Every file is opened and every checksum verified here, so a caller that writes only
    after this returns writes nothing for a corrupted export.
    """
    root = Path(root)
    if not root.is_dir():
        raise InvalidExport(f"{root} is not a directory.")
    manifest = _load_json(root / MANIFEST, MANIFEST)
    where = MANIFEST
    _expect(isinstance(manifest, dict), where, "is not a JSON object")
    if manifest.get("format") != FORMAT:
        raise InvalidExport(f"{where}: format is {manifest.get('format')!r}, expected {FORMAT!r}; "
                            "this is not a Nexus export.")
    version = manifest.get("version")
    if version != VERSION:
        raise InvalidExport(f"{where}: format version {version!r} is not supported "
                            f"(this Nexus reads version {VERSION}).")
    exported_at = _time(manifest, "exported_at", where)
    users = _users(manifest.get("users"), set(roles))
    known = {user.username.strip().casefold() for user in users}
    entries = manifest.get("pages")
    _expect(isinstance(entries, list), where, "'pages' must be a list")
    pages, keys = [], {}
    for index, entry in enumerate(entries):
        at = f"{where}: pages[{index}]"
        _expect(isinstance(entry, dict), at, "must be an object")
        folder = _inside(root, entry.get("folder"), at + ".folder")
        page = _page(root, folder, known)
        if "title" in entry and entry["title"] != page.title:
            raise InvalidExport(f"{at}: title {entry['title']!r} differs from {page.title!r} in its page.json.")
        key = canonical_key(page.title)
        if key in keys:
            raise InvalidExport(f"{_rel(root, folder)}: title “{page.title}” is also the title of "
                                f"{keys[key]} (titles are unique ignoring letter case).")
        keys[key] = _rel(root, folder)
        pages.append(page)
    result = Export(exported_at, tuple(users), tuple(pages))
    counts = manifest.get("counts")
    if counts is not None:
        _expect(isinstance(counts, dict), where, "'counts' must be an object")
        found = {"users": len(users), "pages": len(pages), "revisions": result.revision_count,
                 "threads": result.thread_count, "comments": result.comment_count}
        for name, value in found.items():
            if name in counts and counts[name] != value:
                raise InvalidExport(f"{where}: counts.{name} is {counts[name]!r} but the export holds "
                                    f"{value}; files are missing.")
    return result


def read_source(revision: RevisionRecord, where: str | None = None) -> str:
    """The revision's source; InvalidExport if its file is missing, altered or not UTF-8."""
    where = where or str(revision.path)
    try:
        data = revision.path.read_bytes()
    except FileNotFoundError:
        raise InvalidExport(f"{where} is missing.") from None
    except OSError as error:
        raise InvalidExport(f"{where}: cannot be read ({error.strerror or error}).") from None
    if sha256_hex(data) != revision.sha256:
        raise InvalidExport(f"{where}: checksum mismatch (the file's sha256 is {sha256_hex(data)}, "
                            f"page.json says {revision.sha256}); the file was changed or damaged.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidExport(f"{where}: not valid UTF-8 (byte {error.start}).") from None


def _users(value: Any, roles: set[str]) -> list[UserRecord]:
    _expect(isinstance(value, list), MANIFEST, "'users' must be a list")
    users, seen = [], set()
    for index, entry in enumerate(value):
        at = f"{MANIFEST}: users[{index}]"
        _expect(isinstance(entry, dict), at, "must be an object")
        name = entry.get("username")
        _expect(isinstance(name, str) and 0 < len(name.strip()) <= 64, at, "needs a username (1 to 64 characters)")
        key = name.strip().casefold()  # as wiki.services.users.username_key
        _expect(key not in seen, at, f"username {name!r} is listed twice (usernames ignore letter case)")
        seen.add(key)
        role = entry.get("role")
        _expect(role in roles, at, f"role {role!r} is not one of {', '.join(sorted(roles))}")
        active = entry.get("active", True)
        _expect(isinstance(active, bool), at, "'active' must be true or false")
        password_hash = entry.get("password_hash")
        _expect(password_hash is None or (isinstance(password_hash, str) and 0 < len(password_hash) <= 255),
                at, "'password_hash' must be a string of at most 255 characters")
        email = entry.get("email")
        _expect(email is None or (isinstance(email, str) and 0 < len(email) <= 254 and "@" in email),
                at, "'email' must be a mail address of at most 254 characters")
        verified = entry.get("email_verified", False)
        _expect(isinstance(verified, bool), at, "'email_verified' must be true or false")
        users.append(UserRecord(name, role, active, _time(entry, "created_at", at), password_hash, email, verified))
    return users


def _page(root: Path, folder: Path, known_users: set[str]) -> PageRecord:
    where = _rel(root, folder / PAGE_FILE)
    data = _load_json(folder / PAGE_FILE, where)
    _expect(isinstance(data, dict), where, "is not a JSON object")
    title = data.get("title")
    _expect(isinstance(title, str), where, "needs a 'title'")
    try:
        _expect(normalize_title(title) == title, where, f"title {title!r} is not in its normal form "
                f"({normalize_title(title)!r})")
    except InvalidTitle as error:
        raise InvalidExport(f"{where}: title {title!r} is not valid: {error.message}") from None
    deleted = data.get("deleted", False)
    _expect(isinstance(deleted, bool), where, "'deleted' must be true or false")
    protection = data.get("protection", "none")
    _expect(isinstance(protection, str) and 0 < len(protection) <= 16, where, "'protection' must be a short string")
    entries = data.get("revisions")
    _expect(isinstance(entries, list) and entries, where, "needs a non-empty 'revisions' list")
    revisions = [_revision(root, folder, where, index, entry, known_users) for index, entry in enumerate(entries)]
    current = data.get("current_revision", len(revisions))
    _expect(isinstance(current, int) and not isinstance(current, bool) and 1 <= current <= len(revisions),
            where, f"'current_revision' {current!r} is not one of its revision numbers")
    discussion = None
    if (folder / DISCUSSION_FILE).exists():
        from wiki.core.backupdiscussions import read_discussion  # it builds on this module

        at = _rel(root, folder / DISCUSSION_FILE)
        discussion = read_discussion(at, _load_json(folder / DISCUSSION_FILE, at), known_users, len(revisions))
    review = None
    if (folder / "review.json").exists():
        from wiki.core.backupreview import REVIEW_FILE, read_review  # it builds on this module

        at = _rel(root, folder / REVIEW_FILE)
        review = read_review(at, _load_json(folder / REVIEW_FILE, at), known_users)
    return PageRecord(title, _time(data, "created_at", where), deleted, protection, current, tuple(revisions),
                      discussion, review)


def _revision(root, folder, where, index, entry, known_users) -> RevisionRecord:
    at = f"{where}: revisions[{index}]"
    _expect(isinstance(entry, dict), at, "must be an object")
    number = entry.get("number")
    _expect(number == index + 1 and not isinstance(number, bool), at,
            f"has number {number!r}; revisions are numbered 1, 2, 3 ... in order, without gaps")
    # Omitted: the previous revision, as for every ordinary edit; null must be said outright.
    parent = entry.get("parent", number - 1 if isinstance(number, int) and number > 1 else None)
    _expect(parent is None or (isinstance(parent, int) and not isinstance(parent, bool) and 1 <= parent < number),
            at, f"parent {parent!r} is not an earlier revision of this page")
    author = entry.get("author")
    _expect(author is None or isinstance(author, str), at, "'author' must be a username or null")
    if author is not None and author.strip().casefold() not in known_users:
        raise InvalidExport(f"{at}: author {author!r} is not one of the users in {MANIFEST}.")
    summary = entry.get("summary", "")
    _expect(isinstance(summary, str) and len(summary) <= MAX_SUMMARY_LENGTH, at,
            f"'summary' must be a string of at most {MAX_SUMMARY_LENGTH} characters")
    minor = entry.get("minor", False)
    _expect(isinstance(minor, bool), at, "'minor' must be true or false")
    checksum = entry.get("sha256")
    _expect(isinstance(checksum, str) and re.fullmatch(r"[0-9a-f]{64}", checksum) is not None, at,
            "'sha256' must be 64 lowercase hexadecimal digits")
    path = _inside(folder, entry.get("file"), at + ".file")
    record = RevisionRecord(number, parent, author, _time(entry, "created_at", at), summary, minor, path, checksum)
    read_source(record, _rel(root, path))
    return record


def _load_json(path: Path, where: str) -> Any:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidExport(f"{where} is missing.") from None
    except OSError as error:
        raise InvalidExport(f"{where}: cannot be read ({error.strerror or error}).") from None
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidExport(f"{where}: not valid UTF-8.") from None
    except json.JSONDecodeError as error:
        raise InvalidExport(f"{where}: not valid JSON ({error.msg} at line {error.lineno}, "
                            f"column {error.colno}).") from None


def _time(data: dict, name: str, where: str) -> datetime:
    value = data.get(name)
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InvalidExport(f"{where}: '{name}' must be an ISO 8601 time with a UTC offset "
                            f"(like 2026-01-31T09:30:00.000000+00:00), not {value!r}.")
    return parsed.astimezone(timezone.utc)


def _inside(base: Path, value: Any, where: str) -> Path:
    """``base/value`` for a relative '/'-separated path that stays inside ``base``."""
    _expect(isinstance(value, str) and value != "", where, "must be a relative path")
    pure = PurePosixPath(value)
    _expect(not pure.is_absolute() and ".." not in pure.parts and "\\" not in value and ":" not in value,
            where, f"{value!r} must be a relative path inside the export, without '..'")
    path = base.joinpath(*pure.parts)
    try:
        inside = path.resolve().is_relative_to(base.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        inside = False
    _expect(inside, where, f"{value!r} leads outside the export (a symbolic link?)")
    return path


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _expect(condition: bool, where: str, problem: str) -> None:
    if not condition:
        raise InvalidExport(f"{where}: {problem}.")
