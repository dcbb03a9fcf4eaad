"""Learning paths (issue 20): a page declares an ordered path of pages and sections.

The syntax is a fenced block whose language is ``path``, one step a line::

    ```path
    - [[REST APIs]] — start here
    - [[Databases#Indexes]]: the part about indexes
    - [[Caching]]
    ```

- A step is a ``[[wiki link]]`` (a page, or ``[[Page#Section]]``), optionally after a list
  marker (``-``, ``*``, ``+`` or ``1.``), optionally followed by a note after ``—``, ``–``,
  ``-`` or ``:``. A label (``[[Page|label]]``) is allowed and shown in the outline.
- Blank lines are skipped; any other line is reported (``ParsedPath.problems``) and skipped.
- The same step twice is reported once and kept once; at most MAX_STEPS steps are kept.
- A page declares one path: the first ``path`` block. Further blocks are rendered but reported.

The renderer shows the block as a numbered list of links (``outline_markdown``), so the
steps are ordinary links: red when the page is missing, in the link table, rendered again
when a step's page is created. The summary shown beside each step on the path page is the
first paragraph of the step page's text (``summary_from_html``), cut to SUMMARY_LENGTH.

Pure: standard library only, and the wiki-link parser next to it.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

from .wikilinks import parse_wikilink

MAX_STEPS = 100
MAX_NOTE_LENGTH = 300
SUMMARY_LENGTH = 200
LANGUAGE = "path"

_OPENER = re.compile(r"(?P<fence>~{3,}|`{3,})[ ]*\.?path[ ]*")
_STEP = re.compile(r"[ \t]*(?:[-*+]|\d{1,4}[.)])?[ \t]*\[\[(?P<inner>[^\[\]\n]{1,600})\]\](?P<rest>.*)")
_NOTE_SEPARATOR = re.compile(r"[ \t]*(?:—|–|-{1,2}|:)[ \t]*")


@dataclass(frozen=True)
class Step:
    """One step: the page (as written) and section it names, its label and note, and the
    line (1-based, in the source) it is on."""

    target: str
    section: str | None
    label: str | None
    note: str
    line: int


@dataclass(frozen=True)
class ParsedPath:
    steps: tuple[Step, ...]
    problems: tuple[str, ...]
    first_line: int  # the opening fence's line (1-based)


def _lines(source: str) -> list[str]:
    return source.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def find_blocks(source: str) -> list[tuple[int, list[str]]]:
    """The ``path`` fenced blocks of a source: (line number of the opener, the lines inside).
    An opener without a closing fence is no block (it renders as the text it is)."""
    lines, blocks, number = _lines(source), [], 0
    while number < len(lines):
        m = _OPENER.fullmatch(lines[number])
        if m is None:
            if re.fullmatch(r"(~{3,}|`{3,}).*", lines[number]):  # another fence: skip its body
                fence = re.match(r"~{3,}|`{3,}", lines[number]).group(0)
                end = next((i for i in range(number + 1, len(lines)) if lines[i].strip() == fence), None)
                number = end + 1 if end is not None else number + 1
                continue
            number += 1
            continue
        fence = m.group("fence")
        end = next((i for i in range(number + 1, len(lines)) if lines[i].rstrip() == fence), None)
        if end is None:
            number += 1
            continue
        blocks.append((number + 1, lines[number + 1:end]))
        number = end + 1
    return blocks


def parse_lines(lines: list[str], first_line: int = 0) -> ParsedPath:
    """The steps of a ``path`` block's lines; ``first_line``: the opener's line number."""
    steps: list[Step] = []
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    dropped = 0
    for offset, line in enumerate(lines, start=1):
        number = first_line + offset
        if not line.strip():
            continue
        m = _STEP.fullmatch(line)
        parsed = parse_wikilink(m.group("inner")) if m else None
        if parsed is None or not parsed[0].target:
            shown = line.strip()
            shown = shown if len(shown) <= 60 else shown[:57] + "…"
            problems.append(f"Line {number} is not a step (a step is a [[link]], then an optional note): “{shown}”.")
            continue
        link, label = parsed
        key = (" ".join(link.target.split()).casefold(), (link.section or "").casefold())
        if key in seen:
            problems.append(f"Line {number} repeats the step [[{link.target}"
                            f"{'#' + link.section if link.section else ''}]]; it is listed once.")
            continue
        if len(steps) >= MAX_STEPS:
            dropped += 1
            continue
        seen.add(key)
        note = _NOTE_SEPARATOR.sub("", m.group("rest"), count=1).strip() if m.group("rest").strip() else ""
        steps.append(Step(link.target, link.section, label, note[:MAX_NOTE_LENGTH], number))
    if dropped:
        problems.append(f"A path has at most {MAX_STEPS} steps; the last {dropped} were left out.")
    return ParsedPath(tuple(steps), tuple(problems), first_line)


def parse_path(source: str) -> ParsedPath | None:
    """The path a page's source declares (its first ``path`` block), or None if it has none."""
    blocks = find_blocks(source)
    if not blocks:
        return None
    first_line, lines = blocks[0]
    parsed = parse_lines(lines, first_line)
    if len(blocks) > 1:
        extra = ", ".join(str(line) for line, _lines in blocks[1:])
        parsed = ParsedPath(parsed.steps, parsed.problems + (
            f"A page declares one path: the path block(s) at line {extra} are not part of it.",), first_line)
    return parsed


def outline_markdown(lines: list[str]) -> list[str]:
    """A ``path`` block as the Markdown of a numbered list of links with their notes (what the
    renderer shows in the page). Lines that are not steps are left out (the path page lists them)."""
    parsed = parse_lines(lines)
    out = []
    for step in parsed.steps:
        inner = step.target + (f"#{step.section}" if step.section else "") + (f"|{step.label}" if step.label else "")
        note = f" — {_escape_markdown(step.note)}" if step.note else ""
        out.append(f"1. [[{inner}]]{note}")
    return out


def _escape_markdown(text: str) -> str:
    """A note shown as plain text: Markdown and HTML characters escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+!<>|~])", r"\\\1", text)


_PARAGRAPH = re.compile(r"<p(?:\s[^>]*)?>(.*?)</p>", re.S)
_TAG = re.compile(r"<[^>]+>")


def summary_from_html(page_html: str, limit: int = SUMMARY_LENGTH) -> str:
    """A page's summary: the plain text of the first non-empty paragraph of its rendered HTML,
    cut at a word to ``limit`` characters (with "…"); "" if it has none."""
    for m in _PARAGRAPH.finditer(page_html):
        text = " ".join(html.unescape(_TAG.sub("", m.group(1))).split())
        if text:
            if len(text) <= limit:
                return text
            cut = text[:limit - 1].rsplit(" ", 1)[0]
            return (cut or text[:limit - 1]).rstrip(",;:.") + "…"
    return ""


def step_label(target: str, section: str | None) -> str:
    """How a step reads where its page's display title is unknown: "Page" or "Page § Section"."""
    return f"{target} § {section}" if section else target
