"""Code blocks as readers use them: a language label, keyboard-reachable scrolling, no [TOC].

Fenced blocks with a language get a ``<span class="code-lang">`` label before their ``<pre>``
(bounded_preprocessors.BoundedFencedBlockPreprocessor puts it there). Every ``<pre>`` of the
page becomes a focusable, labelled region (``tabindex="0" role="region" aria-label``): a
long line scrolls sideways, and a keyboard user must be able to reach that scroll. The copy
button is added by static/js/reading.js (it needs the clipboard, so it needs JavaScript).

A ``[TOC]`` paragraph is left out: the contents box beside the page is the table of contents.
"""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree

from markdown.treeprocessors import Treeprocessor

MAX_LANGUAGE_LENGTH = 40

_LANGUAGE = re.compile(r"[\w#+.-]{1,%d}" % MAX_LANGUAGE_LENGTH)
_BRACED_LANGUAGE = re.compile(r"\{[^}]*?\.([\w#+-]+)")


def fence_language(opener: str) -> str:
    """The language named on a fence's opening line ("```python", "``` {.python}"), or ""."""
    rest = opener.lstrip("`~").strip()
    if rest.startswith("{"):
        match = _BRACED_LANGUAGE.match(rest)
        return match.group(1)[:MAX_LANGUAGE_LENGTH] if match else ""
    word = rest.split(" ", 1)[0].lstrip(".") if rest else ""
    return word if _LANGUAGE.fullmatch(word) else ""


def with_language_label(language: str, block_html: str) -> str:
    """A highlighted fenced block with its language label, in one block-level wrapper (raw
    HTML that starts with an inline tag would be put inside a paragraph)."""
    return f'<div class="code-block"><span class="code-lang">{html.escape(language)}</span>{block_html}</div>'


_PRE = re.compile(r'(<span class="code-lang">([^<]{1,%d})</span>)?(\s*(?:<div class="codehilite">)?\s*)<pre\b([^>]*)>'
                  % (MAX_LANGUAGE_LENGTH * 6))


def label_code_blocks(page_html: str) -> str:
    """Make every <pre> a labelled, focusable region (before sanitizing: its output is
    sanitized like the rest of the page)."""

    def label(m: re.Match[str]) -> str:
        lang_span, lang, between, attrs = m.groups()
        if "tabindex" in attrs:
            return m.group(0)
        name = f"Code: {html.unescape(lang)}" if lang else "Code"
        extra = f' tabindex="0" role="region" aria-label="{html.escape(name)}"'
        return f"{lang_span or ''}{between}<pre{attrs}{extra}>"

    return _PRE.sub(label, page_html)


class TocMarkerTreeprocessor(Treeprocessor):
    """Removes paragraphs that are only ``[TOC]`` (written for other wikis' inline contents)."""

    def run(self, root: etree.Element) -> None:
        for parent in list(root.iter()):
            for child in list(parent):
                if (child.tag == "p" and len(child) == 0 and (child.text or "").strip() == "[TOC]"):
                    parent.remove(child)
