"""Discussions as values: where a thread's section is in the page now, whether it changed,
comment bodies checked once, and the page view's comment counts placed beside headings.

Pure logic: the services pass in sources and recorded values and store what is decided here.
"""
from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from urllib.parse import unquote

from wiki.core.errors import InvalidInput
from wiki.core.markup.sections import Section, find_sections, section_text

STATUSES = ("open", "resolved")


def normalized(text: str) -> str:
    """A section's text as compared: trailing spaces and the blank lines around it do not
    count, so moving a section to the end of the page (where it has no blank line after it)
    is not a change."""
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n"))


def text_hash(text: str) -> str:
    """sha256 of a section's normalized text: what a thread compares the section with later."""
    return hashlib.sha256(normalized(text).encode()).hexdigest()


def _body(text: str) -> str:
    """A section's text without its heading line (or setext underline): what stays the same
    when only the heading is renamed."""
    lines = normalized(text).split("\n")
    drop = 2 if len(lines) > 1 and re.fullmatch(r"(=+|-+) *", lines[1]) and not lines[0].startswith("#") else 1
    return "\n".join(lines[drop:]).strip("\n")


@dataclass(frozen=True)
class CurrentSection:
    """A section of the current revision, by the id its heading has there."""

    anchor: str
    section: Section
    text: str


def current_sections(source: str, ids: dict[int, str]) -> dict[str, CurrentSection]:
    """Heading id -> section of ``source``; ``ids`` maps section numbers to heading ids
    (wiki.core.markup.section_ids)."""
    found = {}
    for section in find_sections(source):
        anchor = ids.get(section.number)
        if anchor is not None and anchor not in found:
            found[anchor] = CurrentSection(anchor, section, section_text(source, section))
    return found


@dataclass(frozen=True)
class Anchoring:
    """Where a thread's section is now.

    state: "page" (a thread about the whole page), "same" (unchanged since the thread
    started), "changed" (its text changed), "renamed" (its heading changed; ``anchor`` and
    ``heading`` are the new ones) or "gone" (no section has that heading or that text).
    """

    state: str
    anchor: str | None = None
    heading: str = ""
    text: str = ""

    @property
    def changed(self) -> bool:
        return self.state in ("changed", "renamed")

    @property
    def located(self) -> bool:
        return self.state in ("same", "changed", "renamed")


PAGE = Anchoring("page")


def locate(anchor: str | None, recorded_text: str, recorded_hash: str, sections: dict[str, CurrentSection],
           headings: dict[str, str]) -> Anchoring:
    """Find a thread's section in the current revision: by its heading's id first; if that
    heading is gone, by its text under another heading (a renamed heading). ``headings``:
    heading id -> text in the current revision."""
    if anchor is None:
        return PAGE
    here = sections.get(anchor)
    if here is not None:
        state = "same" if text_hash(here.text) == recorded_hash else "changed"
        return Anchoring(state, anchor, headings.get(anchor, here.section.title), here.text)
    body = _body(recorded_text)
    if body:
        for candidate in sections.values():
            if _body(candidate.text) == body:
                return Anchoring("renamed", candidate.anchor, headings.get(candidate.anchor, candidate.section.title),
                                 candidate.text)
    return Anchoring("gone")


def comment_body(text: str | None, max_bytes: int) -> str:
    """A comment's Markdown, checked once at the edge: not empty, within ``max_bytes``."""
    body = (text or "").replace("\r\n", "\n").replace("\x00", "")
    if not body.strip():
        raise InvalidInput("Write something first: the comment is empty.", field="body")
    size = len(body.encode())
    if size > max_bytes:
        raise InvalidInput(f"The comment is {size:,} bytes; the most a comment may have is {max_bytes:,}.",
                           field="body")
    return body


def anchor_arg(value: str | None) -> str | None:
    """A section anchor from a form or URL: None for none, else at most 255 characters."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > 255:
        raise InvalidInput("That section anchor is too long.", field="section")
    return value


_DISCUSS_LINK = re.compile(r'(<a class="section-discuss" href="[^"]*?\?section=([^"&]*)"[^>]*>discuss</a>)')


def with_counts(page_html: str, counts: dict[str, int], discussion_url: str) -> str:
    """Stored page HTML with, beside each discussed heading's "discuss" link, the number of
    its comments (linking to them). The stored HTML is the same for everyone; the counts
    change without a new revision, so they are added at view time."""
    if not counts:
        return page_html

    def add(m: re.Match[str]) -> str:
        anchor = unquote(html.unescape(m.group(2)))
        count = counts.get(anchor)
        if not count:
            return m.group(1)
        label = f"{count} comment{'s' if count != 1 else ''}"
        href = html.escape(f"{discussion_url}#section-{anchor}", quote=True)
        return m.group(1) + f'<a class="discussion-count" href="{href}" title="Discussion of this section">{label}</a>'

    return _DISCUSS_LINK.sub(add, page_html)
