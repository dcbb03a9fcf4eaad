"""Tags: the ``tags:`` setting of a page's front matter, as normalised values.

    ---
    tags: redis, caching, Machine Learning
    ---

The syntax (README.md, "Tags"):

- ``tags:`` holds tags separated by commas; ``tags: [redis, caching]`` (brackets, as in YAML)
  means the same, and so do items in quotes (``"redis", 'caching'``). Empty items (a trailing
  comma) are ignored.
- A tag is normalised: Unicode NFKC, case-folded, trimmed, and runs of spaces inside it become
  one ``-`` (``Machine  Learning`` is ``machine-learning``). The same tag twice counts once.
- A tag starts with a letter or a digit and holds only letters, digits, combining marks and
  ``-`` ``_`` ``.`` ``+`` ``#`` (``c++``, ``c#``, ``node.js``); at most MAX_TAG_LENGTH
  characters; at most MAX_TAGS tags per page.

Anything else is a problem, reported with a sentence for the writer (``TagList.problems``):
the editor refuses a save that brings a new problem and its preview lists them; a text saved
another way (an import, an old revision restored) keeps its valid tags and drops the rest.

Pure: standard library only.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from wiki.core.frontmatter import parse_front_matter

MAX_TAGS = 20
MAX_TAG_LENGTH = 40
KEY = "tags"  # the front matter setting

_PUNCTUATION = frozenset("-_.+#")
_SPACES = re.compile(r"\s+")


class InvalidTag(ValueError):
    """A string that cannot be a tag; its message says why, for the writer."""


def _allowed(char: str) -> bool:
    return char in _PUNCTUATION or unicodedata.category(char)[0] in "LNM"


def normalize_tag(raw: str) -> str:
    """The tag ``raw`` names (see the module's rules); InvalidTag with a message if none."""
    text = _SPACES.sub("-", unicodedata.normalize("NFKC", raw).casefold().strip())
    shown = raw.strip()[:MAX_TAG_LENGTH + 10]
    if not text:
        raise InvalidTag("A tag cannot be empty.")
    if len(text) > MAX_TAG_LENGTH:
        raise InvalidTag(f"The tag “{shown}…” is longer than {MAX_TAG_LENGTH} characters.")
    bad = sorted({char for char in text if not _allowed(char)})
    if bad:
        listed = " ".join(_visible(char) for char in bad)
        raise InvalidTag(f"The tag “{shown}” contains {listed}: a tag holds letters, digits and - _ . + # only.")
    if unicodedata.category(text[0])[0] not in "LN":
        raise InvalidTag(f"The tag “{shown}” must start with a letter or a digit.")
    return text


def _visible(char: str) -> str:
    """A character as a message can show it: invisible ones by their code point."""
    if char.isprintable() and not char.isspace():
        return f"“{char}”"
    return f"U+{ord(char):04X}"


@dataclass(frozen=True)
class TagList:
    """The tags a value names, in the order written (duplicates dropped, at most MAX_TAGS), and
    a sentence for each part that is not a tag."""

    tags: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


NO_TAGS = TagList()
_QUOTES = "\"'"


def _items(value: str) -> list[str]:
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    items = []
    for item in value.split(","):
        item = item.strip()
        if len(item) >= 2 and item[0] == item[-1] and item[0] in _QUOTES:
            item = item[1:-1].strip()
        if item:
            items.append(item)
    return items


def parse_tags(value: str) -> TagList:
    """The tags of a ``tags:`` value; never raises."""
    tags: list[str] = []
    problems: list[str] = []
    for item in _items(value):
        try:
            tag = normalize_tag(item)
        except InvalidTag as error:
            problems.append(str(error))
            continue
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        problems.append(f"A page has at most {MAX_TAGS} tags; this one names {len(tags)}, so only the first "
                        f"{MAX_TAGS} are kept.")
        tags = tags[:MAX_TAGS]
    return TagList(tuple(tags), tuple(problems))


def source_tags(source: str) -> TagList:
    """The tags of a page's source: its front matter's ``tags:`` setting (none without one)."""
    front = parse_front_matter(source)
    if KEY not in front.settings:
        return NO_TAGS
    return parse_tags(front.settings[KEY])


def new_problems(body: str, previous: str | None) -> tuple[str, ...]:
    """The tag problems of ``body`` that ``previous`` (the text it replaces) did not have: what
    a person who typed ``body`` is asked to fix. A page saved before tags existed, whose
    ``tags:`` line nobody touched, can still be edited."""
    problems = source_tags(body).problems
    if not problems or previous is None:
        return problems
    before = set(source_tags(previous).problems)
    return tuple(problem for problem in problems if problem not in before)
