"""Markdown -> sanitized HTML, with headings, table of contents and outgoing wiki links.

Pure: no Flask, no database. Callers that know which pages exist pass a resolver
(see wikilinks.LinkTarget); everything returned is already sanitized.
"""
from __future__ import annotations

import bisect
import secrets
import html
import re
import urllib.parse
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from typing import Callable
from html.parser import HTMLParser

import markdown
from markdown.blockprocessors import (
    BlockQuoteProcessor,
    CodeBlockProcessor,
    HashHeaderProcessor,
    HRProcessor,
    SetextHeaderProcessor,
)
from markdown.extensions import Extension
from markdown.extensions.codehilite import CodeHiliteExtension, HiliteTreeprocessor
from markdown.extensions.fenced_code import FencedBlockPreprocessor, FencedCodeExtension
from markdown.extensions.footnotes import FootnoteBlockProcessor, FootnoteExtension, FootnoteInlineProcessor
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension, TableProcessor
from markdown.extensions.toc import TocExtension, remove_fnrefs, render_inner_html, strip_tags
from markdown.htmlparser import HTMLExtractor
from markdown.htmlparser import htmlparser as _md_htmlparser
from markdown.preprocessors import HtmlBlockPreprocessor, Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import HTML_PLACEHOLDER_RE

from .sanitize import is_safe_id, preformatted_text, sanitize_html
from .sections import find_sections
from .wikilinks import (
    INDEX_ATTRIBUTE,
    MAX_TARGET_LENGTH,
    WIKILINK_RE,
    LinkTarget,
    OutgoingLink,
    Resolver,
    WikiLinkExtension,
    default_resolver,
    parse_wikilink,
    slugify_heading,
)

__all__ = [
    "Heading", "LinkTarget", "OutgoingLink", "Rendered", "Resolver",
    "default_resolver", "extract_headings", "render_markdown", "slugify_heading",
]

_HEADING_TAGS = frozenset(f"h{level}" for level in range(1, 7))


@dataclass(frozen=True)
class Heading:
    """A heading of the rendered page."""

    level: int   # 1..6
    text: str    # plain text, no markup
    id: str      # id attribute in the HTML: safe and unique in the page


@dataclass(frozen=True)
class Rendered:
    """Result of render_markdown; html and toc are sanitized."""

    html: str
    toc: str
    headings: tuple[Heading, ...]
    links: tuple[OutgoingLink, ...]


# --- Bounds against pathological input ---------------------------------------------------
#
# Python-Markdown has several scans that restart from every candidate position and run to
# the end of the text when nothing closes, which is quadratic: 100 KB of "[" takes minutes,
# "<a <a <a ..." and "[a](((..." likewise, and deeply nested lists/quotes are both slow and
# recursive (RecursionError past a few hundred levels). The pieces below bound that work.

MAX_BRACKET_DEPTH = 8      # nesting of [] in link text and of () in link destinations
MAX_TAG_LENGTH = 2048      # a raw HTML start tag longer than this is treated as text
MAX_INDENT = 64            # leading spaces kept on a line (deeper list nesting is flattened)
MAX_QUOTE_DEPTH = 16       # blockquote markers kept at the start of a line
MAX_HIGHLIGHTED_BLOCKS = 200  # code blocks beyond this are not run through Pygments (~0.5 ms each)
# ... nor code beyond this many characters: Pygments makes a <span> of nearly every word and
# bleach needs ~10 us for each, so 1 MiB of "a b c" in one block took a minute, under the
# markup budget (it counts lines and markup characters, not words). Such code is shown plain.
MAX_HIGHLIGHTED_CHARS = 20_000
_LINK_TITLE_SLACK = 80     # see _BoundedLinkMixin.getLink

_BRACKETS = re.compile(r"[\[\]]")
_PARENS = re.compile(r"[()]")
# Fast rejection: MAX_BRACKET_DEPTH more openers before any closer (e.g. "[[[[[[...").
_TOO_MANY_BRACKETS = re.compile(r"(?:[^\[\]]*\[){%d}" % MAX_BRACKET_DEPTH)
_TOO_MANY_PARENS = re.compile(r"(?:[^()]*\(){%d}" % (MAX_BRACKET_DEPTH + 1))


