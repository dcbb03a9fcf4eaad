"""Sections of a Markdown source: find them, cut one out, splice an edited one back.

A section starts at a top-level heading (ATX ``## Title`` or setext ``Title`` over
``===``/``---``) and runs to the next heading of the same or a higher level, so it
includes its subsections, as in MediaWiki. Headings inside fenced code blocks are not
sections. The rules follow Python-Markdown's own block parser (an ATX heading starts in
column 0, a setext heading at the start of a block), so section N here is the N-th
heading the renderer turns into a section with an edit link.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..frontmatter import parse_front_matter

_FENCE_OPEN = re.compile(r"^(`{3,}|~{3,})")
_ATX = re.compile(r"^(#{1,6})(.*?)#*[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^(=+|-+)[ ]*$")


@dataclass(frozen=True)
class Section:
    number: int  # 1-based, in document order
    level: int  # 1..6
    title: str  # the heading's text as written in the source
    start: int  # index of the section's first line (the heading)
    end: int  # index one past its last line


# Lines as Python-Markdown sees them: it breaks only at "\r\n", "\r" and "\n". str.splitlines
# also breaks at U+2028, "\x85", "\f" ..., which would make a heading of text that Markdown
# renders inside a paragraph, and put a section marker in the middle of that paragraph.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def section_lines(source: str) -> list[str]:
    """The source's lines (with their breaks), numbered as Section.start and .end count them."""
    return _LINE.findall(source) if source else []


_lines = section_lines


def _headings(lines: list[str], skip: int = 0):
    """Yield (line index, level, title) for each top-level heading outside code fences,
    after the first ``skip`` lines (the front matter, which the renderer sees blank)."""
    fence = None
    block_start = True  # the previous line was blank, a heading, or the start of the text
    for i, line in enumerate(lines):
        if i < skip:
            continue
        text = line.rstrip("\n")
        if fence is not None:
            if text.rstrip(" ") == fence:
                fence = None
                block_start = True
            continue
        if (opener := _FENCE_OPEN.match(text)) is not None:
            fence = opener.group(1)
            block_start = False
            continue
        if not text.strip():
            block_start = True
            continue
        if (atx := _ATX.match(text)) is not None:
            yield i, len(atx.group(1)), atx.group(2).strip()
            block_start = True
            continue
        if block_start and i + 1 < len(lines) and not text.startswith((" ", "\t")):
            underline = _SETEXT_UNDERLINE.match(lines[i + 1].rstrip("\n"))
            if underline is not None:
                yield i, 1 if underline.group(1)[0] == "=" else 2, text.strip()
                block_start = True
                continue
        block_start = False


def find_sections(source: str) -> list[Section]:
    """Every section of ``source`` in order, each with its line range."""
    lines = _lines(source)
    found = list(_headings(lines, parse_front_matter(source).lines))
    sections = []
    for n, (start, level, title) in enumerate(found):
        end = next((s for s, lvl, _ in found[n + 1:] if lvl <= level), len(lines))
        sections.append(Section(n + 1, level, title, start, end))
    return sections


def get_section(source: str, number: int) -> Section | None:
    """Section ``number`` (1-based) or None if the source has no such section."""
    sections = find_sections(source)
    return sections[number - 1] if 1 <= number <= len(sections) else None


def section_text(source: str, section: Section) -> str:
    """The source text of one section, heading included."""
    return "".join(_lines(source)[section.start:section.end])


def replace_section(source: str, section: Section, new_text: str) -> str:
    """``source`` with ``section`` replaced by ``new_text``.

    The text after the section stays a separate block: if the new text does not end
    with a line break, one is added so the next heading is not glued onto its last line.
    """
    lines = _lines(source)
    after = "".join(lines[section.end:])
    if after and new_text and not new_text.endswith("\n"):
        new_text += "\n"
    return "".join(lines[:section.start]) + new_text + after


def parent_sections(source: str, number: int) -> list[Section]:
    """The sections that contain section ``number``, outermost first: its place in the page
    (the breadcrumb of the section editor). Empty for a top-level section or no such section."""
    stack: list[Section] = []
    for section in find_sections(source):
        while stack and stack[-1].level >= section.level:
            stack.pop()
        if section.number == number:
            return stack
        stack.append(section)
    return []
