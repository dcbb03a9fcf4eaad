"""The markup budget: whether a page is cheap enough to format, decided before formatting it.

Python-Markdown and bleach cost 20-200 microseconds per element on this kind of machine, so a
megabyte of dense markup ("# h" lines, "[[x]]", "<b>x</b>", "a" paragraphs, table rows)
takes 20-60 s to render: long enough to stall a worker on every save or preview. Before
rendering, markup_cost() counts what can become an element (line breaks, markup characters,
with extra weight for the costliest: headings, footnotes, nesting). Over MAX_MARKUP_COST the
page is shown as its text with a notice, which takes milliseconds; the source is saved as
written. bench/pathological.py --http measures the costliest pages just under the budget:
at most 1.1 s to save and view on a busy shared 2-core machine (15,000 Markdown links; 2,500
"# h" headings 0.8 s: headings weigh most, each gets an id, a permalink and a TOC entry).
The budget was 10,000 at first; 30,000 keeps that worst case well under 2 s while
formatting three times larger real pages. Highlighted code, whose cost is per word, has its
own budget (highlight.MAX_HIGHLIGHTED_CHARS). Typical documentation costs about 0.1 per byte,
so pages up to ~300 KB of it are formatted.
"""
from __future__ import annotations

import re

MAX_MARKUP_COST = 30_000
_MARKUP_CHARACTERS = "*_`[]<>&|#=!:^"
# Extra weight, on top of the characters' own count, for what costs most per occurrence:
# headings, ATX or setext (id, permalink, TOC entry), footnote references and definitions,
# indentation (each level of a nested list or quote is parsed again by the level above), and
# list markers, which nest without any line break: "- - - - x" is four lists in one line.
_EXTRA_WEIGHT = {"\n#": 10, "\n=": 8, "\n-": 4, "-\n": 6, "^": 4, "  ": 1, "- ": 3, "+ ": 3, "* ": 2}
_LIST_MARKER_WEIGHT = 3
_ORDERED_MARKER = re.compile(r"\d[.)][ \t]")


def markup_cost(source: str) -> int:
    """A linear-time upper estimate of the work rendering ``source`` takes (see above)."""
    cost = source.count("\n") + sum(source.count(c) for c in _MARKUP_CHARACTERS)
    cost += sum(weight * source.count(s) for s, weight in _EXTRA_WEIGHT.items())
    cost += _LIST_MARKER_WEIGHT * sum(1 for _ in _ORDERED_MARKER.finditer(source))
    # The first line has no "\n" before it, but a heading there costs as much as anywhere.
    return cost + _EXTRA_WEIGHT["\n#"] * source.startswith("#")


def too_complex_notice(cost: int) -> str:
    """What readers are told above the text of a page whose cost is over the budget."""
    return (f"This page has too much markup to format ({cost:,} lines and markup characters, weighted; "
            f"the limit is {MAX_MARKUP_COST:,}), so its text is shown as written. "
            "Splitting it into several pages formats it again.")