class _BoundedLinkMixin:
    """Replaces LinkInlineProcessor.getText/getLink scans with ones that give up past
    MAX_BRACKET_DEPTH levels of nesting. Each scan ends at its closing bracket or after
    MAX_BRACKET_DEPTH unclosed openers, so any position is scanned by at most
    MAX_BRACKET_DEPTH + 1 starts and the total work is linear in the text."""

    def getText(self, data: str, index: int) -> tuple[str, int, bool]:  # noqa: N802 (Markdown's API)
        if _TOO_MANY_BRACKETS.match(data, index):
            return "", index, False
        depth = 1
        for m in _BRACKETS.finditer(data, index):
            if m.group() == "[":
                depth += 1
                if depth > MAX_BRACKET_DEPTH:
                    break
            else:
                depth -= 1
                if depth == 0:
                    return data[index:m.start()], m.end(), True
        return "", index, False

    def getLink(self, data: str, index: int):  # noqa: N802 (Markdown's API)
        if not data.startswith("(", index) or _TOO_MANY_PARENS.match(data, index):
            return "", None, index, False
        depth = 0
        end = -1
        for m in _PARENS.finditer(data, index):
            depth += 1 if m.group() == "(" else -1
            if depth == 0:
                end = m.end()
                break
            if depth > MAX_BRACKET_DEPTH:
                break
        if end < 0:
            return "", None, index, False
        # The original parser (quote-aware: a ')' inside a "title" does not close) runs on a
        # window that ends a little after the quote-blind close found above.
        window = data[index:min(len(data), end + _LINK_TITLE_SLACK)]
        href, title, stop, handled = super().getLink(window, 0)
        return href, title, index + stop, handled


_LINK_PATTERNS = {  # registered name -> priority, as in markdown.inlinepatterns
    "reference": 170, "link": 160, "image_link": 150,
    "image_reference": 140, "short_reference": 130, "short_image_ref": 125,
}


def _bound_link_patterns(md: markdown.Markdown) -> None:
    for name, priority in _LINK_PATTERNS.items():
        old = md.inlinePatterns[name]
        bounded = type(f"Bounded{type(old).__name__}", (_BoundedLinkMixin, type(old)), {})
        md.inlinePatterns.register(bounded(old.pattern, md), name, priority)
    # The stock footnote pattern \[\^([^\]]*)\] scans to the next ']' from every "[^"; also
    # excluding '[' and newlines makes the scans disjoint.
    footnotes = md.inlinePatterns["footnote"].footnotes
    md.inlinePatterns.register(_FootnoteInlineProcessor(r"\[\^([^\[\]\n]+)\]", footnotes), "footnote", 175)


class _FootnoteExtension(FootnoteExtension):
    """Footnotes with O(1) bookkeeping per reference; the stock code scans lists of all
    references/footnotes for each one (quadratic with thousands of footnote references)."""

    def reset(self) -> None:
        super().reset()
        self._order_seen: set[str] = set()

    def addFootnoteRef(self, id: str) -> None:  # noqa: A002, N802 (Markdown's API)
        if id not in self._order_seen:
            self._order_seen.add(id)
            self.footnote_order.append(id)

    def unique_ref(self, reference: str, found: bool = False) -> str:
        # Same ids as the stock version: fnref-x, then fnref2-x, fnref3-x, ... for repeats.
        if not found:
            return reference
        count = self.found_refs.get(reference, 0)
        candidate = reference
        if count or candidate in self.used_refs:
            prefix, rest = reference.split(self.get_separator(), 1)
            n = count + 1 if count else 2
            while (candidate := f"{prefix}{n}{self.get_separator()}{rest}") in self.used_refs:
                n += 1
        self.used_refs.add(candidate)
        self.found_refs[reference] = count + 1
        return candidate


class _FootnoteInlineProcessor(FootnoteInlineProcessor):
    """Numbers footnotes (in definition order, the default) from a dict instead of calling
    list(...).index() for every reference."""

    def handleMatch(self, m: re.Match[str], data: str):  # noqa: N802 (Markdown's API)
        footnotes = self.footnotes.footnotes
        if getattr(self, "_numbered", None) is not footnotes or len(self._numbers) != len(footnotes):
            self._numbered = footnotes
            self._numbers = {key: n for n, key in enumerate(footnotes, start=1)}
        footnote_id = m.group(1)
        if footnote_id not in self._numbers:
            return None, None, None
        self.footnotes.addFootnoteRef(footnote_id)
        sup = etree.Element("sup")
        a = etree.SubElement(sup, "a")
        sup.set("id", self.footnotes.makeFootnoteRefId(footnote_id, found=True))
        a.set("href", "#" + self.footnotes.makeFootnoteId(footnote_id))
        a.set("class", "footnote-ref")
        a.text = self.footnotes.getConfig("SUPERSCRIPT_TEXT").format(self._numbers[footnote_id])
        return sup, m.start(0), m.end(0)


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


