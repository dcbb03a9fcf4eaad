"""Line-based three-way merge of page sources (diff3 semantics).

Used when an editor saves a page whose base revision is no longer current:
``base`` is the revision the editor started from, ``theirs`` the current
revision (someone else's save) and ``yours`` the editor's text. ``merge3``
returns the merged text, or the conflicting regions plus the text with
git-style conflict markers for the editor to resolve. Pure: standard library
and wiki.core.diff.lines only.

How it works, and choices worth knowing:

* Lines are split by ``wiki.core.diff.lines.split_lines``, like diffs and
  blame: "\\r\\n" and "\\r" become "\\n", lines are split on "\\n" only (not
  ``str.splitlines()``, which also breaks on U+2028, form feed...) and a final
  newline does not create a line.
* Each side is diffed against base, giving "hunks": a base range [lo, hi) and
  the lines replacing it (lo == hi is a pure insertion). Applying all hunks of
  one side to base gives that side back exactly. Every region of the result is
  untouched base, one side's version of the region, the common version when
  both sides made the same change, or both versions inside conflict markers;
  so no line of either side is ever lost.
* Hunks of theirs and hunks of yours that collide are grouped (transitively)
  into regions. Two hunks collide when their base ranges overlap, or when they
  touch and at least one of them is a pure insertion; two insertions at the
  same place therefore collide. A region changed by one side only takes that
  side's version; changed by both, it is taken once if both versions are
  identical, else it is a conflict. Deleting lines the other side modified is
  a conflict; both deleting the same lines deletes them. Overlapping but
  different deletions (theirs deletes lines 2-4, yours 3-5) delete the union
  (unlike diff3 and git, which report a conflict): nothing was added, and each
  side's deletions are all applied, so nothing either side wrote is lost.
* Adjacent edits (deliberate difference from diff3 and git): changes to
  different but directly adjacent lines (theirs edits or deletes line 3, yours
  edits or deletes line 4) merge cleanly. diff3 and git need an unchanged
  line between two changes; here the changed base ranges do not overlap, so
  the result is unambiguous: base order fixes the order of the new texts. An
  insertion at the boundary of the other side's change stays a conflict: it
  is unclear whether it goes before or after the other's new text, or whether
  it belongs with the lines the other side rewrote or deleted.
* Whitespace is significant (a whitespace-only change is a change), so
  whitespace-only changes merge like any other change.
* The final newline is merged on its own, never as a conflict: when theirs
  and yours agree it is kept as is; otherwise the side that changed it
  relative to base wins; a side whose text is empty has no say. When base is
  empty too (both created the page), the editor's text (yours) wins.
* Empty base (the page was created concurrently): each side is one insertion
  at the start, so unless both texts are identical the whole texts form one
  conflict region; lines they share are not matched up.
* Conflict regions are not shrunk: like ``diff3 -m`` (and unlike git's
  "zealous" mode), lines common to both versions at the edges of a
  conflicting region stay inside the markers, so each side's version of the
  region is shown whole. Markers are "<<<<<<< yours", "=======",
  ">>>>>>> theirs" with yours first: it is the user's own text, shown in their
  editor. Marker-like lines already in a text are not escaped: callers must
  use ``MergeResult.clean`` / ``conflicts``, not search for markers.
* Performance: the common prefix and suffix of the two texts are matched
  directly, which makes the usual case (a few edits in a large page) linear.
  The rest goes to ``difflib.SequenceMatcher``. With ``autojunk=False`` it
  finds the best alignment, but its cost grows with the number of pairs of
  equal lines between the two parts (blank lines, "---", table rows) and can
  be cubic: ~0.1 s for 300 crafted lines, seconds for 1,000. So autojunk is
  disabled only while that number of pairs is at most ``EXACT_MATCH_BUDGET``
  (about 550 differing lines when a quarter of them are blank). Above it the
  default heuristic applies (for 200+ lines, very frequent lines do not seed
  matches): the alignment may be a little worse, which can only cause a
  spurious conflict, never a lost line. A 5,000-line page with a few edits on
  each side merges in under 10 ms.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import NamedTuple

from wiki.core.diff.lines import common_ends, split_lines

__all__ = ["ConflictRegion", "MergeResult", "merge3", "EXACT_MATCH_BUDGET", "CHOICES", "resolve",
           "resolution_note", "count_markers"]

# Maximum number of pairs of equal lines (sum over distinct lines of
# count_in_old * count_in_new) for which the exact, autojunk=False matcher is
# used; see the module docstring. At 20,000 a crafted worst case (lines
# alternating between two values) costs ~40 ms per diff, ~0.1 s at 45,000.
EXACT_MATCH_BUDGET = 20_000

YOURS_MARKER = "<<<<<<< yours"
SEPARATOR_MARKER = "======="
THEIRS_MARKER = ">>>>>>> theirs"


@dataclass(frozen=True)
class ConflictRegion:
    """A region both sides changed differently, with each side's lines."""

    base: tuple[str, ...]
    theirs: tuple[str, ...]
    yours: tuple[str, ...]
    # 1-based line number of the "<<<<<<< yours" marker in text_with_markers.
    start_line: int


