"""What a line of page text is, and the common-ends trim every line matcher starts with.

Diffs (``textdiff``), three-way merges (``merge``) and blame (``blame``) all
compare revisions line by line. They take lines and the trim from here so that
they agree with each other: the line numbers of a diff, of a merge conflict and
of a blame view point at the same lines, the ones the editor shows.

* Line endings are normalized ("\\r\\n" and "\\r" become "\\n") and a final
  newline does not create a line, so "a\\nb" and "a\\r\\nb\\r\\n" have the same
  lines. Lines are split on "\\n" only, not with ``str.splitlines()``:
  splitlines also breaks on U+2028, form feed, U+0085... which would make line
  numbers disagree with the editor (a textarea only breaks on newlines).
* ``common_ends`` finds the shared start and end of two sequences. Matching
  those directly and running ``difflib.SequenceMatcher`` on the differing
  middle only is what makes the usual case (a few edits in a large page)
  linear. The word-level diff uses it on tokens the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["split_lines", "common_ends"]


def split_lines(text: str) -> list[str]:
    """The lines of ``text``, without their line endings (see the module docstring)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        # A final newline terminates the last line; it does not start a new one.
        lines.pop()
    return lines


def common_ends(old: Sequence[str], new: Sequence[str]) -> tuple[int, int]:
    """(prefix, suffix): how many items the two sequences share at their start and, after
    that, at their end.

    The suffix is counted on what the prefix left, so ``prefix + suffix`` never exceeds the
    shorter length and ``old[prefix:len(old) - suffix]`` / ``new[prefix:len(new) - suffix]``
    are the differing middles. Both counts are maximal, so those middles (when both are
    non-empty) differ in their first and in their last item.
    """
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    return prefix, suffix
