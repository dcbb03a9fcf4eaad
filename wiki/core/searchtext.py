"""Search queries and snippets, as plain values: no database, no Flask.

A user's query is parsed into words, quoted phrases, excluded words, an ``in:`` title
prefix and ``tag:`` filters (issue 20: each one a tag the page must have, normalised by
wiki.core.tags). Only runs of word characters ever reach a full-text engine, so no query can carry
FTS syntax (NEAR, *, :, ^, column filters) or SQL: every engine gets quoted plain words.
"""
from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from wiki.core.tags import InvalidTag, normalize_tag

MAX_QUERY_LENGTH = 500  # characters looked at; a 10,000-character query is cut here
MAX_TERMS = 16
MAX_TAG_FILTERS = 5

_WORD = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+")
_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...] = ()  # each must occur
    phrases: tuple[tuple[str, ...], ...] = ()  # each must occur as a phrase
    excluded: tuple[str, ...] = ()  # none may occur
    prefix: str = ""  # title prefix from in:..., as typed
    tags: tuple[str, ...] = ()  # tags the page must have (tag:...), normalised
    tag_problems: tuple[str, ...] = ()  # why a tag:... was left out

    @property
    def empty(self) -> bool:
        """True when no word or phrase is asked for (only exclusions, punctuation, tags ...)."""
        return not self.words and not self.phrases

    def with_tags(self, extra: list[str]) -> Query:
        """The query with more tag filters (the search form's ``tag`` field), checked alike."""
        tags, problems = list(self.tags), list(self.tag_problems)
        for raw in extra:
            _add_tag(raw, tags, problems)
        return Query(self.words, self.phrases, self.excluded, self.prefix, tuple(tags), tuple(problems))

    @property
    def highlight_terms(self) -> tuple[str, ...]:
        return self.words + tuple(w for phrase in self.phrases for w in phrase)

    def fts5(self) -> str:
        """A SQLite FTS5 MATCH expression: quoted words and phrases, NOT for exclusions."""
        positive = [f'"{w}"' for w in self.words] + ['"' + " ".join(p) + '"' for p in self.phrases]
        expression = " AND ".join(positive)
        for word in self.excluded:
            expression = f'({expression}) NOT "{word}"'
        return expression

    def websearch(self) -> str:
        """Input for PostgreSQL's websearch_to_tsquery, which never raises on any input."""
        parts = list(self.words) + ['"' + " ".join(p) + '"' for p in self.phrases]
        parts += ["-" + w for w in self.excluded]
        return " ".join(parts)


def _add_tag(raw: str, tags: list[str], problems: list[str]) -> None:
    if not raw.strip():
        return
    try:
        tag = normalize_tag(raw)
    except InvalidTag as error:
        problems.append(str(error))
        return
    if tag in tags:
        return
    if len(tags) >= MAX_TAG_FILTERS:
        problems.append(f"A search filters by at most {MAX_TAG_FILTERS} tags; “{tag}” was left out.")
        return
    tags.append(tag)


def parse_query(raw: str) -> Query:
    """Parse what a user typed into a search box; never raises."""
    words, phrases, excluded, prefix = [], [], [], ""
    tags: list[str] = []
    problems: list[str] = []
    for match in _TOKEN.finditer(raw[:MAX_QUERY_LENGTH]):
        quoted, bare = match.groups()
        if quoted is not None:
            tokens = _WORD.findall(quoted.casefold())
            if len(tokens) > 1:
                phrases.append(tuple(tokens))
            else:
                words.extend(tokens)
        elif bare.lower().startswith("in:"):
            prefix = bare[3:]
        elif bare.lower().startswith("tag:") and len(bare) > 4:
            _add_tag(bare[4:], tags, problems)
        elif bare.startswith("-") and len(bare) > 1:
            excluded.extend(_WORD.findall(bare[1:].casefold()))
        else:
            words.extend(_WORD.findall(bare.casefold()))
    return Query(
        words=tuple(dict.fromkeys(words))[:MAX_TERMS],
        phrases=tuple(dict.fromkeys(phrases))[:MAX_TERMS],
        excluded=tuple(dict.fromkeys(excluded))[:MAX_TERMS],
        prefix=prefix,
        tags=tuple(tags),
        tag_problems=tuple(problems),
    )


