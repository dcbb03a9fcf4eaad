"""Blame: which revision last changed each line of a page.

Pure: standard library and wiki.core.diff.lines only. Choices worth knowing:

* Incremental: revisions are walked oldest to newest keeping an origin per
  current line. Each revision is diffed against the previous one only
  (``difflib.SequenceMatcher`` on line lists): equal lines keep their origin,
  inserted or replaced lines get the revision's index. Cost is one diff per
  revision; identical consecutive revisions are skipped without a diff.
* Lines are split by ``wiki.core.diff.lines.split_lines``, like diffs and
  merges: "\\r\\n" and "\\r" become "\\n", split on "\\n" only, and a final
  newline does not create a line. So a revision that only changes line endings
  or the final newline changes no origin.
* Only adjacent revisions are compared, as in ``git blame``: a line that is
  deleted and later re-added, or restored by reverting to an older text, is
  attributed to the revision that re-added it (the revert), not to the one
  that first wrote it. Moved lines are not detected: lines the diff sees as
  removed at one place and inserted at another get the moving revision.
* Performance: the common prefix and suffix of consecutive revisions are
  matched directly (the usual edit touches a few lines). The rest is matched
  with ``autojunk=False`` (best alignment) unless the differing parts share
  so many equal lines that the exact matcher could get very slow; see
  ``EXACT_MATCH_BUDGET``. 500 revisions of a 300-line page take ~0.1 s,
  10,000 revisions of a 50-line page ~0.2 s.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

from wiki.core.diff.lines import common_ends, split_lines

__all__ = ["BlameLine", "BlameState", "blame", "EXACT_MATCH_BUDGET"]

# Maximum number of pairs of equal lines (sum over distinct lines of
# count_in_old * count_in_new) between the differing parts of two revisions
# for which the exact, autojunk=False matcher is used. Its cost grows with
# that number and can be cubic on crafted input (~40 ms at 20,000 pairs);
# above it the default autojunk heuristic keeps the diff fast. Same value as
# in wiki.core.diff.merge, kept separate so each module stands alone.
EXACT_MATCH_BUDGET = 20_000


@dataclass(frozen=True)
class BlameLine:
    """A line of the newest revision and the revision that introduced it."""

    number: int  # 1-based line number in the newest text
    text: str  # the line, without its line ending
    origin: int  # index into `revisions` of the revision that last changed it


def _carry(old: list[str], new: list[str], origins: list[int], index: int) -> list[int]:
    """Origins for ``new``: kept for lines matching ``old``, else ``index``."""
    prefix, suffix = common_ends(old, new)
    old_end = len(old) - suffix
    new_end = len(new) - suffix
    middle: list[int] = []
    if prefix < old_end and prefix < new_end:
        old_mid = old[prefix:old_end]
        new_mid = new[prefix:new_end]
        new_counts = Counter(new_mid)
        pairs = sum(new_counts[line] for line in old_mid)
        matcher = SequenceMatcher(None, old_mid, new_mid, autojunk=pairs > EXACT_MATCH_BUDGET)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                middle.extend(origins[prefix + i1 : prefix + i2])
            else:
                middle.extend([index] * (j2 - j1))
    else:
        # Pure insertion (or deletion, which adds nothing).
        middle = [index] * (new_end - prefix)
    return origins[:prefix] + middle + origins[len(old) - suffix :]


@dataclass(frozen=True)
class BlameState:
    """Blame after some revisions: each line of the last one with the key of its origin.

    Immutable, so a state can be kept (e.g. per revision) and continued later with
    ``advance``: blaming one more revision costs one diff, however long the history.
    """

    lines: tuple[str, ...] = ()
    origins: tuple = ()  # the caller's key of the revision that introduced each line
    source: str | None = None  # the last revision's text

    def advance(self, source: str, key) -> "BlameState":
        """The state after one more revision, ``source``, known to the caller as ``key``."""
        # Identical consecutive revisions (e.g. a move or a null edit) change nothing:
        # skip them without splitting or diffing.
        if source == self.source:
            return self
        new_lines = split_lines(source)
        origins = _carry(list(self.lines), new_lines, list(self.origins), key)
        return BlameState(tuple(new_lines), tuple(origins), source)

    def result(self) -> list[BlameLine]:
        return [
            BlameLine(number=number, text=text, origin=origin)
            for number, (text, origin) in enumerate(zip(self.lines, self.origins), start=1)
        ]


def blame(revisions: Iterable[str]) -> list[BlameLine]:
    """Lines of the last revision, each with the index of the revision that introduced it.

    ``revisions`` are a page's sources, oldest first (any iterable: they are read one at
    a time); an empty sequence gives [].
    """
    state = BlameState()
    for index, source in enumerate(revisions):
        state = state.advance(source, index)
    return state.result()
