"""Outgoing links of a page: every wiki link, and every link to a /wiki/ page, in document order.

The link graph (backlinks, wanted and orphaned pages; wiki.services.links) is built from
these, so a link counts however it was written: [[Page]], [text](/wiki/Page), a reference link, or
<a href="/wiki/Page"> in raw HTML.
"""
from __future__ import annotations

import urllib.parse
import xml.etree.ElementTree as etree
from html.parser import HTMLParser

import markdown
from markdown.treeprocessors import Treeprocessor
from markdown.util import HTML_PLACEHOLDER_RE

from .wikilinks import INDEX_ATTRIBUTE, MAX_TARGET_LENGTH, OutgoingLink


def link_from_href(href: str) -> OutgoingLink | None:
    """OutgoingLink for a relative "/wiki/Title[#section]" href (not "/-/" actions), else None."""
    if not href.startswith("/wiki/") or "/-/" in href:
        return None
    path, _, fragment = href[len("/wiki/"):].partition("#")
    target = urllib.parse.unquote(path.partition("?")[0]).replace("_", " ").strip()
    if not target or len(target) > MAX_TARGET_LENGTH:
        return None
    return OutgoingLink(target, urllib.parse.unquote(fragment).strip() or None)


class _AnchorHrefs(HTMLParser):
    """Collects the href of every <a> in a raw HTML snippet."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href.strip())


class LinkCollectorTreeprocessor(Treeprocessor):
    """Runs last: lists wiki links and /wiki/ links (also those in raw HTML) in document order."""

    def __init__(self, md: markdown.Markdown, wikilinks: list[OutgoingLink], out: list[OutgoingLink]):
        super().__init__(md)
        self.wikilinks = wikilinks
        self.out = out

    def run(self, root: etree.Element) -> None:
        # Iterative pre-order walk; an element's tail is handled after its children.
        stack: list[tuple[etree.Element, bool]] = [(root, False)]
        while stack:
            el, children_done = stack.pop()
            if children_done:
                self._scan_raw_html(el.tail)
                continue
            if el.tag == "a":
                self._visit_anchor(el)
            self._scan_raw_html(el.text)
            stack.append((el, True))
            stack.extend((child, False) for child in reversed(el))

    def _visit_anchor(self, el: etree.Element) -> None:
        index = el.attrib.pop(INDEX_ATTRIBUTE, None)
        if index is not None:
            self.out.append(self.wikilinks[int(index)])
        else:
            self._add_href(el.get("href", ""))

    def _add_href(self, href: str) -> None:
        link = link_from_href(href)
        if link is not None:
            self.out.append(link)

    def _scan_raw_html(self, text: str | None) -> None:
        # Raw HTML was stashed by Python-Markdown; only its placeholders (which start with
        # STX, "\x02") can hold an <a>, and most text has none: skip the regex for it.
        if not text or "\x02" not in text:
            return
        for m in HTML_PLACEHOLDER_RE.finditer(text):
            blocks = self.md.htmlStash.rawHtmlBlocks
            raw = blocks[int(m.group(1))] if int(m.group(1)) < len(blocks) else None
            if isinstance(raw, str) and "<a" in raw.lower():
                parser = _AnchorHrefs()
                try:
                    parser.feed(raw)
                    parser.close()
                except AssertionError:
                    # html.parser asserts on some malformed markup ('<div\r<a><!['): the
                    # sanitizer still handles the snippet, only its links go unrecorded.
                    continue
                for href in parser.hrefs:
                    self._add_href(href)
