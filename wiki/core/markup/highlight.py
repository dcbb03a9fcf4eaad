"""The highlighting budget of a page: how much code Pygments colours before the rest is plain.

Highlighting costs per word, not per markup character, so the markup budget (budget.py) does
not bound it: Pygments makes a <span> of nearly every word and bleach needs ~10 us for each,
so 1 MiB of "a b c" in one block took a minute, under the markup budget. A page therefore
gets MAX_HIGHLIGHTED_BLOCKS blocks and MAX_HIGHLIGHTED_CHARS characters of highlighted code,
shared by fenced blocks (bounded_preprocessors.BoundedFencedBlockPreprocessor spends it) and
indented ones (BudgetedHiliteTreeprocessor here); code beyond it is shown plain.
"""
from __future__ import annotations

import xml.etree.ElementTree as etree

import markdown
from markdown.extensions.codehilite import HiliteTreeprocessor

MAX_HIGHLIGHTED_BLOCKS = 200  # code blocks beyond this are not run through Pygments (~0.5 ms each)
MAX_HIGHLIGHTED_CHARS = 20_000  # ... nor code beyond this many characters


def new_highlight_budget() -> list[int]:
    """[blocks, characters] left to highlight; one list per page, spent by every code block."""
    return [MAX_HIGHLIGHTED_BLOCKS, MAX_HIGHLIGHTED_CHARS]


class BudgetedHiliteTreeprocessor(HiliteTreeprocessor):
    """Indented code blocks: highlighted only while the page's highlighting budget lasts."""

    def __init__(self, md: markdown.Markdown, config: dict, budget: list[int]):
        super().__init__(md)
        self.config = config
        self.budget = budget

    def run(self, root: etree.Element) -> None:
        codes = [pre[0] for pre in root.iter("pre") if len(pre) == 1 and pre[0].tag == "code"]
        self.budget[0] -= len(codes)
        self.budget[1] -= sum(len(code.text or "") for code in codes)
        # All indented blocks of the page are decided together: they are found in one pass.
        if self.budget[0] < 0 or self.budget[1] < 0:
            self.config = {**self.config, "use_pygments": False}
        super().run(root)
