"""Markdown -> sanitized HTML, with headings, table of contents and outgoing wiki links.

Pure: no Flask, no database. Callers that know which pages exist pass a resolver
(see wikilinks.LinkTarget); everything returned is already sanitized. This module wires
Python-Markdown together with the parts in the modules next to it (bounded parsing,
heading ids, task lists, highlighting, link collection, the markup budget) and is the
entry point: render_markdown and extract_headings.
"""
from __future__ import annotations

import html
import re
import secrets
import threading
from dataclasses import dataclass
from typing import Callable

import markdown
from markdown.extensions import Extension
from markdown.extensions.codehilite import CodeHiliteExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension

from ..frontmatter import blank_front_matter, parse_front_matter
from .bounded_blocks import replace_block_processors
from .bounded_inline import BoundedFootnoteExtension, bound_link_patterns
from .bounded_preprocessors import (
    BoundedFencedBlockPreprocessor,
    BoundedHtmlBlockPreprocessor,
    NestingClampPreprocessor,
)
# tests/blueprints/test_pathological.py still imports MAX_MARKUP_COST and markup_cost from here.
from .budget import MAX_MARKUP_COST, markup_cost, too_complex_notice
from .codeblocks import TocMarkerTreeprocessor, label_code_blocks
from .displaytitle import OneH1Treeprocessor, clean_title, opening_heading
from .headings import (
    Heading, IdTreeprocessor, decorate_headings, headings_from_toc, mark_sections, marked_section_ids, toc_html,
)
from .highlight import BudgetedHiliteTreeprocessor, new_highlight_budget
from .filelinks import (
    FILE_LINK_PRIORITY,
    FileLinkInlineProcessor,
    FileLinkTreeprocessor,
    FileRef,
    FileResolver,
    default_file_resolver,
)
from .linkcollect import LinkCollectorTreeprocessor
from .mathml import register_math
from .sanitize import preformatted_text, sanitize_html
from .tasklists import TaskListTreeprocessor
from .wikilinks import (
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
    "default_resolver", "display_title", "extract_headings", "render_markdown", "section_ids", "slugify_heading",
]


@dataclass(frozen=True)
class Rendered:
    """Result of render_markdown; html and toc are sanitized."""

    html: str
    toc: str
    headings: tuple[Heading, ...]
    links: tuple[OutgoingLink, ...]
    files: tuple[FileRef, ...] = ()  # files the page uses, in order (wiki.core.markup.filelinks)
    title: str = ""  # the display title (displaytitle.py); "" when the page sets none


class _NexusExtension(Extension):
    """Puts the bounded parsers in place of the stock ones and adds the Nexus processors; the
    priorities (as registered by Python-Markdown) decide where each runs among the stock ones."""

    def __init__(self, wikilinks: list[OutgoingLink], links_out: list[OutgoingLink],
                 file_resolver: FileResolver = default_file_resolver, files_out: list[FileRef] | None = None,
                 drop_opening: bool = False):
        super().__init__()
        self.wikilinks = wikilinks
        self.links_out = links_out
        self.file_resolver = file_resolver
        self.files_out = [] if files_out is None else files_out
        self.drop_opening = drop_opening

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        bound_link_patterns(md)
        register_math(md)
        replace_block_processors(md)
        budget = new_highlight_budget()  # shared by fenced and indented code
        fenced = md.preprocessors["fenced_code_block"]
        md.preprocessors.register(
            BoundedFencedBlockPreprocessor(md, fenced.config, budget), "fenced_code_block", 25
        )
        hilite = md.treeprocessors["hilite"]
        md.treeprocessors.register(BudgetedHiliteTreeprocessor(md, hilite.config, budget), "hilite", 30)
        md.preprocessors.register(BoundedHtmlBlockPreprocessor(md), "html_block", 20)
        md.preprocessors.register(NestingClampPreprocessor(md), "nexus_nesting_clamp", 15)
        md.treeprocessors.register(TaskListTreeprocessor(md), "nexus_tasklist", 25)
        md.treeprocessors.register(OneH1Treeprocessor(md, self.drop_opening), "nexus_one_h1", 7)
        md.treeprocessors.register(TocMarkerTreeprocessor(md), "nexus_toc_marker", 7)
        md.treeprocessors.register(IdTreeprocessor(md), "nexus_ids", 6)  # toc is 5
        md.inlinePatterns.register(
            FileLinkInlineProcessor(self.file_resolver, self.files_out, md), "nexus_filelink", FILE_LINK_PRIORITY
        )
        md.treeprocessors.register(FileLinkTreeprocessor(md, self.file_resolver, self.files_out), "nexus_files", -5)
        md.treeprocessors.register(
            LinkCollectorTreeprocessor(md, self.wikilinks, self.links_out), "nexus_links", -10
        )


def _new_markdown(resolver: Resolver, wikilinks: list[OutgoingLink], links_out: list[OutgoingLink],
                  file_resolver: FileResolver = default_file_resolver, files_out: list[FileRef] | None = None,
                  drop_opening: bool = False):
    return markdown.Markdown(
        output_format="html",
        extensions=[
            TableExtension(use_align_attribute=True),  # align="..." rather than style="..."
            FencedCodeExtension(),
            CodeHiliteExtension(css_class="codehilite", guess_lang=False, use_pygments=True, noclasses=False),
            BoundedFootnoteExtension(SEPARATOR="-"),  # ids fn-1/fnref-1 instead of fn:1
            TocExtension(marker="", slugify=lambda value, _sep: slugify_heading(value)),
            SaneListExtension(),
            WikiLinkExtension(resolver, wikilinks),
            _NexusExtension(wikilinks, links_out, file_resolver, files_out, drop_opening),
        ],
    )


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
    title = clean_title(parse_front_matter(source).get("title"))
    return Rendered(html=body, toc="", headings=(), links=tuple(dict.fromkeys(links)), title=title)


