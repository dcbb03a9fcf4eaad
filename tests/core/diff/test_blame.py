"""Unit tests for wiki.core.diff.blame (pure: no app, no database)."""

import dataclasses
import random

import pytest

from wiki.core.diff import blame as blame_module
from wiki.core.diff.blame import BlameLine, blame


def origins(revisions):
    """(text, origin) per line of the newest revision."""
    return [(line.text, line.origin) for line in blame(revisions)]


def test_no_revisions():
    assert blame([]) == []


def test_single_revision():
    assert blame(["first\nsecond\n"]) == [
        BlameLine(number=1, text="first", origin=0),
        BlameLine(number=2, text="second", origin=0),
    ]


def test_blame_line_is_frozen():
    line = blame(["a"])[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.origin = 3  # type: ignore[misc]


def test_appended_lines_get_the_new_revision():
    assert origins(["a\nb\n", "a\nb\nc\nd\n"]) == [("a", 0), ("b", 0), ("c", 1), ("d", 1)]


def test_inserted_line_keeps_origins_around_it():
    assert origins(["a\nb\nc\n", "a\nb\nc\n", "a\nnew\nb\nc\n"]) == [
        ("a", 0),
        ("new", 2),
        ("b", 0),
        ("c", 0),
    ]


def test_edited_line_gets_the_new_revision():
    revisions = ["a\nb\nc\n", "a\nB\nc\n", "a\nB\nc\nd\n", "A\nB\nc\nd\n"]
    assert origins(revisions) == [("A", 3), ("B", 1), ("c", 0), ("d", 2)]
    assert [line.number for line in blame(revisions)] == [1, 2, 3, 4]


def test_deleted_then_readded_line_gets_the_readding_revision():
    assert origins(["a\nb\nc\n", "a\nc\n", "a\nb\nc\n"]) == [("a", 0), ("b", 2), ("c", 0)]


def test_revert_attributes_restored_lines_to_the_revert():
    # Standard blame behaviour: only consecutive revisions are compared, so a
    # revert to an older text is the origin of the lines it restores.
    revisions = ["a\nb\n", "a\nchanged\n", "a\nb\n"]
    assert origins(revisions) == [("a", 0), ("b", 2)]


def test_moved_line_gets_the_moving_revision():
    # Moves are not detected: the moved line counts as removed and re-added.
    revisions = ["a\nb\nc\nd\n", "d\na\nb\nc\n"]
    assert origins(revisions) == [("d", 1), ("a", 0), ("b", 0), ("c", 0)]


def test_empty_revisions_in_between():
    revisions = ["a\nb\n", "", "a\nb\n", "a\nb\nc\n"]
    assert origins(revisions) == [("a", 2), ("b", 2), ("c", 3)]


def test_empty_newest_revision_has_no_lines():
    assert blame(["a\n", "a\nb\n", ""]) == []


def test_identical_consecutive_revisions_change_nothing():
    assert origins(["a\nb\n", "a\nb\n", "a\nb\n", "a\nB\n", "a\nB\n"]) == [("a", 0), ("B", 3)]


def test_line_ending_only_changes_keep_origins():
    revisions = ["a\nb\n", "a\r\nb\r\n", "a\rb", "a\nb\nc"]
    assert origins(revisions) == [("a", 0), ("b", 0), ("c", 3)]


def test_lines_are_split_on_newlines_only():
    assert origins(["a\u2028b\nc\x0cd\n"]) == [("a\u2028b", 0), ("c\x0cd", 0)]


def test_unicode_lines():
    revisions = ["# Überschrift\nnaïve café\n", "# Überschrift\nnaïve café ☕\n日本語 🎉\n"]
    assert origins(revisions) == [("# Überschrift", 0), ("naïve café ☕", 1), ("日本語 🎉", 1)]


def test_repeated_lines_keep_their_origins():
    revisions = ["x\n\nx\n\n", "x\n\nnew\nx\n\n"]
    assert origins(revisions) == [("x", 0), ("", 0), ("new", 1), ("x", 0), ("", 0)]


def test_accepts_any_sequence():
    assert origins(("a", "a\nb")) == [("a", 0), ("b", 1)]


def _random_history(rng, count, pool):
    revisions = []
    lines = [rng.choice(pool) for _ in range(rng.randint(0, 15))]
    for _ in range(count):
        lines = list(lines)
        for _ in range(rng.randint(0, 3)):
            at = rng.randint(0, len(lines))
            if rng.random() < 0.5 or not lines:
                lines.insert(at, rng.choice(pool))
            else:
                del lines[min(at, len(lines) - 1)]
        revisions.append("\n".join(lines) + ("\n" if lines else ""))
    return revisions


@pytest.mark.parametrize("seed", range(20))
def test_random_histories_are_consistent(seed):
    rng = random.Random(seed)
    pool = [f"line {n}" for n in range(8)] + ["", ""]
    revisions = _random_history(rng, rng.randint(1, 25), pool)
    result = blame(revisions)
    newest = revisions[-1].split("\n")[:-1] if revisions[-1] else []
    assert [line.text for line in result] == newest
    assert [line.number for line in result] == list(range(1, len(newest) + 1))
    for line in result:
        # The line exists in its origin and, if that is not the first
        # revision, the diff saw it as new there.
        assert line.text in revisions[line.origin].split("\n")
    # Only consecutive revisions are compared, so blaming a suffix of the
    # history gives the same origins, shifted, with older ones clamped to 0.
    start = rng.randint(0, len(revisions) - 1)
    suffix = blame(revisions[start:])
    assert [line.origin for line in suffix] == [max(line.origin - start, 0) for line in result]


def test_inexact_matcher_path_gives_the_newest_text(monkeypatch):
    # Force the autojunk matcher (used above EXACT_MATCH_BUDGET pairs).
    monkeypatch.setattr(blame_module, "EXACT_MATCH_BUDGET", 0)
    rng = random.Random(9)
    pool = ["", "---", "| a |", "text"]
    revisions = ["\n".join(rng.choice(pool) for _ in range(300)) for _ in range(3)]
    result = blame(revisions)
    assert [line.text for line in result] == revisions[-1].split("\n")
    assert all(0 <= line.origin <= 2 for line in result)