class _BoundedHtmlBlockPreprocessor(HtmlBlockPreprocessor):
    def run(self, lines: list[str]) -> list[str]:
        parser = _BoundedHTMLExtractor(self.md)
        parser.feed("\n".join(lines))
        parser.close()
        return "".join(parser.cleandoc).split("\n")


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


def _replace_block_processors(md: markdown.Markdown) -> None:
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


_FENCE_OPENER = re.compile(
    r"(?P<fence>~{3,}|`{3,})[ ]*(?:\{[^\n]*\}|(?:\.?[\w#.+-]*[ ]*)?(?:hl_lines=(?P<q>\"|').*?(?P=q)[ ]*)?)"
)
_FENCE_LINE = re.compile(r"(~{3,}|`{3,})[ ]*")


class _FencedBlockPreprocessor(FencedBlockPreprocessor):
    """The stock preprocessor searches the whole text with one regex whose lazy body runs to
    the end of the text from every unclosed fence ("```a" x 10,000 is quadratic). Here fences
    are paired line by line with a lookup of closing lines; the stock code then runs on each
    block alone. Also stops highlighting after MAX_HIGHLIGHTED_BLOCKS blocks or
    MAX_HIGHLIGHTED_CHARS characters of code."""

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
            self._spend_budget(lines[number:close + 1])
            out.extend(super().run(lines[number:close + 1]))
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


class _HiliteTreeprocessor(HiliteTreeprocessor):
    """Indented code blocks: highlighted only while the page's highlighting budget lasts."""

    def __init__(self, md: markdown.Markdown, config: dict, budget: list[int]):
        super().__init__(md)
        self.config = config
        self.budget = budget

    def run(self, root: etree.Element) -> None:
        codes = [pre[0] for pre in root.iter("pre") if len(pre) == 1 and pre[0].tag == "code"]
        self.budget[0] -= len(codes)
        self.budget[1] -= sum(len(code.text or "") for code in codes)
        if self.budget[0] < 0 or self.budget[1] < 0:
            self.config = {**self.config, "use_pygments": False}
        super().run(root)


_LEADING_SPACES = re.compile(r"^ {%d,}" % (MAX_INDENT + 1))
_QUOTE_MARKERS = re.compile(r"^(?:[ ]{0,3}>){%d,}" % (MAX_QUOTE_DEPTH + 1))


class _NestingClampPreprocessor(Preprocessor):
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


# --- Task lists ---------------------------------------------------------------------------

_TASK_MARK = re.compile(r"\[([ xX])\](?:[ \t]+|$)")


class _TaskListTreeprocessor(Treeprocessor):
    """"- [ ] x" / "- [x] x" -> a disabled checkbox. Runs before inline processing, so the
    "[ ]" is still plain text (and is never taken for a link)."""

    def run(self, root: etree.Element) -> None:
        for lst in list(root.iter()):
            if lst.tag not in ("ul", "ol"):
                continue
            found = False
            for li in lst:
                if li.tag == "li" and self._make_task(li):
                    found = True
            if found:
                lst.set("class", "task-list")

    @staticmethod
    def _make_task(li: etree.Element) -> bool:
        holder = li
        if not (li.text or "").strip() and len(li) and li[0].tag == "p":  # loose list: <li><p>
            holder = li[0]
        m = _TASK_MARK.match((holder.text or "").lstrip())
        if not m:
            return False
        box = etree.Element("input", {"type": "checkbox", "disabled": "disabled"})
        if m.group(1) != " ":
            box.set("checked", "checked")
        rest = (holder.text or "").lstrip()[m.end():]
        box.tail = " " + rest if rest else None
        holder.text = None
        holder.insert(0, box)
        li.set("class", "task-list-item")
        return True


# --- Element ids ----------------------------------------------------------------------------

