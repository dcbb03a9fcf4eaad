"""Notifications as values: @mentions, what each event says, batching and digest decisions,
and the payloads of the signed links mailed to users (verification, reset, unsubscribe).

Pure logic: the services pass in rows as plain values and store what is decided here.
"""
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from wiki.core.titles import title_to_url_path

KINDS = ("edit", "mention", "rename", "delete", "restore")
# Issue 16: comments in a page's discussion; their ``number`` is the thread's id.
DISCUSSION_KINDS = ("thread", "reply", "comment-mention")
MAIL_CHOICES = ("immediate", "daily", "never")

# "@name" where name is a username (wiki.services.users.USERNAME_RE), not inside a word or a
# mail address ("bob@example.org" mentions nobody).
MENTION_RE = re.compile(r"(?<![\w.@])@([A-Za-z0-9][A-Za-z0-9_.-]{1,31})")
MAX_MENTIONS = 20  # a summary naming the whole wiki notifies twenty people, not everyone


def mentions(text: str) -> list[str]:
    """The usernames ``text`` mentions with @name, casefolded, in order, each once."""
    seen: list[str] = []
    for match in MENTION_RE.finditer(text or ""):
        name = match.group(1).rstrip(".-_").casefold()  # "@bob." at a sentence's end is bob
        if len(name) >= 2 and name not in seen:
            seen.append(name)
        if len(seen) == MAX_MENTIONS:
            break
    return seen


BROKEN_LINKS = "broken_links"  # issue 20: the weekly link-health notification (no page, no actor)


@dataclass(frozen=True)
class Event:
    """One notification as the mail and the list show it."""

    kind: str
    title: str
    actor: str | None  # username; None: anonymous or a deleted account
    summary: str = ""
    number: int | None = None  # the revision it is about


def describe(event: Event) -> str:
    """One sentence: "bob edited “Caching”: fixed a typo"."""
    who = event.actor or "Someone"
    title = f"“{event.title}”"
    text = {
        "edit": f"{who} edited {title}",
        "mention": f"{who} mentioned you in an edit of {title}",
        "rename": f"{who} renamed a page you watch to {title}",
        "delete": f"{who} deleted {title}",
        "restore": f"{who} restored {title}",
        "thread": f"{who} started a discussion of {title}",
        "reply": f"{who} replied in a discussion of {title}",
        "comment-mention": f"{who} mentioned you in the discussion of {title}",
        "review": f"{title} needs review",  # issue 20: no actor; the summary says since when
        BROKEN_LINKS: "Pages you own or watch have broken links",  # issue 20: the weekly digest
    }.get(event.kind, f"{who} changed {title}")
    if event.summary:
        label = "reason" if event.kind == "delete" else None
        text += f" ({label}: {event.summary})" if label else f": {event.summary}"
    return text


def subject(events: list[Event], site_name: str) -> str:
    """The subject of a mail about one page's ``events`` (oldest first)."""
    if len(events) == 1:
        return f"[{site_name}] {describe(Event(events[0].kind, events[0].title, events[0].actor))}"
    return f"[{site_name}] {len(events)} changes to “{events[-1].title}”"


def mail_now(last_sent: datetime | None, now: datetime, window_minutes: float) -> bool:
    """Batching: at most one mail per page per window. True when this user got no mail
    about this page within the last ``window_minutes``; else the change waits for the
    flush at the window's end (``flush_due``)."""
    return last_sent is None or now - last_sent >= timedelta(minutes=window_minutes)


def flush_due(last_sent: datetime | None, now: datetime, window_minutes: float) -> bool:
    """A change held back by batching is mailed once the window since the last mail is over."""
    return mail_now(last_sent, now, window_minutes)


def digest_slot(now: datetime, hour: int) -> str | None:
    """The day whose digest is due at ``now`` ("2026-12-01"), or None before ``hour`` UTC."""
    return now.date().isoformat() if now.hour >= hour else None


def group_by_page(events: list[tuple[int | None, Event]]) -> list[tuple[str, list[Event]]]:
    """Digest grouping: (page id, event) pairs, oldest first, become one entry per page,
    named by its newest title, the page changed last first."""
    groups: dict[object, list[Event]] = {}
    last: dict[object, int] = {}
    for index, (page_id, event) in enumerate(events):
        key = page_id if page_id is not None else ("title", event.title)
        groups.setdefault(key, []).append(event)
        last[key] = index
    return [(groups[key][-1].title, groups[key]) for key in sorted(groups, key=lambda key: -last[key])]


def page_path(title: str) -> str:
    """The page's URL path (the URL contract of docs/architecture.md)."""
    return "/wiki/" + quote(title_to_url_path(title), safe="/")


def diff_path(title: str, first: int, last: int) -> str:
    """The URL path showing revisions ``first`` to ``last`` of a page: the diff from the one
    before ``first``, or revision 1 itself when that is all there is."""
    if last <= 1:
        return f"{page_path(title)}/-/revisions/1"
    return f"{page_path(title)}/-/diff?from={max(first - 1, 1)}&to={last}"


def discussion_path(title: str, thread_id: int | None) -> str:
    """The URL path of a page's discussion, at one thread."""
    return f"{page_path(title)}/-/discussion" + (f"#thread-{thread_id}" if thread_id else "")


# --- Signed links: what each carries (signing is wiki.services.tokens, with itsdangerous) ---

@dataclass(frozen=True)
class Purpose:
    salt: str
    max_age: int | None  # seconds; None: does not expire


VERIFY_EMAIL = Purpose("nexus.verify-email", 2 * 24 * 3600)
RESET_PASSWORD = Purpose("nexus.reset-password", 3600)
UNSUBSCRIBE = Purpose("nexus.unsubscribe", None)  # mail must be stoppable from any old mail


def fingerprint(secret: str) -> str:
    """A short digest of a stored secret (a password hash): a reset link carries it, so the
    link stops working once the password has changed (single use) without being stored."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def verify_payload(user_id: int, email: str) -> dict:
    return {"u": user_id, "e": email}


def reset_payload(user_id: int, password_hash: str) -> dict:
    return {"u": user_id, "p": fingerprint(password_hash)}


def unsubscribe_payload(user_id: int) -> dict:
    return {"u": user_id}


def payload_user(payload) -> int | None:
    """The user id a link's payload names, or None for a payload of another shape."""
    if isinstance(payload, dict) and isinstance(payload.get("u"), int) and not isinstance(payload["u"], bool):
        return payload["u"]
    return None
