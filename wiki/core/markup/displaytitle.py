"""A page's display title, and the one-h1 rule of rendered pages.

A page has a path (``concepts/caching-with-redis``: its URL, unchanged) and a display title,
what people read: the ``title:`` setting of its front matter (wiki.core.frontmatter) if it has
one, else the text of the ``# heading`` that opens the page (its first line after the front
matter and blank lines, written ``# Title``), else none, and readers see the path's last part.

The page template shows the display title as the page's only ``<h1>``. So the rendered
content never holds an ``<h1>``: the opening heading that gave the title is left out (it is
the title), and any other level-1 heading is rendered as ``<h2>``. The title is found in the
source, not in the rendered tree, so it is the same whatever the links in it resolve to, and
a migration can compute it without a database (``render.display_title``).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.treeprocessors import Treeprocessor

from ..frontmatter import FrontMatter
from .sections import section_lines

MAX_DISPLAY_TITLE_LENGTH = 255

# An ATX level-1 heading as Python-Markdown reads it: "#", not "##", from column 0.
_OPENING_H1 = re.compile(r"#(?!#)(.*?)#*[ \t]*")


def opening_heading(source: str, front: FrontMatter) -> str | None:
    """The line of the ``# heading`` that opens ``source`` (after its front matter), or None."""
    for line in section_lines(source)[front.lines:]:
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        match = _OPENING_H1.fullmatch(text)
        return text if match is not None and match.group(1).strip() else None
    return None


def clean_title(text: str) -> str:
    """A display title as stored: whitespace collapsed, at most MAX_DISPLAY_TITLE_LENGTH."""
    return " ".join(text.split())[:MAX_DISPLAY_TITLE_LENGTH].strip()


class OneH1Treeprocessor(Treeprocessor):
    """Leaves out the opening heading (``drop_opening``: it became the display title) and turns
    every other ``<h1>`` into ``<h2>``. Runs before heading ids and the table of contents, so
    neither knows the title heading."""

    def __init__(self, md, drop_opening: bool):
        super().__init__(md)
        self.drop_opening = drop_opening

    def run(self, root: etree.Element) -> None:
        if self.drop_opening:
            first = next((el for el in root if el.tag == "h1"), None)
            if first is not None:
                root.remove(first)
        for el in root.iter("h1"):
            el.tag = "h2"