class _UniqueIds:
    """Hands out ids not used before in the page: base, then base-2, base-3, ..."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self._next: dict[str, int] = {}  # base -> next suffix to try, so repeats stay O(1)

    def add(self, value: str) -> None:
        self.used.add(value)

    def __contains__(self, value: str) -> bool:
        return value in self.used

    def make(self, base: str) -> str:
        candidate = base
        if candidate in self.used:
            n = self._next.get(base, 2)
            while (candidate := f"{base}-{n}") in self.used:
                n += 1
            self._next[base] = n + 1
        self.used.add(candidate)
        return candidate


def _heading_text(el: etree.Element, md: markdown.Markdown) -> str:
    """Plain text of a heading element, computed as the toc extension does."""
    return html.unescape(strip_tags(render_inner_html(remove_fnrefs(el), md)))


class _IdTreeprocessor(Treeprocessor):
    """Gives every heading an id from slugify_heading, de-duplicated as x, x-2, x-3 (the toc
    extension, which runs next, keeps existing ids). Ids already present (footnotes; their
    labels are author text) are made safe first, links to them follow, and headings avoid them."""

    def run(self, root: etree.Element) -> None:
        ids = _UniqueIds()
        renamed: dict[str, str] = {}
        for el in root.iter():
            old = el.get("id")
            if old is None or el.tag in _HEADING_TAGS:
                continue
            new = old if is_safe_id(old) and old not in ids else ids.make(slugify_heading(old))
            ids.add(new)
            if new != old:
                el.set("id", new)
                renamed[old] = new
        if renamed:
            for a in root.iter("a"):
                href = a.get("href", "")
                if href.startswith("#") and href[1:] in renamed:
                    a.set("href", "#" + renamed[href[1:]])
        for el in root.iter():
            if el.tag in _HEADING_TAGS:
                el.set("id", ids.make(slugify_heading(_heading_text(el, self.md))))


# --- Outgoing links -------------------------------------------------------------------------

def link_from_href(href: str) -> OutgoingLink | None:
    """OutgoingLink for a relative "/wiki/Title[#section]" href (not "/-/" actions), else None."""
    if not href.startswith("/wiki/") or "/-/" in href:
        return None
    path, _, fragment = href[len("/wiki/"):].partition("#")
    target = urllib.parse.unquote(path.partition("?")[0]).replace("_", " ").strip()
    if not target or len(target) > MAX_TARGET_LENGTH:
        return None
    return OutgoingLink(target, urllib.parse.unquote(fragment).strip() or None)


class _AnchorHrefs(HTMLParser):
    """Collects the href of every <a> in a raw HTML snippet."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href.strip())


class _LinkCollectorTreeprocessor(Treeprocessor):
    """Runs last: lists wiki links and /wiki/ links (also those in raw HTML) in document order."""

    def __init__(self, md: markdown.Markdown, wikilinks: list[OutgoingLink], out: list[OutgoingLink]):
        super().__init__(md)
        self.wikilinks = wikilinks
        self.out = out

    def run(self, root: etree.Element) -> None:
        # Iterative pre-order walk; an element's tail is handled after its children.
        stack: list[tuple[etree.Element, bool]] = [(root, False)]
        while stack:
            el, children_done = stack.pop()
            if children_done:
                self._scan_raw_html(el.tail)
                continue
            if el.tag == "a":
                self._visit_anchor(el)
            self._scan_raw_html(el.text)
            stack.append((el, True))
            stack.extend((child, False) for child in reversed(el))

    def _visit_anchor(self, el: etree.Element) -> None:
        index = el.attrib.pop(INDEX_ATTRIBUTE, None)
        if index is not None:
            self.out.append(self.wikilinks[int(index)])
        else:
            self._add_href(el.get("href", ""))

    def _add_href(self, href: str) -> None:
        link = link_from_href(href)
        if link is not None:
            self.out.append(link)

    def _scan_raw_html(self, text: str | None) -> None:
        if not text or "\x02" not in text:
            return
        for m in HTML_PLACEHOLDER_RE.finditer(text):
            blocks = self.md.htmlStash.rawHtmlBlocks
            raw = blocks[int(m.group(1))] if int(m.group(1)) < len(blocks) else None
            if isinstance(raw, str) and "<a" in raw.lower():
                parser = _AnchorHrefs()
                parser.feed(raw)
                parser.close()
                for href in parser.hrefs:
                    self._add_href(href)


