"""Line diffs between two revisions, with changed words highlighted.

The result is plain data (frozen dataclasses) that templates render either
inline (``Hunk.lines``: unified-diff order) or side by side (``Hunk.rows``).

Choices worth knowing:

* Line endings are normalized ("\\r\\n" and "\\r" become "\\n") and a final
  newline does not create a line, so "a\\nb" and "a\\r\\nb\\r\\n" are identical.
  Lines are split on "\\n" only, not with ``str.splitlines()``: splitlines also
  breaks on U+2028, form feed, U+0085... which would make line numbers
  disagree with the editor (a textarea only breaks on newlines).
* Lines are compared with ``difflib.SequenceMatcher`` with its default
  ``autojunk=True``, after stripping the common prefix and suffix. Stripping
  makes the usual case (a few edits in a large page) linear. The autojunk
  heuristic only applies when the differing middle part has 200+ lines; it
  then stops very frequent lines (blank lines, "---", table rows) from seeding
  matches, which bounds the otherwise quadratic matching. Those lines are
  still matched when adjacent to other matching lines, so diffs stay sensible.
* Word highlighting is only done for replaced lines paired one to one, only
  when the two lines are reasonably similar, and only for lines up to
  ``MAX_WORD_DIFF_LINE_LENGTH`` characters; a per-diff budget
  (``MAX_WORD_DIFF_TOTAL_CHARS``) caps the total work on huge rewrites.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

__all__ = [
    "Segment",
    "DiffLine",
    "SideBySideRow",
    "Hunk",
    "Diff",
    "diff_texts",
    "word_segments",
    "common_ends",
    "MAX_WORD_DIFF_LINE_LENGTH",
    "MAX_WORD_DIFF_TOTAL_CHARS",
    "MIN_WORD_DIFF_SIMILARITY",
]

# Lines longer than this are not word-diffed (their segments are unchanged):
# minified or generated content gives noisy highlights at a high cost.
MAX_WORD_DIFF_LINE_LENGTH = 2000
# Total characters (old + new) word-diffed in one diff_texts call; past this
# budget remaining pairs are shown without word highlights. Keeps the
# rewrite-everything case bounded whatever the line lengths.
MAX_WORD_DIFF_TOTAL_CHARS = 500_000
# Below this similarity (of non-whitespace text) two paired lines are treated
# as unrelated and not word-highlighted: highlighting almost every word of an
# unrelated line is noise.
MIN_WORD_DIFF_SIMILARITY = 0.3

EQUAL = "equal"
DELETE = "delete"
INSERT = "insert"


@dataclass(frozen=True)
class Segment:
    """A piece of a line's text; ``changed`` pieces are highlighted."""

    text: str
    changed: bool


@dataclass(frozen=True)
class DiffLine:
    """One line of a diff: kind is 'equal', 'delete' or 'insert'."""

    kind: str
    old_no: int | None
    new_no: int | None
    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        """The full text of the line (segments joined)."""
        return "".join(segment.text for segment in self.segments)


@dataclass(frozen=True)
class SideBySideRow:
    """A row of the side-by-side view; None is a blank cell."""

    left: DiffLine | None
    right: DiffLine | None


@dataclass(frozen=True)
class Hunk:
    """A group of changes with surrounding context.

    Starts and lengths follow the unified-diff convention, so
    ``f"@@ -{old_start},{old_len} +{new_start},{new_len} @@"`` is what
    ``diff -u`` prints: starts are 1-based, and for an empty range (pure
    insertion or deletion without context) the start is the line *before*
    the range, 0 at the top of the text.
    """

    old_start: int
    old_len: int
    new_start: int
    new_len: int
    lines: tuple[DiffLine, ...]
    rows: tuple[SideBySideRow, ...]


@dataclass(frozen=True)
class Diff:
    """All hunks between two texts and the number of lines added/removed."""

    hunks: tuple[Hunk, ...]
    added: int
    removed: int

    @property
    def identical(self) -> bool:
        """True when the texts have the same lines (line endings ignored)."""
        return not self.hunks


