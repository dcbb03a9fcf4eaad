"""Headings of a rendered page: their ids, the table of contents, permalinks and edit links.

Heading ids are what [[Page#Section]] links and the TOC point at, so each must be the slug
wikilinks.slugify_heading gives a link's section, unique in the page (also among footnote ids,
which come from author text) and safe in HTML. Section edit links are placed from the source's
sections (sections.py), so they cannot point at the wrong heading.
"""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from typing import Callable, Iterator

import markdown
from markdown.extensions.toc import remove_fnrefs, render_inner_html, strip_tags
from markdown.treeprocessors import Treeprocessor

from .sanitize import is_safe_id
from .sections import find_sections, section_lines
from .wikilinks import slugify_heading

_HEADING_TAGS = frozenset(f"h{level}" for level in range(1, 7))


@dataclass(frozen=True)
class Heading:
    """A heading of the rendered page."""

    level: int   # 1..6
    text: str    # plain text, no markup
    id: str      # id attribute in the HTML: safe and unique in the page


class UniqueIds:
    """Hands out ids not used before in the page: base, then base-2, base-3, ..."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self._next: dict[str, int] = {}  # base -> next suffix to try, so repeats stay O(1)

    def add(self, value: str) -> None:
        self.used.add(value)

    def __contains__(self, value: str) -> bool:
        return value in self.used

    def make(self, base: str) -> str:
        candidate = base
        if candidate in self.used:
            n = self._next.get(base, 2)
            while (candidate := f"{base}-{n}") in self.used:
                n += 1
            self._next[base] = n + 1
        self.used.add(candidate)
        return candidate


def _heading_text(el: etree.Element, md: markdown.Markdown) -> str:
    """Plain text of a heading element, computed as the toc extension does."""
    return html.unescape(strip_tags(render_inner_html(remove_fnrefs(el), md)))


class IdTreeprocessor(Treeprocessor):
    """Gives every heading an id from slugify_heading, de-duplicated as x, x-2, x-3 (the toc
    extension, which runs next, keeps existing ids). Ids already present (footnotes; their
    labels are author text) are made safe first, links to them follow, and headings avoid them."""

    def run(self, root: etree.Element) -> None:
        ids = UniqueIds()
        renamed: dict[str, str] = {}
        for el in root.iter():
            old = el.get("id")
            if old is None or el.tag in _HEADING_TAGS:
                continue
            new = old if is_safe_id(old) and old not in ids else ids.make(slugify_heading(old))
            ids.add(new)
            if new != old:
                el.set("id", new)
                renamed[old] = new
        if renamed:
            for a in root.iter("a"):
                href = a.get("href", "")
                if href.startswith("#") and href[1:] in renamed:
                    a.set("href", "#" + renamed[href[1:]])
        for el in root.iter():
            if el.tag in _HEADING_TAGS:
                el.set("id", ids.make(slugify_heading(_heading_text(el, self.md))))


# --- From the toc extension's tokens ------------------------------------------------------

def toc_html(tokens: list[dict]) -> str:
    """The table of contents as nested <ul> lists of links (not yet sanitized)."""
    if not tokens:
        return ""
    items = "".join(
        '<li><a href="#{}">{}</a>{}</li>'.format(
            html.escape(t["id"]), html.escape(html.unescape(t["name"]), quote=False), toc_html(t["children"])
        )
        for t in tokens
    )
    return f"<ul>{items}</ul>"


def headings_from_toc(tokens: list[dict]) -> Iterator[Heading]:
    """Every heading of the toc extension's token tree, in document order."""
    for t in tokens:
        yield Heading(t["level"], html.unescape(t["name"]), t["id"])
        yield from headings_from_toc(t["children"])


# --- Permalinks and section edit links --------------------------------------------------------

_ID_ATTR = re.compile(r'\bid="([^"<>]+)"')
_HEADING_WITH_ID = re.compile(r'<(h[1-6]) id="([^"<>]+)"([^>]*)>(.*?)</\1>', re.S)


def mark_sections(source: str, nonce: str) -> str:
    """Put a marker comment before each section heading (see wiki.core.markup.sections).

    Section numbers come from the source, not from the HTML: the marker tells which
    rendered heading starts section N, so an edit link can never point at the wrong one.
    The nonce keeps authors from forging markers of their own.
    """
    lines = section_lines(source)  # the lines find_sections counted, as Markdown splits them
    for section in reversed(find_sections(source)):
        lines.insert(section.start, f"\n<!--nexus-section-{nonce}:{section.number}-->\n\n")
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join(lines)


def _plain(inner_html: str) -> str:
    """The text of a heading's inner HTML, for naming its links."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", inner_html)).split())


def decorate_headings(
    html_text: str, nonce: str | None, section_edit_url: Callable[[int], str] | None,
    section_discuss_url: Callable[[str], str] | None = None,
) -> str:
    """Give headings a permalink (¶) and, where a section marker precedes one, an edit link
    and (with ``section_discuss_url``: heading id -> URL) a link to discuss the section.
    Both are the same for every reader: stored HTML is shared."""

    # Each link is named after its heading ("Edit section: Images and containers"): a screen
    # reader's list of links otherwise reads "pilcrow" and "edit" over and over.
    def permalink(m: re.Match[str]) -> str:
        tag, anchor, rest, inner = m.groups()
        name = html.escape("Link to section: " + _plain(inner), quote=True)
        link = f'<a class="headerlink" href="#{anchor}" title="Link to this section" aria-label="{name}">¶</a>'
        return f'<{tag} id="{anchor}"{rest}>{inner}{link}</{tag}>'

    html_text = _HEADING_WITH_ID.sub(permalink, html_text)
    if nonce is None:
        return html_text
    marked = re.compile(rf"<!--nexus-section-{nonce}:(\d+)-->\s*<(h[1-6])\b([^>]*)>(.*?)</\2>", re.S)

    def edit_link(m: re.Match[str]) -> str:
        number, tag, attrs, inner = m.groups()
        href = html.escape(section_edit_url(int(number)), quote=True)
        plain = _plain(re.sub(r'<a class="headerlink".*?</a>', "", inner))
        name = html.escape("Edit section: " + plain, quote=True)
        link = f'<a class="section-edit" href="{href}" title="Edit this section" aria-label="{name}">edit</a>'
        anchor = _ID_ATTR.search(attrs)
        if section_discuss_url is not None and anchor is not None:
            discuss = html.escape(section_discuss_url(html.unescape(anchor.group(1))), quote=True)
            label = html.escape("Discuss section: " + plain, quote=True)
            link += (f'<a class="section-discuss" href="{discuss}" title="Discuss this section" '
                     f'aria-label="{label}">discuss</a>')
        return f"<{tag}{attrs}>{inner}{link}</{tag}>"

    html_text = marked.sub(edit_link, html_text)
    # Remove the markers no heading followed too, so that none reaches the page.
    return re.sub(rf"<!--nexus-section-{nonce}:\d+-->", "", html_text)


def marked_section_ids(html_text: str, nonce: str) -> dict[int, str]:
    """Section number -> id of the heading its marker precedes, in HTML converted from
    ``mark_sections(source, nonce)``: the headings decorate_headings gives edit links."""
    marked = re.compile(rf"<!--nexus-section-{nonce}:(\d+)-->\s*<h[1-6]\b[^>]*?\bid=\"([^\"<>]+)\"")
    return {int(number): html.unescape(anchor) for number, anchor in marked.findall(html_text)}