# --- Assembly ---------------------------------------------------------------------------------

class _NexusExtension(Extension):
    def __init__(self, wikilinks: list[OutgoingLink], links_out: list[OutgoingLink]):
        super().__init__()
        self.wikilinks = wikilinks
        self.links_out = links_out

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        _bound_link_patterns(md)
        _replace_block_processors(md)
        budget = [MAX_HIGHLIGHTED_BLOCKS, MAX_HIGHLIGHTED_CHARS]  # shared by fenced and indented code
        fenced = md.preprocessors["fenced_code_block"]
        md.preprocessors.register(_FencedBlockPreprocessor(md, fenced.config, budget), "fenced_code_block", 25)
        hilite = md.treeprocessors["hilite"]
        md.treeprocessors.register(_HiliteTreeprocessor(md, hilite.config, budget), "hilite", 30)
        md.preprocessors.register(_BoundedHtmlBlockPreprocessor(md), "html_block", 20)
        md.preprocessors.register(_NestingClampPreprocessor(md), "nexus_nesting_clamp", 15)
        md.treeprocessors.register(_TaskListTreeprocessor(md), "nexus_tasklist", 25)
        md.treeprocessors.register(_IdTreeprocessor(md), "nexus_ids", 6)  # toc is 5
        md.treeprocessors.register(
            _LinkCollectorTreeprocessor(md, self.wikilinks, self.links_out), "nexus_links", -10
        )


def _new_markdown(resolver: Resolver, wikilinks: list[OutgoingLink], links_out: list[OutgoingLink]):
    return markdown.Markdown(
        output_format="html",
        extensions=[
            TableExtension(use_align_attribute=True),  # align="..." rather than style="..."
            FencedCodeExtension(),
            CodeHiliteExtension(css_class="codehilite", guess_lang=False, use_pygments=True, noclasses=False),
            _FootnoteExtension(SEPARATOR="-"),  # ids fn-1/fnref-1 instead of fn:1
            TocExtension(marker="", slugify=lambda value, _sep: slugify_heading(value)),
            SaneListExtension(),
            WikiLinkExtension(resolver, wikilinks),
            _NexusExtension(wikilinks, links_out),
        ],
    )


def _toc_html(tokens: list[dict]) -> str:
    if not tokens:
        return ""
    items = "".join(
        '<li><a href="#{}">{}</a>{}</li>'.format(
            html.escape(t["id"]), html.escape(html.unescape(t["name"]), quote=False), _toc_html(t["children"])
        )
        for t in tokens
    )
    return f"<ul>{items}</ul>"


def _flatten(tokens: list[dict]):
    for t in tokens:
        yield Heading(t["level"], html.unescape(t["name"]), t["id"])
        yield from _flatten(t["children"])


def _fallback(source: str, notice: str = "") -> Rendered:
    """The source shown as text: rendering failed (nesting too deep even after clamping), or
    the page has more markup than MAX_MARKUP_COST allows (``notice`` says so to readers)."""
    links = []
    for m in re.finditer(WIKILINK_RE, source):
        parsed = parse_wikilink(m.group(1))
        if parsed is not None:
            links.append(parsed[0])
    body = preformatted_text(source, "render-fallback")
    if notice:
        body = f'<div class="render-fallback">{html.escape(notice, quote=False)}</div>' + body
    return Rendered(html=body, toc="", headings=(), links=tuple(dict.fromkeys(links)))


# --- The markup budget ----------------------------------------------------------------------
#
# Python-Markdown and bleach cost 20-200 microseconds per element on this kind of machine, so a
# megabyte of dense markup ("# h" lines, "[[x]]", "<b>x</b>", "a" paragraphs, table rows)
# takes 20-60 s to render: long enough to stall a worker on every save or preview. Before
# rendering, markup_cost() counts what can become an element (line breaks, markup characters,
# with extra weight for the costliest: headings, footnotes, nesting). Over MAX_MARKUP_COST the
# page is shown as its text with a notice, which takes milliseconds; the source is saved as
# written. bench/pathological.py --http measures the costliest pages just under the budget:
# at most 1.1 s to save and view on a busy shared 2-core machine (15,000 Markdown links; 2,500
# "# h" headings 0.8 s: headings weigh most, each gets an id, a permalink and a TOC entry).
# The budget was 10,000 at first; 30,000 keeps that worst case well under 2 s while
# formatting three times larger real pages. Highlighted code,
# whose cost is per word, has its own budget (MAX_HIGHLIGHTED_CHARS). Typical documentation
# costs about 0.1 per byte, so pages up to ~300 KB of it are formatted.

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
    return cost + _EXTRA_WEIGHT["\n#"] * source.startswith("#")


