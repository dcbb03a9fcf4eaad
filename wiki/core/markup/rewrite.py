"""Rewrite wiki links in a Markdown source when their target page is renamed."""
from __future__ import annotations

import re
from typing import Callable

from .wikilinks import parse_wikilink

# A code span (left alone) or a wiki link; code spans first so [[x]] inside `...` is skipped.
_TOKEN = re.compile(r"(?P<code>(`+)[^`]*?\2)|\[\[(?P<inner>[^\[\]\n]{1,600})\]\]")
_FENCE = re.compile(r"^(`{3,}|~{3,})")


def rewrite_wikilinks(source: str, is_old_target: Callable[[str], bool], new_title: str) -> str:
    """``source`` with every wiki link whose target ``is_old_target`` pointed at ``new_title``.

    Sections and labels are kept; links in code spans and fenced code blocks are left alone.
    """

    def replace(match: re.Match[str]) -> str:
        if match.group("code") is not None:
            return match.group(0)
        parsed = parse_wikilink(match.group("inner"))
        if parsed is None:
            return match.group(0)
        link, label = parsed
        if not link.target or not is_old_target(link.target):
            return match.group(0)
        spec = new_title + (f"#{link.section}" if link.section else "")
        # [[Old\\|label]] (the form a table cell needs) keeps its escaped pipe.
        bar = "\\|" if match.group("inner").partition("|")[0].endswith("\\") else "|"
        return f"[[{spec}{bar}{label}]]" if label else f"[[{spec}]]"

    out, fence = [], None
    for line in source.splitlines(keepends=True):
        if fence is not None:
            if line.rstrip("\n").rstrip(" ") == fence:
                fence = None
            out.append(line)
        elif (opener := _FENCE.match(line)) is not None:
            fence = opener.group(1)
            out.append(line)
        else:
            out.append(_TOKEN.sub(replace, line))
    return "".join(out)