# --------------------------------------------------------------------------
# Word level

# Han ideographs, kana and related blocks: these scripts do not separate
# words with spaces, so each character is its own token; otherwise a whole
# sentence would be one "word" and a one-character edit would highlight it all.
_CJK = (
    "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u3100-\u312f"
    "\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0003134f"
)
_TOKEN = re.compile(
    rf"(?P<cjk>[{_CJK}])|(?P<word>[^\W{_CJK}]+)|(?P<space>\s+)|(?P<other>.)",
    re.S,
)
_ZWJ = "\u200d"


def _tokenize(line: str) -> list[str]:
    """Split a line into words, whitespace runs and single other characters.

    Combining marks (category M) are not \\w for ``re``, so "e\\u0301" or
    Devanagari vowel signs would split a word apart: marks, and a zero-width
    joiner with the character after it, are glued to the previous token.
    """
    tokens: list[str] = []
    kinds: list[str] = []
    glue_next = False
    for match in _TOKEN.finditer(line):
        kind = match.lastgroup
        text = match.group()
        if tokens and kinds[-1] != "space":
            if kind == "other" and (
                text == _ZWJ or unicodedata.category(text).startswith("M")
            ):
                tokens[-1] += text
                # A word continues after an inner mark ("हिन्दी"); a ZWJ
                # always joins the next character (emoji sequences).
                glue_next = text == _ZWJ or kinds[-1] == "word"
                continue
            joins = kind == kinds[-1] or tokens[-1].endswith(_ZWJ)
            if glue_next and kind != "space" and joins:
                tokens[-1] += text
                glue_next = False
                continue
        glue_next = False
        tokens.append(text)
        kinds.append(kind)
    return tokens


def _merge(tokens: list[str], flags: list[bool]) -> tuple[Segment, ...]:
    """Merge adjacent tokens with the same flag into segments.

    Whitespace between two changed tokens is marked changed too, so that a
    rewritten phrase is one highlight rather than a highlight per word.
    """
    count = len(tokens)
    for index in range(1, count - 1):
        if (
            not flags[index]
            and flags[index - 1]
            and flags[index + 1]
            and tokens[index].isspace()
        ):
            flags[index] = True
    segments: list[Segment] = []
    for token, flag in zip(tokens, flags):
        if segments and segments[-1].changed == flag:
            segments[-1] = Segment(segments[-1].text + token, flag)
        else:
            segments.append(Segment(token, flag))
    return tuple(segments) or (Segment("", False),)


def _plain(line: str) -> tuple[Segment, ...]:
    return (Segment(line, False),)


