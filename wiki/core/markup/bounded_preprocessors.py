"""Bounded replacements for Python-Markdown's preprocessors, and a clamp on nesting depth.

The stock raw-HTML and fenced-code preprocessors run a scan to the end of the text from every
unclosed "<a" or "```", which is quadratic: "<a <a <a ..." took minutes. Deeply nested lists
and quotes are parsed recursively and slowly, and past a few hundred levels raise
RecursionError; the nesting clamp flattens what is deeper than any real page. The
fenced-code preprocessor also spends the page's highlighting budget (highlight.py).
"""
from __future__ import annotations

import bisect
import re

import markdown
from markdown.extensions.codehilite import CodeHiliteExtension
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.htmlparser import HTMLExtractor
from markdown.htmlparser import htmlparser as _md_htmlparser
from markdown.preprocessors import HtmlBlockPreprocessor, Preprocessor

from .codeblocks import fence_language, with_language_label
from .fencedspecial import render_special_fence
from .learningpaths import LANGUAGE, outline_markdown

MAX_TAG_LENGTH = 2048      # a raw HTML start tag longer than this is treated as text
MAX_INDENT = 64            # leading spaces kept on a line (deeper list nesting is flattened)
MAX_QUOTE_DEPTH = 16       # blockquote markers kept at the start of a line


# --- Raw HTML -------------------------------------------------------------------------------

class _BoundedHTMLExtractor(HTMLExtractor):
    """Raw-HTML block extractor whose start-tag scan looks at most MAX_TAG_LENGTH chars ahead.
    The stdlib regex otherwise runs to the end of the text from every "<x" in "<a <a <a ..."."""

    _no_tags_before = 0

    def check_for_whole_start_tag(self, i: int) -> int:
        rawdata = self.rawdata
        limit = i + MAX_TAG_LENGTH
        if limit >= len(rawdata):
            return super().check_for_whole_start_tag(i)
        if i < self._no_tags_before:
            return -1
        m = _md_htmlparser.locatestarttagend_tolerant.match(rawdata, i, limit)
        if m is None or m.end() >= limit:
            # Too long to be a tag: the caller emits '<' as text and moves on. The text up to
            # the limit parses as one long run of attributes with no '>', so a '<' inside it
            # does not start a (short) tag either; skip it rather than rescanning from each.
            self._no_tags_before = limit
            return -1
        # The remaining decisions of html.parser's version, applied to the bounded match.
        j = m.end()
        nxt = rawdata[j]
        if nxt == ">":
            return j + 1
        if nxt == "/":
            return j + 2 if rawdata.startswith("/>", j) else -1
        if nxt.isascii() and (nxt.isalpha() or nxt in "=/"):
            return -1
        return j if j > i else i + 1


class BoundedHtmlBlockPreprocessor(HtmlBlockPreprocessor):
    """The stock raw-HTML preprocessor, with the bounded extractor above."""

    def run(self, lines: list[str]) -> list[str]:
        parser = _BoundedHTMLExtractor(self.md)
        parser.feed("\n".join(lines))
        parser.close()
        return "".join(parser.cleandoc).split("\n")


# --- Fenced code ----------------------------------------------------------------------------

_FENCE_OPENER = re.compile(
    r"(?P<fence>~{3,}|`{3,})[ ]*(?:\{[^\n]*\}|(?:\.?[\w#.+-]*[ ]*)?(?:hl_lines=(?P<q>\"|').*?(?P=q)[ ]*)?)"
)
_FENCE_LINE = re.compile(r"(~{3,}|`{3,})[ ]*")


