"""Importing a folder of Markdown files: titles from file paths, relative links to wiki links.

Pure (standard library, wiki.core.titles and wiki.core.markup only), so the rules are tested with
plain values. The service (wiki.services.mdimport) reads the files and passes in what it
knows: which files are imported under which title, and each file's headings.

Rules (docs/backup.md describes them for users):

* ``concepts/rest-api-design.md`` -> title ``concepts/rest-api-design``; a folder's
  ``README.md`` or ``index.md`` -> the folder's title; the root one -> ``Home`` (or the
  prefix). With a prefix ``P`` every other title becomes ``P/<title>``.
* ``[REST](../concepts/rest-api-design.md)`` -> ``[[concepts/rest-api-design|REST]]``;
  ``[x](file.md#some-anchor)`` -> ``[[file#Heading text|x]]`` when a heading of that file
  has that GitHub-style anchor; ``[x](#anchor)`` -> ``[[#Heading text|x]]``.
* A label with Markdown in it (emphasis, code, an image) cannot be a wiki-link label, which
  is plain text; such a link becomes a Markdown link to the page's wiki URL
  (``[**REST**](/wiki/concepts/rest-api-design)``), which still counts as a link for
  backlinks. Reference definitions (``[ref]: other.md``) get the wiki URL the same way.
* In a table row (a GFM table: a header row, a delimiter row, then rows up to a blank line)
  the label's pipe is escaped, ``[[concepts/rest-api-design\\|REST]]``: a bare ``|`` would end
  the cell there.
* Links to anything else (images, other files, files not imported, URLs, mail addresses)
  and everything inside code spans and fenced code blocks stay as they are.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence
from urllib.parse import quote, unquote

from wiki.core.markup import slugify_heading
from wiki.core.markup.wikilinks import WIKILINK_RE, parse_wikilink
from wiki.core.titles import InvalidTitle, canonical_key, normalize_title, title_to_url_path

__all__ = [
    "HOME_TITLE",
    "INDEX_NAMES",
    "HeadingRef",
    "is_markdown_file",
    "title_for_path",
    "convert_links",
    "fold_titles",
    "link_order",
]

HOME_TITLE = "Home"
INDEX_NAMES = ("readme.md", "index.md")  # compared case-insensitively


@dataclass(frozen=True)
class HeadingRef:
    """A heading of a file: its element id in the wiki (slugify_heading, de-duplicated)
    and its plain text."""

    id: str
    text: str


def is_markdown_file(name: str) -> bool:
    """True for a file name the import takes: ``*.md`` in any letter case."""
    return name.lower().endswith(".md") and len(name) > 3


def title_for_path(relpath: str, prefix: str | None = None) -> str:
    """The page title for a file at ``relpath`` (posix, relative to the imported folder).

    Raises wiki.core.titles.InvalidTitle when the path gives no usable title.
    """
    folder, name = posixpath.split(relpath)
    if name.lower() in INDEX_NAMES:
        base = folder
    else:
        base = posixpath.join(folder, name[:-3]) if folder else name[:-3]
    prefix = normalize_title(prefix) if prefix else None
    if not base:
        return prefix or HOME_TITLE
    return normalize_title(f"{prefix}/{base}" if prefix else base)


# --- Links --------------------------------------------------------------------------------

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# Link text: no brackets except one level of nesting ([![img](x.png)](y.md)), escapes allowed.
_LABEL = r"(?:[^\[\]\\\n]|\\.|\[[^\[\]\n]*\])*"
# Destination: <...> or a run without spaces and with balanced (one level) parentheses.
_DEST = r"<[^<>\n]*>|(?:[^\s()<>\\]|\\.|\([^\s()]*\))+"
_TITLE = r"""(?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?"""
# A code span is matched first so that links inside it are skipped as a whole.
_INLINE = re.compile(
    r"(?P<code>(`+)[^`]*?\2)"
    r"|(?P<image>!)?\[(?P<label>" + _LABEL + r")\]\(\s*(?P<dest>" + _DEST + r")(?P<title>" + _TITLE + r")\s*\)"
)
_REFERENCE = re.compile(
    r"^(?P<head> {0,3}\[(?!\^)(?:[^\[\]\n]|\\.)+\]:[ \t]*)(?P<dest><[^<>\n]*>|\S+)(?P<rest>.*)$", re.S
)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# Characters that make a label more than plain text (a wiki-link label is shown as typed),
# or that would end the wiki link early.
_NOT_PLAIN = re.compile(r"[\[\]|`*<>\\]|&#?\w+;|(?:^|\W)_|_(?:\W|$)")
_SECTION_UNSAFE = re.compile(r"[\[\]|\n]")
_GITHUB_DUPLICATE = re.compile(r"^(?P<base>.+)-(?P<n>[0-9]+)$")


@dataclass(frozen=True)
class _Target:
    title: str | None  # None: the same page
    section: str | None


def fold_titles(titles: Mapping[str, str]) -> dict[str, list[str]]:
    """The imported paths by their case-folded form, for links written in another letter
    case. Build it once per import and pass it to every convert_links call: building it per
    file made planning quadratic in the number of files."""
    by_folded: dict[str, list[str]] = {}
    for key in titles:
        by_folded.setdefault(key.casefold(), []).append(key)
    return by_folded


def convert_links(
    source: str,
    path: str,
    titles: Mapping[str, str],
    headings: Callable[[str], Sequence[HeadingRef]],
    by_folded: Mapping[str, Sequence[str]] | None = None,
    folder_links: Mapping[str, str] | None = None,
) -> str:
    """``source`` (the file at ``path``) with relative links to imported files made wiki links.

    ``titles`` maps the relative path of every imported file to its page title;
    ``headings(path)`` gives an imported file's headings (called only for links with an
    anchor, so the caller may compute them lazily); ``by_folded`` is fold_titles(titles),
    computed here when not given; ``folder_links`` maps the path of a symbolic link to a
    folder inside the imported one to that folder's path ("." for the root): a link
    written through it finds the file under its own path.
    """
    if by_folded is None:
        by_folded = fold_titles(titles)
    resolver = _LinkResolver(path, titles, by_folded, headings)
    resolver.folder_links = folder_links or {}

    lines = source.splitlines(keepends=True)
    table_rows = _table_rows(lines)
    out, fence = [], None
    for number, line in enumerate(lines):
        if fence is not None:
            closing = _FENCE.match(line)
            if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence) \
                    and not line.strip().lstrip(fence[0]):
                fence = None
            out.append(line)
        elif (opener := _FENCE.match(line)) is not None:
            fence = opener.group(1)
            out.append(line)
        elif (reference := _REFERENCE.match(line)) is not None:
            out.append(_convert_reference(reference, resolver))
        else:
            pipe = "\\|" if number in table_rows else "|"
            out.append(_INLINE.sub(lambda m: _convert_inline(m, resolver, pipe), line))
    return "".join(out)


# A GFM table's delimiter row: "| --- | :-: |", "---|---", "|:--|".
# Matched against the line without trailing white space (no backtracking over a long tail).
_TABLE_DELIMITER = re.compile(r"^ {0,3}\|?(?:[ \t]*:?-+:?[ \t]*\|)*[ \t]*:?-+:?[ \t]*\|?$")


def _table_rows(lines: Sequence[str]) -> set[int]:
    """The indexes of the lines that are rows of a table: a line with a "|" followed by a
    delimiter row starts one, and it runs to the next blank line. (Lines in code blocks may
    be counted too; their links are never converted.)"""
    rows: set[int] = set()
    index = 0
    while index < len(lines) - 1:
        header, delimiter = lines[index], lines[index + 1].rstrip()
        if "|" in header and _TABLE_DELIMITER.match(delimiter):
            end = index
            while end < len(lines) and lines[end].strip():
                rows.add(end)
                end += 1
            index = end
        else:
            index += 1
    return rows


def _convert_inline(match: re.Match[str], resolver: "_LinkResolver", pipe: str = "|") -> str:
    if match.group("code") is not None or match.group("image"):
        return match.group(0)
    target = resolver.resolve(match.group("dest"))
    if target is None:
        return match.group(0)
    label = match.group("label").strip()
    if _NOT_PLAIN.search(label) is None:
        return _wikilink(target, label, pipe)
    # A label with markup keeps it, as a Markdown link to the page's URL.
    return f"[{match.group('label')}]({_wiki_url(target)}{match.group('title')})"


def _convert_reference(match: re.Match[str], resolver: "_LinkResolver") -> str:
    target = resolver.resolve(match.group("dest"))
    if target is None:
        return match.group(0)
    return match.group("head") + _wiki_url(target) + match.group("rest")


def _wikilink(target: _Target, label: str, pipe: str = "|") -> str:
    spec = (target.title or "") + (f"#{target.section}" if target.section else "")
    if not label or label == spec:
        return f"[[{spec}]]"
    return f"[[{spec}{pipe}{label}]]"


def _wiki_url(target: _Target) -> str:
    fragment = "#" + slugify_heading(target.section) if target.section else ""
    if target.title is None:
        return fragment or "#"
    return "/wiki/" + quote(title_to_url_path(target.title), safe="/") + fragment


def _through_folder_links(path: str, folder_links: Mapping[str, str]) -> str:
    """``path`` with a leading folder that is a symbolic link replaced by the folder it leads
    to (tldr-pages: ``pages.en/common/tar.md`` -> ``pages/common/tar.md``); a few links in a
    row are followed, a loop is not."""
    for _ in range(8):
        parts = path.split("/")
        for depth in range(len(parts), 0, -1):
            target = folder_links.get("/".join(parts[:depth]))
            if target is not None:
                rest = parts[depth:]
                path = "/".join(([] if target == "." else [target]) + rest) or "."
                break
        else:
            return path
    return path


class _LinkResolver:
    folder_links: Mapping[str, str] = {}

    def __init__(self, path, titles, by_folded, headings):
        self.path, self.titles, self.by_folded, self.headings = path, titles, by_folded, headings
        self.folder = posixpath.dirname(path)

    def resolve(self, dest: str) -> _Target | None:
        """Where a link destination points among the imported files, or None to leave it."""
        dest = dest[1:-1].strip() if dest.startswith("<") else dest
        if not dest or _SCHEME.match(dest) or dest.startswith("//"):
            return None  # a URL, mailto:, or nothing
        raw_path, _, fragment = dest.partition("#")
        raw_path = raw_path.partition("?")[0]
        fragment = unquote(fragment).strip()
        if not raw_path:
            if not fragment:
                return None
            return _Target(None, self._section(self.path, fragment))
        relpath = self._file_for(unquote(raw_path))
        if relpath is None:
            return None
        section = self._section(relpath, fragment) if fragment else None
        return _Target(self.titles[relpath], section)

    def _file_for(self, raw_path: str) -> str | None:
        joined = raw_path.lstrip("/") if raw_path.startswith("/") else posixpath.join(self.folder, raw_path)
        normal = _through_folder_links(posixpath.normpath(joined), self.folder_links)
        if normal == ".." or normal.startswith("../"):
            return None  # outside the imported folder
        if normal == ".":
            candidates = ["README.md", "index.md"]
        elif is_markdown_file(normal):
            candidates = [normal]
        else:  # a folder: its README.md or index.md
            candidates = [f"{normal}/README.md", f"{normal}/index.md"]
        for candidate in candidates:
            if candidate in self.titles:
                return candidate
            same = self.by_folded.get(candidate.casefold(), [])
            if len(same) == 1:  # written in another letter case (case-insensitive filesystems)
                return same[0]
        return None

    def _section(self, relpath: str, anchor: str) -> str:
        """The heading text a GitHub-style anchor stands for in that file, else the anchor."""
        refs = list(self.headings(relpath))
        ids = {ref.id: ref for ref in refs}
        wanted = slugify_heading(anchor)
        ref = ids.get(wanted)
        if ref is None and (duplicate := _GITHUB_DUPLICATE.match(wanted)):
            # GitHub numbers repeated headings -1, -2 ...; the wiki numbers them -2, -3 ...
            ref = ids.get(f"{duplicate.group('base')}-{int(duplicate.group('n')) + 1}")
        if ref is None:
            return anchor
        if slugify_heading(ref.text) == ref.id and not _SECTION_UNSAFE.search(ref.text):
            return ref.text
        return ref.id  # a repeated heading (or unusual text): its id finds it just as well


# --- The order of writing ------------------------------------------------------------------------

def link_order(pages: Sequence[tuple[str, str]]) -> list[int]:
    """Indexes of ``pages`` ((title, converted text) pairs) with link targets before the
    pages linking to them: a depth-first post-order over the wiki links between them (a
    cycle is cut where the search meets it). Linear in pages and links.

    Saving in this order, a page's links to the others are blue when it is rendered; in name
    order, a generated folder with five random links per file cost 3.5 renders per file.
    """
    index = {}
    for number, (title, _text) in enumerate(pages):
        index[canonical_key(title)] = number
    edges: list[list[int]] = []
    for _title, text in pages:
        targets = []
        for match in re.finditer(WIKILINK_RE, text):
            parsed = parse_wikilink(match.group(1))
            if parsed is None or not parsed[0].target:
                continue
            try:
                target = index.get(canonical_key(parsed[0].target))
            except InvalidTitle:
                continue
            if target is not None:
                targets.append(target)
        edges.append(targets)
    order, state = [], [0] * len(pages)  # 0: not seen, 1: on the path, 2: placed
    for root in range(len(pages)):
        if state[root]:
            continue
        state[root] = 1
        stack = [(root, iter(edges[root]))]
        while stack:
            node, targets = stack[-1]
            for target in targets:
                if not state[target]:
                    state[target] = 1
                    stack.append((target, iter(edges[target])))
                    break
            else:
                stack.pop()
                state[node] = 2
                order.append(node)
    return order