@dataclass(frozen=True)
class MergeResult:
    """Outcome of ``merge3``: merged text, or conflicts and marked-up text."""

    merged: str | None
    conflicts: tuple[ConflictRegion, ...]
    text_with_markers: str
    # The result in order: runs of merged lines (a tuple of str) and the conflicts between
    # them; ``resolve`` rebuilds the text from it with a choice per conflict.
    pieces: tuple[tuple[str, ...] | ConflictRegion, ...] = ()
    final_newline: bool | None = None

    @property
    def clean(self) -> bool:
        """True when the merge had no conflicts (``merged`` is set)."""
        return self.merged is not None


class _Hunk(NamedTuple):
    lo: int  # base range [lo, hi) replaced by `lines`; lo == hi: insertion
    hi: int
    lines: tuple[str, ...]


def _split(text: str) -> tuple[list[str], bool | None]:
    """Lines of ``text`` and whether it ends with a newline (None if empty)."""
    if not text:
        return [], None
    # Any line ending counts: "\r" and "\r\n" are newlines once normalized.
    return split_lines(text), text.endswith(("\n", "\r"))


def _join(lines: list[str], final_newline: bool | None) -> str:
    if not lines:
        return ""
    return "\n".join(lines) + ("\n" if final_newline else "")


def _matcher(old: list[str], new: list[str]) -> SequenceMatcher:
    """A SequenceMatcher, exact unless that could be too slow (see module doc)."""
    new_counts = Counter(new)
    pairs = sum(new_counts[line] for line in old)
    return SequenceMatcher(None, old, new, autojunk=pairs > EXACT_MATCH_BUDGET)


def _hunks(base: list[str], other: list[str]) -> list[_Hunk]:
    """Minimal changes turning ``base`` into ``other``, in base order.

    Consecutive hunks are separated by at least one unchanged base line (the
    clustering in ``merge3`` relies on it).
    """
    prefix, suffix = common_ends(base, other)
    base_end = len(base) - suffix
    other_end = len(other) - suffix
    if prefix == base_end and prefix == other_end:
        return []
    if prefix == base_end or prefix == other_end:
        # Pure insertion or pure deletion: no matcher needed.
        return [_Hunk(prefix, base_end, tuple(other[prefix:other_end]))]
    old = base[prefix:base_end]
    new = other[prefix:other_end]
    hunks = []
    for tag, i1, i2, j1, j2 in _matcher(old, new).get_opcodes():
        if tag == "equal":
            continue
        # With autojunk a replaced range can start or end with lines that are
        # in fact equal (popular lines are not used as match seeds); trim them
        # so a hunk only covers real changes and cannot collide needlessly.
        while i1 < i2 and j1 < j2 and old[i1] == new[j1]:
            i1 += 1
            j1 += 1
        while i1 < i2 and j1 < j2 and old[i2 - 1] == new[j2 - 1]:
            i2 -= 1
            j2 -= 1
        if i1 == i2 and j1 == j2:
            continue
        hunks.append(_Hunk(prefix + i1, prefix + i2, tuple(new[j1:j2])))
    return hunks


