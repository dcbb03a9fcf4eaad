"""Which files a Markdown file of an imported folder refers to by relative path (images,
notebooks, decks ...), for ``import-markdown`` to attach them to the page. Pure.

Links are not rewritten: a relative link to a non-Markdown target already names the page's
file called like its last segment (wiki.core.files.file_name_for_href), so ``images/x.png``
shows the attached ``x.png`` in the wiki and the folder's own link still works on a Git host.
"""
from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from pathlib import PurePosixPath

from wiki.core.files import file_name_for_href

_INLINE = re.compile(r"\]\(\s*<?([^()<>\s]+)>?(?:\s+[\"'(][^)]*)?\)")
_REFERENCE = re.compile(r"^[ ]{0,3}\[[^\]\n]+\]:[ \t]*<?(\S+?)>?(?:[ \t]+.*)?$", re.MULTILINE)
_HTML = re.compile(r"""\b(?:src|href)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class FileReference:
    name: str  # the page file it names
    path: str  # the file in the folder, relative to its root ("images/x.png"); "" if outside it


def file_references(text: str, markdown_path: str) -> list[FileReference]:
    """Every file ``text`` (the Markdown file at ``markdown_path``, relative to the folder's
    root) refers to by relative path, once each, in order; code blocks are skipped. Two
    paths with the same last segment are both listed (the importer reports the second)."""
    text = _FENCE.sub("", text)
    found_at = [(m.start(), m.group(1)) for m in _INLINE.finditer(text)]
    found_at += [(m.start(), m.group(1)) for m in _REFERENCE.finditer(text)]
    found_at += [(m.start(), m.group(1) if m.group(1) is not None else m.group(2)) for m in _HTML.finditer(text)]
    hrefs = [href for _start, href in sorted(found_at)]  # in the order the text has them
    folder = PurePosixPath(markdown_path).parent
    found: dict[str, FileReference] = {}
    for href in hrefs:
        name = file_name_for_href(href)
        if name is None:
            continue
        raw = urllib.parse.unquote(re.split(r"[?#]", href.strip(), maxsplit=1)[0])
        ref = FileReference(name, _inside(folder, raw))
        found.setdefault(f"{name.casefold()}\n{ref.path}", ref)
    return list(found.values())


def _inside(folder: PurePosixPath, relative: str) -> str:
    """``relative`` resolved against ``folder``, or "" when it climbs out of the root."""
    parts: list[str] = []
    for part in (folder / relative).parts:
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return ""
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)
