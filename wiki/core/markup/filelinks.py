"""Files in page text: ``[[File:name.png]]``, and relative links to files.

- ``[[File:name.png]]`` / ``[[File:name.png|alt text]]`` embeds the page's file (an image is
  shown, anything else is linked); ``[[File:Other page/name.pdf]]`` another page's.
- Standard Markdown with a relative name, ``![alt](files/name.png)``, does the same (so an
  exported page still shows its pictures on a Git host), and so does any relative link whose
  target is not Markdown (``images/x.png``, ``notebook.ipynb``: the file named like its last
  segment, see wiki.core.files.file_name_for_href), in Markdown and in raw HTML alike.
  Such a link never points at a wiki page, and never resolves relative to the URL it is
  shown under (an old revision's /-/revisions/ included): it is rewritten to an absolute URL.
- A file that does not exist renders as a red "missing file" link to the upload form.

Where a file is and whether it exists is decided by a resolver,
``(page title or "" for this page, name) -> FileTarget``; the files used are collected in
document order for the file-link table.
"""
from __future__ import annotations

import html
import re
import urllib.parse
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from typing import Callable

from markdown import Markdown
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

from wiki.core.files import file_name_for_href

FILE_LINK_RE = r"\[\[[ \t]*[Ff][Ii][Ll][Ee][ \t]*:([^\[\]\n\x02\x03]+)\]\]"
FILE_LINK_PRIORITY = 178  # just before wiki links (177), which would take it for a page "File:..."
MISSING_CLASS = "missing-file"
MISSING_TITLE = "missing file: upload it"
# Marks the elements [[File:...]] made, so the tree pass does not count them again.
_MADE = "data-nexus-file"


@dataclass(frozen=True)
class FileRef:
    """A page uses a file: ``page`` is "" for its own files, else the title as written."""

    page: str
    name: str


@dataclass(frozen=True)
class FileTarget:
    """How a resolver wants a file reference rendered: the file's URL, or (missing) the
    upload form's."""

    href: str
    exists: bool = True
    image: bool = False


FileResolver = Callable[[str, str], FileTarget]


def default_file_resolver(page: str, name: str) -> FileTarget:
    """Without a database nothing exists: every file renders as missing."""
    return FileTarget(href="#", exists=False)


def parse_file_link(inner: str) -> tuple[FileRef, str | None] | None:
    """The text after "[[File:" -> (reference, label); None if it names nothing."""
    spec, _, label = inner.partition("|")
    spec = spec.strip()
    page, slash, name = spec.rpartition("/")
    if not name.strip():
        return None
    return FileRef(page.strip() if slash else "", name.strip()), label.strip() or None


def _missing(el: etree.Element, target: FileTarget, text: str) -> None:
    el.tag = "a"
    el.attrib.clear()
    el.set("class", MISSING_CLASS)
    el.set("href", target.href)
    el.set("title", MISSING_TITLE)
    el.text = AtomicString(text.replace("&", "&amp;"))


class FileLinkInlineProcessor(InlineProcessor):
    def __init__(self, resolver: FileResolver, refs: list[FileRef], md: Markdown):
        super().__init__(FILE_LINK_RE, md)
        self.resolver = resolver
        self.refs = refs

    def handleMatch(self, m: re.Match[str], data: str):  # noqa: N802 (Markdown's API)
        parsed = parse_file_link(m.group(1))
        if parsed is None:
            return None, None, None
        ref, label = parsed
        target = self.resolver(ref.page, ref.name)
        self.refs.append(ref)
        el = etree.Element("img" if target.exists and target.image else "a")
        if not target.exists:
            _missing(el, target, label or ref.name)
        elif target.image:
            el.set("src", target.href)
            el.set("alt", label or ref.name)
        else:
            el.set("href", target.href)
            el.text = AtomicString((label or ref.name).replace("&", "&amp;"))
        el.set(_MADE, "")
        return el, m.start(0), m.end(0)