class BoundedFencedBlockPreprocessor(FencedBlockPreprocessor):
    """The stock preprocessor searches the whole text with one regex whose lazy body runs to
    the end of the text from every unclosed fence ("```a" x 10,000 is quadratic). Here fences
    are paired line by line with a lookup of closing lines; the stock code then runs on each
    block alone. Also stops highlighting after MAX_HIGHLIGHTED_BLOCKS blocks or
    MAX_HIGHLIGHTED_CHARS characters of code (``budget``, see highlight.py)."""

    def __init__(self, md: markdown.Markdown, config: dict, budget: list[int]):
        super().__init__(md, config)
        self.budget = budget
        # The stock run() looks up the codehilite configuration on first use; all extensions
        # are registered by now, so do it here (attr_list, also looked for, is not used).
        for ext in md.registeredExtensions:
            if isinstance(ext, CodeHiliteExtension):
                self.codehilite_conf = ext.getConfigs()
        self.checked_for_deps = True

    def run(self, lines: list[str]) -> list[str]:
        closers: dict[str, list[int]] = {}  # fence string -> line numbers of lines closing it
        for number, line in enumerate(lines):
            m = _FENCE_LINE.fullmatch(line)
            if m:
                closers.setdefault(m.group(1), []).append(number)
        if not closers:
            return lines
        out: list[str] = []
        done = 0  # lines before this are in out
        number = 0
        while number < len(lines):
            m = _FENCE_OPENER.fullmatch(lines[number])
            close = self._closing_line(closers, m.group("fence"), number) if m else None
            if close is None:
                number += 1
                continue
            out.extend(lines[done:number])
            language = fence_language(lines[number])
            special = render_special_fence(language, lines[number + 1:close])
            if language.lower() == LANGUAGE:  # a learning path (learningpaths.py): its steps are links
                out.extend(["", self.md.htmlStash.store('<div class="learning-path">'), "",
                            *outline_markdown(lines[number + 1:close]), "", self.md.htmlStash.store("</div>"), ""])
            elif special is not None:  # mermaid, math: fencedspecial.py
                out.extend(["", self.md.htmlStash.store(special), ""])
            else:
                self._spend_budget(lines[number:close + 1])
                stashed = len(self.md.htmlStash.rawHtmlBlocks)
                out.extend(super().run(lines[number:close + 1]))
                if language and len(self.md.htmlStash.rawHtmlBlocks) == stashed + 1:
                    # The label goes before the block (codeblocks.py names the <pre> after it).
                    block = self.md.htmlStash.rawHtmlBlocks[stashed]
                    self.md.htmlStash.rawHtmlBlocks[stashed] = with_language_label(language, block)
            done = number = close + 1
        out.extend(lines[done:])
        return out

    @staticmethod
    def _closing_line(closers: dict[str, list[int]], fence: str, opener: int) -> int | None:
        candidates = closers.get(fence, [])
        i = bisect.bisect_right(candidates, opener)
        return candidates[i] if i < len(candidates) else None

    def _spend_budget(self, block: list[str]) -> None:
        self.budget[0] -= 1
        self.budget[1] -= sum(len(line) + 1 for line in block)
        if (self.budget[0] < 0 or self.budget[1] < 0) and self.codehilite_conf:
            self.codehilite_conf["use_pygments"] = False


# --- Nesting depth --------------------------------------------------------------------------

_LEADING_SPACES = re.compile(r"^ {%d,}" % (MAX_INDENT + 1))
_QUOTE_MARKERS = re.compile(r"^(?:[ ]{0,3}>){%d,}" % (MAX_QUOTE_DEPTH + 1))


class NestingClampPreprocessor(Preprocessor):
    """Caps leading indentation and '>' runs, bounding list/blockquote nesting depth.
    Runs after fenced code and raw HTML were stashed, so their content is untouched."""

    def run(self, lines: list[str]) -> list[str]:
        return [self._clamp(line) for line in lines]

    @staticmethod
    def _clamp(line: str) -> str:
        if line.startswith(" " * (MAX_INDENT + 1)):
            line = _LEADING_SPACES.sub(" " * MAX_INDENT, line, count=1)
        if line.lstrip(" ").startswith(">"):
            line = _QUOTE_MARKERS.sub(">" * MAX_QUOTE_DEPTH, line, count=1)
        return line
