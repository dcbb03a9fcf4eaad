"""Linear-time replacements for Python-Markdown block processors that are quadratic.

The block parser offers each block to every processor in turn; after one consumes the first
line(s) of a block, it offers the rest to all of them again. Processors whose test() or run()
searches or splits the whole block therefore cost O(n^2) on a block of n heading, rule, table
or code lines. The processors here give the same results with work proportional to what
they consume; replace_block_processors() installs them under the stock names and priorities.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as etree

import markdown
from markdown.blockprocessors import (
    BlockQuoteProcessor,
    CodeBlockProcessor,
    HashHeaderProcessor,
    HRProcessor,
    SetextHeaderProcessor,
)
from markdown.extensions.footnotes import FootnoteBlockProcessor
from markdown.extensions.tables import TableProcessor

_TABLE_TEST_ROWS = 100
_FIRST_ROWS = re.compile(r"(?:[^\n]*\n){0,%d}" % (_TABLE_TEST_ROWS - 1))


class _QuickTableProcessor(TableProcessor):
    """TableProcessor.test splits the whole remaining block on every call, and the block
    parser calls it again after each line another processor consumes (a run of headings),
    which is quadratic. A table needs a '|' in its header row; and only the first rows decide
    (all rows only for single-column tables, of which the first _TABLE_TEST_ROWS are checked)."""

    def test(self, parent: etree.Element, block: str) -> bool:
        newline = block.find("\n")
        if newline < 0 or "|" not in block[:newline]:
            return False
        head = _FIRST_ROWS.match(block).group()
        return super().test(parent, head[:-1] if len(head) < len(block) else block)


def _known_miss(memo: str, block: str) -> bool:
    """True if block is a proper suffix of memo (a block already searched without a match)
    that starts at a line start: then it holds no match either, for line-anchored patterns."""
    return len(block) < len(memo) and memo[len(memo) - len(block) - 1] == "\n" and memo.endswith(block)


# Misses are remembered only for blocks at least this long: searching shorter ones is cheap,
# and the short "before" parts that processors parse in between must not evict the memo.
_MEMO_MIN_LENGTH = 1000


class _SuffixMemoMixin:
    """For block processors whose test() regex-searches the whole block. After another
    processor consumes the first line(s) of a block, the parser tests the rest again, so a
    block of n heading/rule lines costs O(n^2). The rest is a suffix of the previous block
    starting at a line start, and these patterns only match whole lines, so a failed search
    need not be repeated on it."""

    _no_match: str = ""

    def test(self, parent: etree.Element, block: str) -> bool:
        if _known_miss(self._no_match, block):
            return False
        found = super().test(parent, block)
        if not found and len(block) >= _MEMO_MIN_LENGTH:
            self._no_match = block
        return found


class _HashHeaderProcessor(_SuffixMemoMixin, HashHeaderProcessor):
    pass


class _HRProcessor(_SuffixMemoMixin, HRProcessor):
    pass


class _BlockQuoteProcessor(_SuffixMemoMixin, BlockQuoteProcessor):
    pass


class _FootnoteBlockProcessor(FootnoteBlockProcessor):
    """Its test() accepts every block and run() searches it for a definition; memoize misses
    the same way as _SuffixMemoMixin (the definition pattern also matches whole lines only)."""

    _no_match: str = ""

    def run(self, parent: etree.Element, blocks: list[str]) -> bool:
        block = blocks[0]
        if _known_miss(self._no_match, block):
            return False
        found = super().run(parent, blocks)
        if not found and len(block) >= _MEMO_MIN_LENGTH:
            self._no_match = block
        return found


class _SetextHeaderProcessor(SetextHeaderProcessor):
    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        # As the original, but splitting off only the two heading lines, not the whole block.
        lines = blocks.pop(0).split("\n", 2)
        heading = etree.SubElement(parent, "h1" if lines[1].startswith("=") else "h2")
        heading.text = lines[0].strip()
        if len(lines) > 2:
            blocks.insert(0, lines[2])


class _CodeBlockProcessor(CodeBlockProcessor):
    def detab(self, text: str, length: int | None = None) -> tuple[str, str]:
        """As the original, but without splitting (and re-joining) the lines after the code:
        an indented line followed by a long unindented rest is otherwise O(rest) per block."""
        indent = " " * (self.tab_length if length is None else length)
        code: list[str] = []
        pos = 0
        while pos <= len(text):
            end = text.find("\n", pos)
            line = text[pos:] if end < 0 else text[pos:end]
            if line.startswith(indent):
                code.append(line[len(indent):])
            elif not line.strip():
                code.append("")
            else:
                break
            pos = len(text) + 1 if end < 0 else end + 1
        return "\n".join(code), text[pos:]


def replace_block_processors(md: markdown.Markdown) -> None:
    """Register the processors above in place of the stock ones (same names and priorities)."""
    processors = md.parser.blockprocessors
    processors.register(_CodeBlockProcessor(md.parser), "code", 80)
    table = processors["table"]
    processors.register(_QuickTableProcessor(md.parser, table.config), "table", 75)
    processors.register(_HashHeaderProcessor(md.parser), "hashheader", 70)
    processors.register(_SetextHeaderProcessor(md.parser), "setextheader", 60)
    processors.register(_HRProcessor(md.parser), "hr", 50)
    processors.register(_BlockQuoteProcessor(md.parser), "quote", 20)
    footnotes = processors["footnote"].footnotes
    processors.register(_FootnoteBlockProcessor(footnotes), "footnote", 17)