def word_segments(
    old_line: str, new_line: str
) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Split a pair of replaced lines into segments, marking the changed words.

    Returns unhighlighted single segments when a line is longer than
    MAX_WORD_DIFF_LINE_LENGTH or the lines are too dissimilar. Every returned
    tuple has at least one segment (an empty line gives ``Segment("", False)``).
    """
    if (
        len(old_line) > MAX_WORD_DIFF_LINE_LENGTH
        or len(new_line) > MAX_WORD_DIFF_LINE_LENGTH
    ):
        return _plain(old_line), _plain(new_line)

    old_tokens = _tokenize(old_line)
    new_tokens = _tokenize(new_line)
    old_flags = [True] * len(old_tokens)
    new_flags = [True] * len(new_tokens)

    # The common token prefix/suffix is matched directly: a one-word edit in
    # a long paragraph then costs a linear scan instead of a full match.
    limit = min(len(old_tokens), len(new_tokens))
    prefix = 0
    while prefix < limit and old_tokens[prefix] == new_tokens[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < limit - prefix
        and old_tokens[-1 - suffix] == new_tokens[-1 - suffix]
    ):
        suffix += 1
    old_end = len(old_tokens) - suffix
    new_end = len(new_tokens) - suffix
    blocks = [(0, 0, prefix), (old_end, new_end, suffix)]
    if prefix < old_end and prefix < new_end:
        # Default autojunk: only kicks in for 200+ tokens, where it stops very
        # common tokens (" ", ",", "the") from making matching quadratic.
        matcher = SequenceMatcher(
            None, old_tokens[prefix:old_end], new_tokens[prefix:new_end]
        )
        blocks.extend(
            (old_at + prefix, new_at + prefix, size)
            for old_at, new_at, size in matcher.get_matching_blocks()
        )

    matched_chars = 0
    for old_at, new_at, size in blocks:
        for offset in range(size):
            old_flags[old_at + offset] = False
            new_flags[new_at + offset] = False
            token = old_tokens[old_at + offset]
            if not token.isspace():
                matched_chars += len(token)

    # Similarity on non-whitespace characters: counting whitespace tokens
    # would make any two sentences look about half similar.
    total_chars = sum(len(t) for t in old_tokens if not t.isspace()) + sum(
        len(t) for t in new_tokens if not t.isspace()
    )
    if not total_chars or 2 * matched_chars / total_chars < MIN_WORD_DIFF_SIMILARITY:
        return _plain(old_line), _plain(new_line)
    return _merge(old_tokens, old_flags), _merge(new_tokens, new_flags)


# --------------------------------------------------------------------------
# Line level

Opcode = tuple[str, int, int, int, int]


def _split_lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        # A final newline terminates the last line; it does not start a new one.
        lines.pop()
    return lines


def common_ends(old: list[str], new: list[str]) -> tuple[int, int]:
    """(prefix, suffix): how many lines the two lists share at their start and, after that,
    at their end. Diffs, merges and blame match these first and run a matcher on the middle
    only, which is what keeps a small edit of a long page cheap."""
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    return prefix, suffix


def _opcodes(old: list[str], new: list[str]) -> list[Opcode]:
    """Opcodes for the whole texts, matching the common prefix/suffix first.

    Prefix and suffix are maximal, so the matcher's opcodes over the middle
    never start or end with 'equal' and need no merging with them.
    """
    prefix, suffix = common_ends(old, new)

    old_end = len(old) - suffix
    new_end = len(new) - suffix
    codes: list[Opcode] = []
    if prefix:
        codes.append((EQUAL, 0, prefix, 0, prefix))
    if prefix < old_end or prefix < new_end:
        matcher = SequenceMatcher(None, old[prefix:old_end], new[prefix:new_end])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            codes.append((tag, i1 + prefix, i2 + prefix, j1 + prefix, j2 + prefix))
    if suffix:
        codes.append((EQUAL, old_end, len(old), new_end, len(new)))

    return codes


def _group(codes: list[Opcode], context: int) -> list[list[Opcode]]:
    """Group opcodes into hunks with `context` equal lines around changes.

    Same algorithm as SequenceMatcher.get_grouped_opcodes, which cannot be
    used directly because our opcodes come from prefix/suffix stripping plus
    a matcher over the middle part only.
    """
    if not any(code[0] != EQUAL for code in codes):
        return []
    codes = list(codes)
    if codes[0][0] == EQUAL:
        _, i1, i2, j1, j2 = codes[0]
        codes[0] = (EQUAL, max(i1, i2 - context), i2, max(j1, j2 - context), j2)
    if codes[-1][0] == EQUAL:
        _, i1, i2, j1, j2 = codes[-1]
        codes[-1] = (EQUAL, i1, min(i2, i1 + context), j1, min(j2, j1 + context))

    groups: list[list[Opcode]] = []
    group: list[Opcode] = []
    for tag, i1, i2, j1, j2 in codes:
        # An equal run longer than two contexts separates two hunks: keep
        # `context` lines of it at the end of one and the start of the next.
        if tag == EQUAL and i2 - i1 > 2 * context:
            group.append((EQUAL, i1, min(i2, i1 + context), j1, min(j2, j1 + context)))
            groups.append(group)
            group = []
            i1, j1 = max(i1, i2 - context), max(j1, j2 - context)
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == EQUAL):
        groups.append(group)
    return groups


def _unified_start(start: int, length: int) -> int:
    # diff -u convention: 1-based, but an empty range names the line before it.
    return start + 1 if length else start


class _WordBudget:
    """Remaining characters that may be word-diffed in one diff_texts call."""

    def __init__(self, chars: int) -> None:
        self.chars = chars

    def segments(
        self, old_line: str, new_line: str
    ) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
        cost = len(old_line) + len(new_line)
        if (
            len(old_line) > MAX_WORD_DIFF_LINE_LENGTH
            or len(new_line) > MAX_WORD_DIFF_LINE_LENGTH
        ):
            # Not word-diffed anyway: do not spend budget on it.
            return _plain(old_line), _plain(new_line)
        if cost > self.chars:
            self.chars = 0
            return _plain(old_line), _plain(new_line)
        self.chars -= cost
        return word_segments(old_line, new_line)


def _build_hunk(
    group: list[Opcode], old: list[str], new: list[str], budget: _WordBudget
) -> Hunk:
    lines: list[DiffLine] = []
    rows: list[SideBySideRow] = []
    for tag, i1, i2, j1, j2 in group:
        if tag == EQUAL:
            for offset in range(i2 - i1):
                line = DiffLine(
                    EQUAL, i1 + offset + 1, j1 + offset + 1, _plain(old[i1 + offset])
                )
                lines.append(line)
                rows.append(SideBySideRow(line, line))
            continue

        deleted = [
            DiffLine(DELETE, i + 1, None, _plain(old[i])) for i in range(i1, i2)
        ]
        inserted = [
            DiffLine(INSERT, None, j + 1, _plain(new[j])) for j in range(j1, j2)
        ]
        # Pair replaced lines one to one, in order; only paired lines get
        # word highlights (an unpaired line is already wholly marked).
        for k in range(min(len(deleted), len(inserted))):
            old_segments, new_segments = budget.segments(old[i1 + k], new[j1 + k])
            deleted[k] = DiffLine(DELETE, i1 + k + 1, None, old_segments)
            inserted[k] = DiffLine(INSERT, None, j1 + k + 1, new_segments)
        lines.extend(deleted)
        lines.extend(inserted)
        for k in range(max(len(deleted), len(inserted))):
            rows.append(
                SideBySideRow(
                    deleted[k] if k < len(deleted) else None,
                    inserted[k] if k < len(inserted) else None,
                )
            )

    old_lo, old_hi = group[0][1], group[-1][2]
    new_lo, new_hi = group[0][3], group[-1][4]
    return Hunk(
        old_start=_unified_start(old_lo, old_hi - old_lo),
        old_len=old_hi - old_lo,
        new_start=_unified_start(new_lo, new_hi - new_lo),
        new_len=new_hi - new_lo,
        lines=tuple(lines),
        rows=tuple(rows),
    )


def diff_texts(old: str, new: str, context: int = 3) -> Diff:
    """Diff two texts line by line into hunks with `context` lines around changes."""
    if context < 0:
        raise ValueError("context must be >= 0")
    old_lines = _split_lines(old)
    new_lines = _split_lines(new)
    codes = _opcodes(old_lines, new_lines)

    added = sum(j2 - j1 for tag, _, _, j1, j2 in codes if tag != EQUAL)
    removed = sum(i2 - i1 for tag, i1, i2, _, _ in codes if tag != EQUAL)
    budget = _WordBudget(MAX_WORD_DIFF_TOTAL_CHARS)
    hunks = tuple(
        _build_hunk(group, old_lines, new_lines, budget)
        for group in _group(codes, context)
    )
    return Diff(hunks=hunks, added=added, removed=removed)