def _collide(first: _Hunk, second: _Hunk) -> bool:
    """Whether hunks of different sides must be resolved together.

    Ranges overlapping, or touching when one is an insertion (an insertion at
    the edge of the other's change has no well-defined place). Two replaced or
    deleted ranges that merely touch do not collide: see module docstring.
    """
    if first.lo < second.hi and second.lo < first.hi:
        return True
    touching = first.lo <= second.hi and second.lo <= first.hi
    return touching and (first.lo == first.hi or second.lo == second.hi)


def _apply(base: list[str], lo: int, hi: int, hunks: list[_Hunk]) -> tuple[str, ...]:
    """``base[lo:hi]`` with ``hunks`` (all within that range, sorted) applied."""
    out: list[str] = []
    at = lo
    for hunk in hunks:
        out.extend(base[at : hunk.lo])
        out.extend(hunk.lines)
        at = hunk.hi
    out.extend(base[at:hi])
    return tuple(out)


def _final_newline(base: bool | None, theirs: bool | None, yours: bool | None) -> bool | None:
    """Merge the ends-with-newline flags (None: empty text, no opinion)."""
    if theirs is None:
        return yours if yours is not None else base
    if yours is None or theirs == yours:
        return theirs
    # They differ: the side that kept base's choice did not change it, so
    # follow the other one. With an empty base both "changed" it: the editor's
    # text wins.
    if base is None or theirs == base:
        return yours
    return theirs


THEIRS, YOURS = 0, 1


def merge3(base: str, theirs: str, yours: str) -> MergeResult:
    """Three-way merge of ``theirs`` and ``yours``, both derived from ``base``."""
    base_lines, base_nl = _split(base)
    theirs_lines, theirs_nl = _split(theirs)
    yours_lines, yours_nl = _split(yours)
    final_newline = _final_newline(base_nl, theirs_nl, yours_nl)

    tagged = [(hunk, THEIRS) for hunk in _hunks(base_lines, theirs_lines)]
    tagged += [(hunk, YOURS) for hunk in _hunks(base_lines, yours_lines)]
    tagged.sort(key=lambda item: (item[0].lo, item[0].hi))

    # Group colliding hunks into clusters, sweeping in base order. A side's
    # hunks are disjoint and separated by unchanged lines, so a new hunk can
    # only collide with the latest hunk of the other side in the current
    # cluster, and never with an earlier (closed) cluster.
    clusters: list[tuple[list[_Hunk], list[_Hunk]]] = []
    latest: list[_Hunk | None] = [None, None]
    for hunk, side in tagged:
        other = latest[1 - side]
        if not clusters or other is None or not _collide(other, hunk):
            clusters.append(([], []))
            latest = [None, None]
        clusters[-1][side].append(hunk)
        latest[side] = hunk

    out: list[str] = []
    conflicts: list[ConflictRegion] = []
    pieces: list[tuple[str, ...] | ConflictRegion] = []
    run_start = 0  # index in `out` where the current run of merged lines starts
    # Index in `out` of the latest ">>>>>>> theirs" marker.
    last_marker = -1
    at = 0
    for theirs_hunks, yours_hunks in clusters:
        lo = min(hunks[0].lo for hunks in (theirs_hunks, yours_hunks) if hunks)
        hi = max(hunks[-1].hi for hunks in (theirs_hunks, yours_hunks) if hunks)
        out.extend(base_lines[at:lo])
        at = hi
        theirs_region = _apply(base_lines, lo, hi, theirs_hunks)
        yours_region = _apply(base_lines, lo, hi, yours_hunks)
        if not yours_hunks or theirs_region == yours_region:
            out.extend(theirs_region)
        elif not theirs_hunks:
            out.extend(yours_region)
        elif not any(hunk.lines for hunk in theirs_hunks + yours_hunks):
            # Overlapping deletions only: every line of the region was
            # deleted by a side and nothing was added; delete them all.
            pass
        else:
            region = ConflictRegion(
                base=tuple(base_lines[lo:hi]),
                theirs=theirs_region,
                yours=yours_region,
                start_line=len(out) + 1,
            )
            conflicts.append(region)
            if len(out) > run_start:
                pieces.append(tuple(out[run_start:]))
            pieces.append(region)
            out.append(YOURS_MARKER)
            out.extend(yours_region)
            out.append(SEPARATOR_MARKER)
            out.extend(theirs_region)
            out.append(THEIRS_MARKER)
            last_marker = len(out) - 1
            run_start = len(out)
    out.extend(base_lines[at:])
    if len(out) > run_start:
        pieces.append(tuple(out[run_start:]))

    if not conflicts:
        merged = _join(out, final_newline)
        return MergeResult(merged=merged, conflicts=(), text_with_markers=merged, pieces=tuple(pieces),
                           final_newline=final_newline)
    # A marker line must end with a newline even when the text does not.
    ends_with_marker = last_marker == len(out) - 1
    marked = _join(out, final_newline or ends_with_marker)
    return MergeResult(merged=None, conflicts=tuple(conflicts), text_with_markers=marked, pieces=tuple(pieces),
                       final_newline=final_newline)


