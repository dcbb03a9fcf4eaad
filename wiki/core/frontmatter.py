"""Front matter: a page's settings, in a block at the very top of its source.

    ---
    title: Caching with Redis
    ---

    The page's text...

The rules, kept deliberately small so that no ordinary page is ever taken for settings:

- the first line of the source is exactly ``---``, and the block ends at the next line that is
  exactly ``---`` (or ``...``), at most MAX_LINES lines further down;
- every line in between is blank, a ``# comment``, or ``key: value`` where the key is a
  lower-case name (letters, digits, ``-``, ``_``) and the value is the rest of the line,
  stripped, without one pair of surrounding quotes (``"`` or ``'``);
- anything else (an unclosed block, a line that is not ``key: value``) means the source has no
  front matter, and the lines render as the Markdown they are (a rule, a heading ...).

Keys mean nothing here: readers of a key (``title`` for the display title, later ``tags``)
look it up in ``FrontMatter.settings``. A key given twice keeps its last value. The block is
not shown on the page; the renderer sees blank lines in its place, so line numbers (and the
section numbers counted from them) are the same with or without it.

Pure: standard library only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_LINES = 50  # lines between the two fences; a longer block is not front matter
MAX_VALUE_LENGTH = 1000

_FENCE = "---"
_CLOSERS = ("---", "...")
_SETTING = re.compile(r"([a-z][a-z0-9_-]{0,39})[ \t]*:(.*)")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # as Python-Markdown splits lines


@dataclass(frozen=True)
class FrontMatter:
    """The settings of a source's front matter and how many lines it occupies (0: none)."""

    settings: dict[str, str] = field(default_factory=dict)
    lines: int = 0

    def get(self, key: str, default: str = "") -> str:
        return self.settings.get(key, default)


NONE = FrontMatter()


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1].strip()
    return value[:MAX_VALUE_LENGTH]


def parse_front_matter(source: str) -> FrontMatter:
    """The front matter at the top of ``source``, or an empty one (``lines == 0``)."""
    if not source.startswith(_FENCE):
        return NONE
    lines = _LINE.findall(source[: (MAX_LINES + 2) * (MAX_VALUE_LENGTH + 50)])
    if not lines or lines[0].rstrip("\r\n") != _FENCE:
        return NONE
    settings: dict[str, str] = {}
    for number, raw in enumerate(lines[1:MAX_LINES + 2], start=1):
        line = raw.rstrip("\r\n")
        if line.rstrip(" \t") in _CLOSERS:
            return FrontMatter(settings, number + 1)
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _SETTING.fullmatch(line.rstrip(" \t"))
        if match is None:
            return NONE
        settings[match.group(1)] = _unquote(match.group(2))
    return NONE  # never closed


def blank_front_matter(source: str, front: FrontMatter | None = None) -> str:
    """``source`` with its front matter lines emptied (line breaks kept), for rendering."""
    front = parse_front_matter(source) if front is None else front
    if not front.lines:
        return source
    lines = _LINE.findall(source)
    head = "".join("\n" if line.endswith(("\n", "\r")) else "" for line in lines[:front.lines])
    return head + "".join(lines[front.lines:])