def exact_title_keys(query: Query) -> tuple[str, ...]:
    """Title keys (wiki.core.titles.canonical_key form) that "equal the query", for ranking a
    page first when its title or its title's last segment is one of them.

    Only a query of plain words (or one quoted phrase) has them: the words joined by a space
    and by "-", as page names are written: ``git commit`` -> ("git commit", "git-commit"),
    so ``common/git-commit`` comes first; a title's "_" is a space in its key already.
    """
    if query.excluded or (query.words and query.phrases) or len(query.phrases) > 1:
        return ()
    words = query.words or (query.phrases[0] if query.phrases else ())
    if not words:
        return ()
    return tuple(dict.fromkeys((" ".join(words), "-".join(words))))


class _TextExtractor(HTMLParser):
    """Visible text of sanitized page HTML: what readers see, without edit links and ¶."""

    # Links beside headings, code blocks' language labels: page chrome, not the page's words.
    SKIP_CLASSES = {"headerlink", "section-edit", "section-discuss", "code-lang"}
    BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "tr", "blockquote", "div", "dt", "dd"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0  # depth inside a skipped element
        self.skip_tag = ""

    def handle_starttag(self, tag, attrs):
        if self.skip:
            self.skip += tag == self.skip_tag
        elif tag in ("a", "span") and self.SKIP_CLASSES & set((dict(attrs).get("class") or "").split()):
            self.skip, self.skip_tag = 1, tag
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if self.skip and tag == self.skip_tag:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_to_text(page_html: str) -> str:
    """Plain text of a page's sanitized HTML, for the search index and snippets."""
    extractor = _TextExtractor()
    extractor.feed(page_html)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _stem(word: str) -> str:
    """A crude English stem, only for finding words to highlight (the engines stem properly)."""
    for suffix in ("ing", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


# A highlighted word is a query word's stem plus at most an English inflection ("cache",
# "caching", "cached", "commits", "committed"), never a longer word that starts with it: "git"
# does not mark "github" (in tldr's URLs). The engines stem properly; this only picks words.
_INFLECTION = r"(?:(?P<double>\w)?(?:ed|ing|er|ers|ion|ions)|e|es|s|ly|'s)?"


@functools.lru_cache(maxsize=256)
def highlight_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """The pattern marking the words of ``terms`` (and their word forms) in a snippet."""
    stems = sorted({_stem(t.casefold()) for t in terms if t}, key=len, reverse=True)
    if not stems:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(s) for s in stems) + r")" + _INFLECTION + r"(?!\w)", re.I)


def snippet_window(flat: str, at: int, width: int) -> tuple[int, int]:
    """The [start, end) of a snippet of ``width`` characters around position ``at``, cut only
    at spaces: a cut inside a word showed tldr's ``{{placeholder}}`` as ``{ …``."""
    start = max(0, at - width // 3)
    if start:
        start = flat.find(" ", start) + 1 or start
    end = start + width
    if end < len(flat):
        space = flat.rfind(" ", start, end + 1)
        if space > start + width // 2:  # a word longer than half the window is cut after all
            end = space
    return start, min(end, len(flat))


def snippet(text: str, terms: tuple[str, ...], width: int = 220) -> str:
    """An HTML snippet of ``text`` around the first match, matched words in <mark>.

    Built from plain text and escaped piece by piece, so page content can never inject
    markup through a snippet; the only tags in the result are the <mark> added here.
    """
    pattern = highlight_pattern(tuple(terms))
    # Only the text around the first match is flattened and scanned: a page is kilobytes, a
    # snippet a few hundred characters (issue 21: this was a third of a search's time).
    first = pattern.search(text) if pattern else None
    lo = max(0, first.start() - width) if first else 0
    if lo:
        space = _SPACE.search(text, lo, first.start())
        lo = space.end() if space else lo
    hi = lo + 4 * width
    flat = " ".join(text[lo:hi].split())
    first = pattern.search(flat) if pattern else None
    start, end = snippet_window(flat, first.start() if first else 0, width)
    window = flat[start:end]
    out, pos = [], 0
    for match in pattern.finditer(window) if pattern else ():
        out.append(html.escape(window[pos:match.start()]))
        out.append("<mark>" + html.escape(match.group(0)) + "</mark>")
        pos = match.end()
    out.append(html.escape(window[pos:]))
    prefix = "… " if start or lo else ""
    suffix = " …" if end < len(flat) or hi < len(text) else ""
    return prefix + "".join(out) + suffix
