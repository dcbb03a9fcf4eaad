"""Linear-time replacements for Python-Markdown's link and footnote-reference parsing.

Python-Markdown has several scans that restart from every candidate position and run to the
end of the text when nothing closes, which is quadratic: 100 KB of "[" takes minutes, and
"[a](((..." likewise; thousands of footnote references cost a list scan each. The pieces
here bound that work for the inline patterns; bounded_blocks.py and bounded_preprocessors.py
do the same for the block parser and the preprocessors.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as etree

import markdown
from markdown.extensions.footnotes import FootnoteExtension, FootnoteInlineProcessor

MAX_BRACKET_DEPTH = 8      # nesting of [] in link text and of () in link destinations
_LINK_TITLE_SLACK = 80     # see _BoundedLinkMixin.getLink

_BRACKETS = re.compile(r"[\[\]]")
_PARENS = re.compile(r"[()]")
# Fast rejection: MAX_BRACKET_DEPTH more openers before any closer (e.g. "[[[[[[...").
_TOO_MANY_BRACKETS = re.compile(r"(?:[^\[\]]*\[){%d}" % MAX_BRACKET_DEPTH)
_TOO_MANY_PARENS = re.compile(r"(?:[^()]*\(){%d}" % (MAX_BRACKET_DEPTH + 1))


class _BoundedLinkMixin:
    """Replaces LinkInlineProcessor.getText/getLink scans with ones that give up past
    MAX_BRACKET_DEPTH levels of nesting. Each scan ends at its closing bracket or after
    MAX_BRACKET_DEPTH unclosed openers, so any position is scanned by at most
    MAX_BRACKET_DEPTH + 1 starts and the total work is linear in the text."""

    def getText(self, data: str, index: int) -> tuple[str, int, bool]:  # noqa: N802 (Markdown's API)
        if _TOO_MANY_BRACKETS.match(data, index):
            return "", index, False
        depth = 1
        for m in _BRACKETS.finditer(data, index):
            if m.group() == "[":
                depth += 1
                if depth > MAX_BRACKET_DEPTH:
                    break
            else:
                depth -= 1
                if depth == 0:
                    return data[index:m.start()], m.end(), True
        return "", index, False

    def getLink(self, data: str, index: int):  # noqa: N802 (Markdown's API)
        if not data.startswith("(", index) or _TOO_MANY_PARENS.match(data, index):
            return "", None, index, False
        depth = 0
        end = -1
        for m in _PARENS.finditer(data, index):
            depth += 1 if m.group() == "(" else -1
            if depth == 0:
                end = m.end()
                break
            if depth > MAX_BRACKET_DEPTH:
                break
        if end < 0:
            return "", None, index, False
        # The original parser (quote-aware: a ')' inside a "title" does not close) runs on a
        # window that ends a little after the quote-blind close found above.
        window = data[index:min(len(data), end + _LINK_TITLE_SLACK)]
        href, title, stop, handled = super().getLink(window, 0)
        return href, title, index + stop, handled


_LINK_PATTERNS = {  # registered name -> priority, as in markdown.inlinepatterns
    "reference": 170, "link": 160, "image_link": 150,
    "image_reference": 140, "short_reference": 130, "short_image_ref": 125,
}


def bound_link_patterns(md: markdown.Markdown) -> None:
    """Replace md's link, image and footnote-reference patterns by their bounded versions."""
    for name, priority in _LINK_PATTERNS.items():
        old = md.inlinePatterns[name]
        bounded = type(f"Bounded{type(old).__name__}", (_BoundedLinkMixin, type(old)), {})
        md.inlinePatterns.register(bounded(old.pattern, md), name, priority)
    # The stock footnote pattern \[\^([^\]]*)\] scans to the next ']' from every "[^"; also
    # excluding '[' and newlines makes the scans disjoint.
    footnotes = md.inlinePatterns["footnote"].footnotes
    md.inlinePatterns.register(_FootnoteInlineProcessor(r"\[\^([^\[\]\n]+)\]", footnotes), "footnote", 175)


class BoundedFootnoteExtension(FootnoteExtension):
    """Footnotes with O(1) bookkeeping per reference; the stock code scans lists of all
    references/footnotes for each one (quadratic with thousands of footnote references)."""

    def reset(self) -> None:
        super().reset()
        self._order_seen: set[str] = set()

    def addFootnoteRef(self, id: str) -> None:  # noqa: A002, N802 (Markdown's API)
        if id not in self._order_seen:
            self._order_seen.add(id)
            self.footnote_order.append(id)

    def unique_ref(self, reference: str, found: bool = False) -> str:
        # Same ids as the stock version: fnref-x, then fnref2-x, fnref3-x, ... for repeats.
        if not found:
            return reference
        count = self.found_refs.get(reference, 0)
        candidate = reference
        if count or candidate in self.used_refs:
            prefix, rest = reference.split(self.get_separator(), 1)
            n = count + 1 if count else 2
            while (candidate := f"{prefix}{n}{self.get_separator()}{rest}") in self.used_refs:
                n += 1
        self.used_refs.add(candidate)
        self.found_refs[reference] = count + 1
        return candidate


class _FootnoteInlineProcessor(FootnoteInlineProcessor):
    """Numbers footnotes (in definition order, the default) from a dict instead of calling
    list(...).index() for every reference."""

    def handleMatch(self, m: re.Match[str], data: str):  # noqa: N802 (Markdown's API)
        footnotes = self.footnotes.footnotes
        if getattr(self, "_numbered", None) is not footnotes or len(self._numbers) != len(footnotes):
            self._numbered = footnotes
            self._numbers = {key: n for n, key in enumerate(footnotes, start=1)}
        footnote_id = m.group(1)
        if footnote_id not in self._numbers:
            return None, None, None
        self.footnotes.addFootnoteRef(footnote_id)
        sup = etree.Element("sup")
        a = etree.SubElement(sup, "a")
        sup.set("id", self.footnotes.makeFootnoteRefId(footnote_id, found=True))
        a.set("href", "#" + self.footnotes.makeFootnoteId(footnote_id))
        a.set("class", "footnote-ref")
        a.text = self.footnotes.getConfig("SUPERSCRIPT_TEXT").format(self._numbers[footnote_id])
        return sup, m.start(0), m.end(0)
