"""Unit tests for wiki.core.diff.lines: what a line is, and the common-ends trim.

Pure: no app, no database. The last test checks what the module exists for: diffs,
merges and blame number the same lines.
"""

import random

import pytest

from wiki.core.diff.blame import blame
from wiki.core.diff.lines import common_ends, split_lines
from wiki.core.diff.merge import merge3
from wiki.core.diff.textdiff import diff_texts

# --------------------------------------------------------------------------
# split_lines


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("", []),
        ("one", ["one"]),
        ("one\ntwo", ["one", "two"]),
        ("one\ntwo\n", ["one", "two"]),  # a final newline ends a line, starts none
        ("one\ntwo\n\n", ["one", "two", ""]),  # but a blank last line is a line
        ("\n", [""]),
        ("\n\n", ["", ""]),
        ("one\r\ntwo\r\n", ["one", "two"]),  # Windows
        ("one\rtwo\r", ["one", "two"]),  # old Mac
        ("one\r\ntwo\rthree\nfour", ["one", "two", "three", "four"]),  # mixed
        ("\r\r\n", ["", ""]),  # a CR then a CRLF: two endings, not one
    ],
)
def test_split_lines(text, lines):
    assert split_lines(text) == lines


@pytest.mark.parametrize(
    "separator",
    ["\u2028", "\u2029", "\f", "\v", "\x85", "\x1c", "\x1e"],
)
def test_only_newlines_end_lines(separator):
    # str.splitlines() breaks on these; a textarea does not, so neither do we,
    # or line numbers would disagree with the editor.
    text = f"a{separator}b\nc\n"
    assert split_lines(text) == [f"a{separator}b", "c"]
    assert len(text.splitlines()) == 3  # what we deliberately do not do


def test_joining_the_lines_gives_the_normalized_text_back():
    rng = random.Random(3)
    for _ in range(2000):
        pieces = ["a", "b", "\n", "\r", "\r\n", " "]
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        normalized = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = split_lines(text)
        assert all("\n" not in line and "\r" not in line for line in lines)
        ending = "\n" if normalized.endswith("\n") else ""
        assert ("\n".join(lines) + ending if lines else "") == normalized


# --------------------------------------------------------------------------
# common_ends


@pytest.mark.parametrize(
    ("old", "new", "ends"),
    [
        ([], [], (0, 0)),
        (["a"], [], (0, 0)),
        (["a", "b", "c"], ["a", "b", "c"], (3, 0)),  # identical: all prefix
        (["a", "b", "c"], ["a", "X", "c"], (1, 1)),
        (["a", "b", "c"], ["a", "c"], (1, 1)),  # deletion in the middle
        (["a", "c"], ["a", "b", "c"], (1, 1)),  # insertion in the middle
        (["x", "a"], ["a"], (0, 1)),
        (["a", "x"], ["a"], (1, 0)),
        # The suffix only counts lines the prefix left: never an overlap,
        # so the middles old[1:1] and new[1:2] stay valid ranges.
        (["a", "a"], ["a", "a", "a"], (2, 0)),
        (["a", "b", "a"], ["a", "a"], (1, 1)),
    ],
)
def test_common_ends(old, new, ends):
    assert common_ends(old, new) == ends


def test_common_ends_works_on_any_sequence_of_strings():
    # The word diff trims token lists with it; tuples work the same.
    assert common_ends(("The", " ", "fox"), ("The", " ", "cat")) == (2, 0)


def test_common_ends_are_shared_and_maximal():
    rng = random.Random(5)
    for _ in range(3000):
        old = [rng.choice("ab") for _ in range(rng.randint(0, 8))]
        new = [rng.choice("ab") for _ in range(rng.randint(0, 8))]
        prefix, suffix = common_ends(old, new)
        limit = min(len(old), len(new))
        assert 0 <= prefix + suffix <= limit
        assert old[:prefix] == new[:prefix]
        assert old[len(old) - suffix :] == new[len(new) - suffix :]
        # Maximal: one more line at either end would not be shared.
        if prefix < limit:
            assert old[prefix] != new[prefix]
        if suffix < limit - prefix:
            assert old[-1 - suffix] != new[-1 - suffix]


# --------------------------------------------------------------------------
# one notion of a line for diff, merge and blame


def test_diff_merge_and_blame_see_the_same_lines():
    text = "one\r\ntwo\u2028still two\rthree\f\n\nlast\n"
    lines = split_lines(text)
    assert lines == ["one", "two\u2028still two", "three\f", "", "last"]
    # Diff: every line inserted, numbered 1..n.
    (hunk,) = diff_texts("", text).hunks
    assert [(line.new_no, line.text) for line in hunk.lines] == list(enumerate(lines, 1))
    # Blame: the same numbers and texts.
    assert [(line.number, line.text) for line in blame([text])] == list(enumerate(lines, 1))
    # Merge: the merged text has the same lines (line endings normalized).
    assert split_lines(merge3(text, text, text).merged) == lines
    # A conflict region quotes whole lines as diff and blame number them.
    result = merge3(text, text.replace("last", "theirs"), text.replace("last", "yours"))
    (conflict,) = result.conflicts
    assert (conflict.base, conflict.theirs, conflict.yours) == (("last",), ("theirs",), ("yours",))