# --- resolving conflicts, one choice per conflict ----------------------------

# What a user may choose for one conflict: one side's version, or both in either order.
CHOICES = ("mine", "theirs", "mine-first", "theirs-first")


def _both(first: tuple[str, ...], second: tuple[str, ...]) -> list[str]:
    """Both versions, ``first`` first; lines the two share at the start and end of the
    region (conflict regions are not shrunk, see above) are written once, not twice."""
    prefix, suffix = common_ends(list(first), list(second))
    return [*first[: len(first) - suffix], *second[prefix : len(second) - suffix], *first[len(first) - suffix :]]


def resolve(result: MergeResult, choices: list[str] | tuple[str, ...]) -> str:
    """The text of a conflicted merge with ``choices[i]`` (one of CHOICES) applied to
    conflict i. Merged parts are kept as merged. ValueError if a choice is missing or unknown."""
    if len(choices) != len(result.conflicts):
        raise ValueError(f"{len(result.conflicts)} choices needed, {len(choices)} given")
    lines: list[str] = []
    index = 0
    for piece in result.pieces:
        if not isinstance(piece, ConflictRegion):
            lines.extend(piece)
            continue
        choice = choices[index]
        index += 1
        if choice == "mine":
            lines.extend(piece.yours)
        elif choice == "theirs":
            lines.extend(piece.theirs)
        elif choice == "mine-first":
            lines.extend(_both(piece.yours, piece.theirs))
        elif choice == "theirs-first":
            lines.extend(_both(piece.theirs, piece.yours))
        else:
            raise ValueError(f"unknown choice {choice!r}")
    return _join(lines, result.final_newline)


def resolution_note(choices: list[str] | tuple[str, ...], theirs_number: int) -> str:
    """An edit summary's record of how a conflict was resolved, e.g. "resolved a conflict
    with revision 4: 1 × mine, 2 × both": a reader of the history sees whose text won."""
    counts = Counter(choices)
    parts = [f"{counts['mine']} × mine" if counts["mine"] else "",
             f"{counts['theirs']} × theirs" if counts["theirs"] else "",
             f"{counts['mine-first'] + counts['theirs-first']} × both"
             if counts["mine-first"] + counts["theirs-first"] else ""]
    return f"resolved a conflict with revision {theirs_number}: " + ", ".join(part for part in parts if part)


def count_markers(text: str) -> int:
    """How many lines of ``text`` are conflict markers: any line starting "<<<<<<<" (git's
    markers too), and our own ">>>>>>> theirs". Not "=======" (also a heading underline) nor
    other ">>>>>>>" lines (a deeply nested quote)."""
    return sum(1 for line in split_lines(text)
               if line.startswith("<<<<<<<") or line.rstrip() == THEIRS_MARKER)
