"""Line diffs between two revisions, with changed words highlighted.

``diff_texts`` is the entry point (history and edit-conflict views). The result
is plain data (frozen dataclasses) that templates render either inline
(``Hunk.lines``: unified-diff order) or side by side (``Hunk.rows``). What a
line is comes from ``wiki.core.diff.lines`` and the marks inside a replaced
line from ``wiki.core.diff.words``; this module matches lines, groups the
changes into hunks and decides which line pairs get word marks.

Choices worth knowing:

* Lines are compared with ``difflib.SequenceMatcher`` with its default
  ``autojunk=True``, after stripping the common prefix and suffix
  (``common_ends``). Stripping makes the usual case (a few edits in a large
  page) linear. The autojunk heuristic only applies when the differing middle
  part has 200+ lines; it then stops very frequent lines (blank lines, "---",
  table rows) from seeding matches, which bounds the otherwise quadratic
  matching. Those lines are still matched when adjacent to other matching
  lines, so diffs stay sensible.
* Word highlighting is only done for replaced lines paired one to one (an
  unpaired line is wholly inserted or deleted already); ``word_segments`` then
  leaves dissimilar or over-long pairs unmarked. A per-diff budget
  (``MAX_WORD_DIFF_TOTAL_CHARS``) caps the total work on huge rewrites.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from wiki.core.diff.lines import common_ends, split_lines
from wiki.core.diff.words import (
    Segment,
    plain_segments,
    too_long_for_word_diff,
    word_segments,
)

__all__ = [
    "DiffLine",
    "SideBySideRow",
    "Hunk",
    "Diff",
    "diff_texts",
    "MAX_WORD_DIFF_TOTAL_CHARS",
]

# Total characters (old + new) word-diffed in one diff_texts call; past this
# budget remaining pairs are shown without word highlights. Keeps the
# rewrite-everything case bounded whatever the line lengths.
MAX_WORD_DIFF_TOTAL_CHARS = 500_000

EQUAL = "equal"
DELETE = "delete"
INSERT = "insert"


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


Opcode = tuple[str, int, int, int, int]


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
        if too_long_for_word_diff(old_line, new_line):
            # Not word-diffed anyway: do not spend budget on it.
            return plain_segments(old_line), plain_segments(new_line)
        if cost > self.chars:
            # Spent: later pairs stay plain too, even small ones that would
            # fit, so highlights stop at one point of the diff.
            self.chars = 0
            return plain_segments(old_line), plain_segments(new_line)
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
                    EQUAL, i1 + offset + 1, j1 + offset + 1, plain_segments(old[i1 + offset])
                )
                lines.append(line)
                rows.append(SideBySideRow(line, line))
            continue

        deleted = [
            DiffLine(DELETE, i + 1, None, plain_segments(old[i])) for i in range(i1, i2)
        ]
        inserted = [
            DiffLine(INSERT, None, j + 1, plain_segments(new[j])) for j in range(j1, j2)
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
    old_lines = split_lines(old)
    new_lines = split_lines(new)
    codes = _opcodes(old_lines, new_lines)

    added = sum(j2 - j1 for tag, _, _, j1, j2 in codes if tag != EQUAL)
    removed = sum(i2 - i1 for tag, i1, i2, _, _ in codes if tag != EQUAL)
    budget = _WordBudget(MAX_WORD_DIFF_TOTAL_CHARS)
    hunks = tuple(
        _build_hunk(group, old_lines, new_lines, budget)
        for group in _group(codes, context)
    )
    return Diff(hunks=hunks, added=added, removed=removed)
