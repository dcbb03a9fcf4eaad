"""Wiki links: [[Target]], [[Target|label]], [[Target#Section]], [[Target#Section|label]], [[#Section]].

Implemented as a Python-Markdown inline pattern, so wiki links inside code spans and code
blocks stay literal text. Where a link points is decided by a resolver, a callable
``(target, section) -> LinkTarget``; :func:`default_resolver` needs no database.
"""
from __future__ import annotations

import re
import unicodedata
import urllib.parse
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from typing import Callable

from markdown import Markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString

from .sanitize import is_id_char

MAX_TARGET_LENGTH = 255
MAX_SLUG_LENGTH = 100

# Inside the brackets: no brackets, no newline, and no \x02/\x03, which delimit the
# placeholders Python-Markdown leaves for code spans and escapes processed before this
# pattern (so "[[a `b` c]]" is not a link). The class excludes '[' and ']', so every
# search stops at the next bracket and scanning stays linear even for "[[[[[[...".
WIKILINK_RE = r"\[\[([^\[\]\n\x02\x03]+)\]\]"

# What the inline pattern sees: the same, but a placeholder may stand in the brackets, for it
# may be an escaped pipe. In a table cell a bare "|" ends the cell, so a labelled link there is
# written [[Target\\|label]]: the table splitter skips escaped pipes, and by the time this
# pattern runs the escape pattern has stashed "\\|" as ESCAPED_PIPE behind a placeholder.
# handleMatch accepts only that placeholder (a code span inside is still not a link).
_INLINE_WIKILINK_RE = r"\[\[((?:[^\[\]\n\x02\x03]|\x02klzzwxh:[0-9]+\x03)+)\]\]"
_PLACEHOLDER = re.compile(r"\x02klzzwxh:[0-9]+\x03")  # markdown.util.INLINE_PLACEHOLDER
ESCAPED_PIPE = "\x02124\x03"  # STX, ord("|"), ETX: what EscapeInlineProcessor makes of "\\|"

# Runs after backticks (190) and backslash escapes (180), before footnotes (175) and
# Markdown links/references (170 and below), which would otherwise see "[[x]]" first.
WIKILINK_PRIORITY = 177

# Set on generated <a> elements so the link collector (render.py) can map them back to
# their OutgoingLink; removed again before serialization.
INDEX_ATTRIBUTE = "data-nexus-wikilink"


@dataclass(frozen=True)
class OutgoingLink:
    """A link from a page to a wiki page (or to a section of the same page)."""

    target: str            # target title as written, stripped; "" for same-page [[#Section]]
    section: str | None    # text after '#', stripped, or None


@dataclass(frozen=True)
class LinkTarget:
    """How a resolver wants a wiki link rendered."""

    href: str
    exists: bool = True
    section_exists: bool = True
    label: str | None = None


Resolver = Callable[[str, str | None], LinkTarget]


def slugify_heading(text: str) -> str:
    """Turn heading text into an element id: lowercase, whitespace to '-', only letters/marks/digits/_/-."""
    text = unicodedata.normalize("NFC", text).lower()
    text = "-".join(text.split())
    slug = "".join(c for c in text if is_id_char(c))
    slug = re.sub(r"-{2,}", "-", slug)[:MAX_SLUG_LENGTH].strip("-")
    return slug or "section"


def default_resolver(target: str, section: str | None) -> LinkTarget:
    """Resolve to /wiki/<Title_with_underscores>[#slug] without checking existence."""
    fragment = "#" + slugify_heading(section) if section else ""
    if not target.strip():
        return LinkTarget(href=fragment or "#")
    path = urllib.parse.quote(target.strip().replace(" ", "_"), safe="/")
    return LinkTarget(href="/wiki/" + path + fragment)


def parse_wikilink(inner: str) -> tuple[OutgoingLink, str | None] | None:
    """Split the text between [[ and ]] into (link, explicit label); None if it is not a link.

    The first "|" separates the label; written "\\|" (as a table cell needs) it does the same.
    """
    spec, bar, label = inner.partition("|")
    if bar and spec.endswith("\\"):
        spec = spec[:-1]  # [[Target\\|label]]: the backslash escapes the pipe, it is no part of the title
    target, hash_sign, section = spec.partition("#")
    target = target.strip()
    section = section.strip() if hash_sign else ""
    if not target and not section:
        return None  # [[]], [[|x]], [[#]]
    if len(target) > MAX_TARGET_LENGTH or len(section) > MAX_TARGET_LENGTH:
        return None
    return OutgoingLink(target, section or None), label.strip() or None


def default_label(link: OutgoingLink) -> str:
    """Readable label for a link without one: "Target", "Target § Section" or "§ Section"."""
    if link.section is None:
        return link.target
    if not link.target:
        return "§ " + link.section
    return f"{link.target} § {link.section}"


class WikiLinkInlineProcessor(InlineProcessor):
    """Turns [[...]] into <a class="wikilink"> elements and records the links in order of appearance."""

    def __init__(self, resolver: Resolver, links: list[OutgoingLink], md: Markdown):
        super().__init__(_INLINE_WIKILINK_RE, md)
        self.resolver = resolver
        self.links = links

    def handleMatch(self, m: re.Match[str], data: str):  # noqa: N802 (Markdown's API)
        inner = _unescape_pipes(m.group(1), self.unescape)
        parsed = parse_wikilink(inner) if inner is not None else None
        if parsed is None:
            return None, None, None
        link, label = parsed
        resolved = self.resolver(link.target, link.section)

        el = etree.Element("a")
        classes = ["wikilink"]
        if not resolved.exists:
            classes.append("new")
            el.set("title", "page does not exist")
        elif not resolved.section_exists:
            classes.append("missing-section")
            el.set("title", "section does not exist")
        el.set("class", " ".join(classes))
        el.set("href", resolved.href)
        el.set(INDEX_ATTRIBUTE, str(len(self.links)))
        # AtomicString: the label is plain text; no further inline Markdown or raw HTML in it.
        # Markdown's serializer escapes < and > but keeps anything that looks like an entity
        # (text in code spans is stored pre-escaped), so escape '&' here: "&lt;" shows as typed.
        text = label or resolved.label or default_label(link)
        el.text = AtomicString(text.replace("&", "&amp;"))
        self.links.append(link)
        return el, m.start(0), m.end(0)


def _unescape_pipes(inner: str, unescape: Callable[[str], str]) -> str | None:
    """``inner`` with each escaped-pipe placeholder back to "|"; None if another placeholder
    (a code span, another escape, raw HTML) is inside: then it is not a wiki link."""
    if "\x02" not in inner:
        return inner
    ok = True

    def pipe(match: re.Match[str]) -> str:
        nonlocal ok
        if unescape(match.group(0)) != ESCAPED_PIPE:
            ok = False
        return "|"

    text = _PLACEHOLDER.sub(pipe, inner)
    return text if ok else None


class WikiLinkExtension(Extension):
    """Registers WikiLinkInlineProcessor; ``links`` receives one OutgoingLink per generated <a>."""

    def __init__(self, resolver: Resolver, links: list[OutgoingLink]):
        super().__init__()
        self.resolver = resolver
        self.links = links

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Markdown's API)
        md.inlinePatterns.register(
            WikiLinkInlineProcessor(self.resolver, self.links, md), "nexus_wikilink", WIKILINK_PRIORITY
        )