def _too_complex_notice(cost: int) -> str:
    return (f"This page has too much markup to format ({cost:,} lines and markup characters, weighted; "
            f"the limit is {MAX_MARKUP_COST:,}), so its text is shown as written. "
            "Splitting it into several pages formats it again.")


_HEADING_WITH_ID = re.compile(r'<(h[1-6]) id="([^"<>]+)"([^>]*)>(.*?)</\1>', re.S)


def _mark_sections(source: str, nonce: str) -> str:
    """Put a marker comment before each section heading (see wiki.core.markup.sections).

    Section numbers come from the source, not from the HTML: the marker tells which
    rendered heading starts section N, so an edit link can never point at the wrong one.
    The nonce keeps authors from forging markers of their own.
    """
    lines = source.splitlines(keepends=True)
    for section in reversed(find_sections(source)):
        lines.insert(section.start, f"\n<!--nexus-section-{nonce}:{section.number}-->\n\n")
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join(lines)


def _decorate_headings(html_text: str, nonce: str | None, section_edit_url) -> str:
    """Give headings a permalink (¶) and, where a section marker precedes one, an edit link."""

    def permalink(m: re.Match[str]) -> str:
        tag, anchor, rest, inner = m.groups()
        link = f'<a class="headerlink" href="#{anchor}" title="Link to this section">¶</a>'
        return f'<{tag} id="{anchor}"{rest}>{inner}{link}</{tag}>'

    html_text = _HEADING_WITH_ID.sub(permalink, html_text)
    if nonce is None:
        return html_text
    marked = re.compile(rf"<!--nexus-section-{nonce}:(\d+)-->\s*<(h[1-6])\b([^>]*)>(.*?)</\2>", re.S)

    def edit_link(m: re.Match[str]) -> str:
        number, tag, attrs, inner = m.groups()
        href = html.escape(section_edit_url(int(number)), quote=True)
        link = f'<a class="section-edit" href="{href}" title="Edit this section">edit</a>'
        return f"<{tag}{attrs}>{inner}{link}</{tag}>"

    html_text = marked.sub(edit_link, html_text)
    return re.sub(rf"<!--nexus-section-{nonce}:\d+-->", "", html_text)


def extract_headings(source: str) -> tuple[Heading, ...]:
    """The headings render_markdown(source) returns, for about half its work (no sanitizing,
    no decorating): for bulk jobs that need the headings of many pages before rendering."""
    md = _new_markdown(default_resolver, [], [])
    try:
        md.convert(source)
    except RecursionError:
        return ()  # render_markdown falls back to showing the text, without headings
    return tuple(_flatten(md.toc_tokens))


def render_markdown(
    source: str,
    resolver: Resolver | None = None,
    section_edit_url: Callable[[int], str] | None = None,
) -> Rendered:
    """Render Markdown with wiki links to sanitized HTML plus TOC, headings and outgoing links.

    With ``section_edit_url`` (section number -> URL), each section heading gets an edit link.
    """
    if (cost := markup_cost(source)) > MAX_MARKUP_COST:
        return _fallback(source, _too_complex_notice(cost))
    wikilinks: list[OutgoingLink] = []
    links: list[OutgoingLink] = []
    nonce = secrets.token_hex(8) if section_edit_url else None
    # A new instance per call: Markdown instances keep per-document state (footnotes, stash).
    md = _new_markdown(resolver or default_resolver, wikilinks, links)
    try:
        converted = md.convert(_mark_sections(source, nonce) if nonce else source)
    except RecursionError:
        return _fallback(source)
    body = sanitize_html(_decorate_headings(converted, nonce, section_edit_url))
    tokens = md.toc_tokens
    return Rendered(
        html=body,
        toc=sanitize_html(_toc_html(tokens)) if tokens else "",
        headings=tuple(_flatten(tokens)),
        links=tuple(dict.fromkeys(links)),
    )