def display_title(source: str) -> str:
    """The display title of a page with this source (displaytitle.py), "" if it sets none.

    Found in the source alone, with no database: the ``title:`` setting, else the plain text
    of the opening ``# heading`` as the renderer gives headings their text.
    """
    front = parse_front_matter(source)
    if explicit := clean_title(front.get("title")):
        return explicit
    line = opening_heading(source, front)
    if line is None:
        return ""
    md, wikilinks, links_out = _title_markdown()
    try:
        md.convert(line)
    except RecursionError:
        _TITLE_MARKDOWN.state = None  # a conversion cut short: never reuse that instance
        return ""
    finally:
        wikilinks.clear()
        links_out.clear()
    return clean_title(html.unescape(md.toc_tokens[0]["name"])) if md.toc_tokens else ""


# One Markdown instance per thread for display_title, reset before each use: building one
# (its extensions and their patterns) took 1.1 ms, three quarters of a display title, and
# every render, import plan and save asks for one (bench/RESULTS.md, 2026-12-01 evening).
_TITLE_MARKDOWN = threading.local()


def _title_markdown():
    state = getattr(_TITLE_MARKDOWN, "state", None)
    if state is None:
        wikilinks, links_out = [], []
        state = _TITLE_MARKDOWN.state = (_new_markdown(default_resolver, wikilinks, links_out), wikilinks, links_out)
    state[0].reset()
    return state


def _prepare_source(source: str) -> tuple[str, str, bool]:
    """(source as the renderer sees it, display title, whether the opening heading is the
    title and so left out of the content)."""
    front = parse_front_matter(source)
    title = display_title(source)
    drop_opening = bool(title) and not clean_title(front.get("title"))
    return blank_front_matter(source, front), title, drop_opening


# Here, not in headings.py: it runs the whole pipeline (_new_markdown), which imports headings.py.
def extract_headings(source: str) -> tuple[Heading, ...]:
    """The headings render_markdown(source) returns, for about half its work (no sanitizing,
    no decorating): for bulk jobs that need the headings of many pages before rendering."""
    source, _title, drop_opening = _prepare_source(source)
    md = _new_markdown(default_resolver, [], [], drop_opening=drop_opening)
    try:
        md.convert(source)
    except RecursionError:
        return ()  # render_markdown falls back to showing the text, without headings
    return tuple(headings_from_toc(md.toc_tokens))


def section_ids(source: str) -> dict[int, str]:
    """Section number (wiki.core.markup.sections) -> the id render_markdown gives its heading,
    found as the section edit links are placed; {} for a source shown as text (over budget)."""
    if markup_cost(source) > MAX_MARKUP_COST:
        return {}
    nonce = secrets.token_hex(8)
    source, _title, drop_opening = _prepare_source(source)  # as render_markdown sees it
    md = _new_markdown(default_resolver, [], [], drop_opening=drop_opening)
    try:
        converted = md.convert(mark_sections(source, nonce))
    except RecursionError:
        return {}
    return marked_section_ids(converted, nonce)


def render_markdown(
    source: str,
    resolver: Resolver | None = None,
    section_edit_url: Callable[[int], str] | None = None,
    file_resolver: FileResolver | None = None,
    section_discuss_url: Callable[[str], str] | None = None,
) -> Rendered:
    """Render Markdown with wiki links to sanitized HTML plus TOC, headings and outgoing links.

    With ``section_edit_url`` (section number -> URL), each section heading gets an edit link,
    and with ``section_discuss_url`` (heading id -> URL) a link to discuss it as well.
    ``file_resolver`` says where the page's files are (wiki.core.markup.filelinks).
    """
    if (cost := markup_cost(source)) > MAX_MARKUP_COST:
        return _fallback(source, too_complex_notice(cost))
    wikilinks: list[OutgoingLink] = []
    links: list[OutgoingLink] = []
    nonce = secrets.token_hex(8) if section_edit_url else None
    original = source
    source, title, drop_opening = _prepare_source(source)
    # A new instance per call: Markdown instances keep per-document state (footnotes, stash).
    files: list[FileRef] = []
    md = _new_markdown(resolver or default_resolver, wikilinks, links, file_resolver or default_file_resolver, files,
                       drop_opening)
    try:
        converted = md.convert(mark_sections(source, nonce) if nonce else source)
    except RecursionError:
        return _fallback(original)
    body = sanitize_html(label_code_blocks(decorate_headings(converted, nonce, section_edit_url, section_discuss_url)))
    tokens = md.toc_tokens
    return Rendered(
        html=body,
        toc=sanitize_html(toc_html(tokens)) if tokens else "",
        headings=tuple(headings_from_toc(tokens)),
        links=tuple(dict.fromkeys(links)),
        files=tuple(dict.fromkeys(files)),
        title=title,
    )