_TAG = re.compile(r"<(img|a)\b[^<>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""(\s)(src|href)(\s*=\s*)("([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.IGNORECASE)
_CLASS_ATTR = re.compile(r"""\sclass\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+)""", re.IGNORECASE)


def absolute_file_ref(href: str) -> FileRef | None:
    """FileRef for an absolute "/wiki/Title/-/files/name" link, else None."""
    if not href.startswith("/wiki/") or "/-/files/" not in href:
        return None
    path = re.split(r"[?#]", href, maxsplit=1)[0]
    title, _, rest = path[len("/wiki/"):].partition("/-/files/")
    name = urllib.parse.unquote(rest.split("/", 1)[0])
    title = urllib.parse.unquote(title).replace("_", " ").strip()
    return FileRef(title, name) if title and name else None


class FileLinkTreeprocessor(Treeprocessor):
    """Rewrites relative links and images that name files (Markdown and raw HTML alike)."""

    def __init__(self, md: Markdown, resolver: FileResolver, refs: list[FileRef]):
        super().__init__(md)
        self.resolver = resolver
        self.refs = refs

    def run(self, root: etree.Element) -> None:
        stack: list[tuple[etree.Element, etree.Element | None]] = [(root, None)]
        while stack:
            el, parent = stack.pop()
            if el.attrib.pop(_MADE, None) is not None:
                continue
            if el.tag == "a":
                self._anchor(el)
            elif el.tag == "img":
                self._image(el, parent)
            stack.extend((child, el) for child in reversed(el))
        blocks = self.md.htmlStash.rawHtmlBlocks
        for index, raw in enumerate(blocks):
            if isinstance(raw, str) and ("src" in raw or "href" in raw):
                blocks[index] = _TAG.sub(self._raw_tag, raw)

    def _resolve(self, value: str) -> tuple[str, FileTarget] | None:
        name = file_name_for_href(value)
        if name is None:
            if (ref := absolute_file_ref(value)) is not None:
                self.refs.append(ref)
            return None
        self.refs.append(FileRef("", name))
        return name, self.resolver("", name)

    def _anchor(self, el: etree.Element) -> None:
        found = self._resolve(el.get("href", ""))
        if found is None:
            return
        _name, target = found
        el.set("href", target.href)
        if not target.exists:
            el.set("class", MISSING_CLASS)
            el.set("title", MISSING_TITLE)

    def _image(self, el: etree.Element, parent: etree.Element | None) -> None:
        found = self._resolve(el.get("src", ""))
        if found is None:
            return
        name, target = found
        if target.exists and target.image:
            el.set("src", target.href)
            return
        text = el.get("alt") or name
        if not target.exists:
            _missing(el, target, text)
        else:  # a PDF or text file written as an image: link to it
            el.tag = "a"
            el.attrib.clear()
            el.set("href", target.href)
            el.text = AtomicString(text.replace("&", "&amp;"))
        if parent is not None and parent.tag == "a":
            el.tag = "span"  # no link inside a link
            el.attrib.pop("href", None)

    def _raw_tag(self, tag_match: re.Match[str]) -> str:
        tag = tag_match.group(0)
        kind = tag_match.group(1).lower()
        wanted = "src" if kind == "img" else "href"
        for attr in _ATTR.finditer(tag):
            if attr.group(2).lower() != wanted:
                continue
            value = html.unescape(next(g for g in attr.group(5, 6, 7) if g is not None))
            found = self._resolve(value)
            if found is None:
                return tag
            name, target = found
            href = html.escape(target.href, quote=True)
            if kind == "img" and not (target.exists and target.image):
                alt = re.search(r"""\salt\s*=\s*("([^"]*)"|'([^']*)')""", tag, re.IGNORECASE)
                text = html.unescape(alt.group(2) or alt.group(3) or "") if alt else ""
                css = f' class="{MISSING_CLASS}" title="{MISSING_TITLE}"' if not target.exists else ""
                return f'<a href="{href}"{css}>{html.escape(text or name)}</a>'
            rewritten = tag[:attr.start()] + f'{attr.group(1)}{wanted}="{href}"' + tag[attr.end():]
            if kind == "a" and not target.exists:
                rewritten = _CLASS_ATTR.sub("", rewritten)
                rewritten = rewritten[:2] + f' class="{MISSING_CLASS}" title="{MISSING_TITLE}"' + rewritten[2:]
            return rewritten
        return tag
