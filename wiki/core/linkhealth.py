"""Link health as values: where in a source a broken link is, which section holds it, and the
existing heading a link to a missing section most likely meant.

The renderer decides whether a link is broken (its resolver); this module only places what
it found in the source, so that an editor can be sent to the very line. Pure: standard
library and the wiki's own pure modules.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from .frontmatter import parse_front_matter
from .markup.linkcollect import link_from_href
from .markup.sections import find_sections, section_lines
from .markup.wikilinks import WIKILINK_RE, parse_wikilink, slugify_heading
from .titles import InvalidTitle, canonical_key

KINDS = ("page", "section", "file")  # a missing page, a missing section of a page, a missing file
KIND_LABELS = {"page": "missing page", "section": "missing section", "file": "missing file"}
SUGGEST_CUTOFF = 0.5  # difflib ratio below which no heading is suggested

_FENCE = re.compile(r"^(`{3,}|~{3,})")
_HREF = re.compile(r"""/wiki/[^\s()<>"'\]]+""")


@dataclass(frozen=True)
class Located:
    """Where a link is: its 1-based line (None when no line of the source shows it, e.g. a
    link a redirect line makes) and the number of the innermost section holding that line
    (None: before the first heading, the editor then opens the whole page)."""

    line: int | None
    section: int | None


def _key(title: str) -> str | None:
    try:
        return canonical_key(title)
    except InvalidTitle:
        return None


def _text_lines(source: str) -> list[tuple[int, str]]:
    """(0-based index, text) of the lines the renderer reads as Markdown: front matter and
    fenced code are left out (a link written there is no link)."""
    lines = section_lines(source)
    skip = parse_front_matter(source).lines
    out, fence = [], None
    for index, raw in enumerate(lines):
        text = raw.rstrip("\r\n")
        if index < skip:
            continue
        if fence is not None:
            if text.strip() == fence:
                fence = None
            continue
        if (opener := _FENCE.match(text.lstrip())) is not None:
            fence = opener.group(1)
            continue
        out.append((index, text))
    return out


def _page_links(text: str):
    """(title key, section) of each wiki link and /wiki/ link on one line."""
    for match in re.finditer(WIKILINK_RE, text):
        parsed = parse_wikilink(match.group(1).replace("\\|", "|"))
        if parsed is not None and parsed[0].target:
            yield _key(parsed[0].target), parsed[0].section
    for match in _HREF.finditer(text):
        link = link_from_href(match.group(0))
        if link is not None:
            yield _key(link.target), link.section


def page_link_lines(source: str, target_key: str, section: str | None) -> list[int]:
    """0-based indexes of the lines linking to the title ``target_key`` (and ``section``,
    compared as the renderer does, by heading id)."""
    wanted = slugify_heading(section) if section else None
    found = []
    for index, text in _text_lines(source):
        if "[[" not in text and "/wiki/" not in text:
            continue
        for key, linked in _page_links(text):
            if key == target_key and (slugify_heading(linked) if linked else None) == wanted:
                found.append(index)
                break
    return found


def file_link_lines(source: str, name: str) -> list[int]:
    """0-based indexes of the lines naming the file ``name`` (case-insensitively)."""
    folded = name.casefold()
    return [index for index, text in _text_lines(source) if folded in text.casefold()]


def locate(source: str, indexes: list[int]) -> list[Located]:
    """Each line index as a 1-based line with its innermost section; [Located(None, None)]
    when no line was found (the link is still listed, and the editor opens the page)."""
    if not indexes:
        return [Located(None, None)]
    sections = find_sections(source)
    out = []
    for index in indexes:
        holding = [s for s in sections if s.start <= index < s.end]
        # Sections nest: the one that starts last is the innermost, the smallest to edit.
        out.append(Located(index + 1, holding[-1].number if holding else None))
    return out


def closest_heading(section: str, headings: dict[str, str]) -> tuple[str, str] | None:
    """The heading (id, text) of ``headings`` ({id: text}) closest to the missing ``section``:
    a renamed heading usually keeps most of its words. Compared by text and by id, case
    folded; None when nothing is close enough (or the page has no headings)."""
    if not headings or not section.strip():
        return None
    wanted_text, wanted_id = " ".join(section.split()).casefold(), slugify_heading(section)
    best, best_score = None, 0.0
    for anchor, text in headings.items():
        score = max(difflib.SequenceMatcher(None, wanted_text, text.casefold()).ratio(),
                    difflib.SequenceMatcher(None, wanted_id, anchor).ratio())
        if score > best_score:
            best, best_score = (anchor, text), score
    return best if best_score >= SUGGEST_CUTOFF else None


def parse_kind(value: str | None) -> str | None:
    """The ?kind= filter: None for all kinds; ValueError with a message for anything else."""
    if value is None or value == "":
        return None
    if value not in KINDS:
        raise ValueError(f"“kind” must be one of {', '.join(KINDS)}.")
    return value
