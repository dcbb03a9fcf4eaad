"""Unit tests for wiki.core.diff.merge (pure: no app, no database)."""

import dataclasses
import random

import pytest

from wiki.core.diff import merge
from wiki.core.diff.merge import ConflictRegion, MergeResult, merge3


def text(*lines, final_newline=True):
    """Lines joined with "\\n", with a final newline unless told otherwise."""
    if not lines:
        return ""
    return "\n".join(lines) + ("\n" if final_newline else "")


BASE = text("1", "2", "3", "4", "5", "6")


def assert_clean(result, expected):
    assert result.clean
    assert result.merged == expected
    assert result.conflicts == ()
    assert result.text_with_markers == expected


def assert_merges_each_side(base, theirs, yours):
    """The properties every merge must have, whatever the texts."""
    assert merge3(base, theirs, base).merged == theirs.replace("\r\n", "\n").replace("\r", "\n")
    assert merge3(base, base, yours).merged == yours.replace("\r\n", "\n").replace("\r", "\n")
    assert merge3(base, theirs, theirs).merged == theirs.replace("\r\n", "\n").replace("\r", "\n")


# --- API ------------------------------------------------------------------


def test_result_types_are_frozen_and_clean_reflects_conflicts():
    clean = merge3("a\n", "b\n", "a\n")
    assert isinstance(clean, MergeResult)
    assert clean.clean is True
    conflicted = merge3("a\n", "b\n", "c\n")
    assert conflicted.clean is False
    assert conflicted.merged is None
    assert isinstance(conflicted.conflicts[0], ConflictRegion)
    with pytest.raises(dataclasses.FrozenInstanceError):
        conflicted.merged = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        conflicted.conflicts[0].start_line = 3  # type: ignore[misc]


# --- one side or both sides the same ----------------------------------------


def test_only_theirs_changed_takes_theirs():
    theirs = text("1", "two", "3", "4", "5", "6", "7")
    assert_clean(merge3(BASE, theirs, BASE), theirs)


def test_only_yours_changed_takes_yours():
    yours = text("0", "1", "3", "4", "5", "six")
    assert_clean(merge3(BASE, BASE, yours), yours)


def test_nothing_changed():
    assert_clean(merge3(BASE, BASE, BASE), BASE)


def test_identical_changes_on_both_sides_are_taken_once():
    same = text("1", "two", "3", "4", "new", "5", "6")
    assert_clean(merge3(BASE, same, same), same)


def test_identical_change_plus_a_distant_change():
    theirs = text("1", "two", "3", "4", "5", "six")
    yours = text("1", "two", "3", "4", "5", "6")
    assert_clean(merge3(BASE, theirs, yours), text("1", "two", "3", "4", "5", "six"))


# --- edits to different lines -------------------------------------------------


def test_edits_to_distant_lines_merge():
    theirs = text("one", "2", "3", "4", "5", "6")
    yours = text("1", "2", "3", "4", "5", "SIX")
    assert_clean(merge3(BASE, theirs, yours), text("one", "2", "3", "4", "5", "SIX"))


def test_edits_to_adjacent_lines_merge_cleanly():
    # Deliberately unlike diff3/git (see module docstring): line 3 changed by
    # theirs, line 4 by yours, no shared base line.
    theirs = text("1", "2", "three", "4", "5", "6")
    yours = text("1", "2", "3", "four", "5", "6")
    assert_clean(merge3(BASE, theirs, yours), text("1", "2", "three", "four", "5", "6"))


def test_adjacent_edits_of_different_sizes_keep_every_line():
    theirs = text("1", "2", "3a", "3b", "3c", "4", "5", "6")  # line 3 -> three lines
    yours = text("1", "2", "3", "5", "6")  # line 4 deleted
    assert_clean(merge3(BASE, theirs, yours), text("1", "2", "3a", "3b", "3c", "5", "6"))


def test_adjacent_edits_chained_across_sides():
    theirs = text("1", "TWO", "3", "FOUR", "5", "6")
    yours = text("1", "2", "three", "4", "five", "6")
    assert_clean(merge3(BASE, theirs, yours), text("1", "TWO", "three", "FOUR", "five", "6"))


def test_insertions_at_different_spots_merge():
    theirs = text("1", "t", "2", "3", "4", "5", "6")
    yours = text("1", "2", "3", "4", "5", "6", "y")
    assert_clean(merge3(BASE, theirs, yours), text("1", "t", "2", "3", "4", "5", "6", "y"))


def test_insertions_one_line_apart_merge():
    theirs = text("1", "2", "t", "3", "4", "5", "6")
    yours = text("1", "2", "3", "y", "4", "5", "6")
    assert_clean(merge3(BASE, theirs, yours), text("1", "2", "t", "3", "y", "4", "5", "6"))


# --- insertions at the same spot ----------------------------------------------


def test_identical_insertions_at_same_spot_are_taken_once():
    both = text("1", "2", "3", "new a", "new b", "4", "5", "6")
    assert_clean(merge3(BASE, both, both), both)


def test_different_insertions_at_same_spot_conflict():
    theirs = text("1", "2", "3", "t", "4", "5", "6")
    yours = text("1", "2", "3", "y1", "y2", "4", "5", "6")
    result = merge3(BASE, theirs, yours)
    assert result.merged is None
    assert result.conflicts == (
        ConflictRegion(base=(), theirs=("t",), yours=("y1", "y2"), start_line=4),
    )
    assert result.text_with_markers == text(
        "1", "2", "3", "<<<<<<< yours", "y1", "y2", "=======", "t", ">>>>>>> theirs", "4", "5", "6"
    )


def test_insertion_at_the_edge_of_the_other_sides_change_conflicts():
    # Does "t" go before or after "four"? Ambiguous, so a conflict.
    theirs = text("1", "2", "3", "t", "4", "5", "6")
    yours = text("1", "2", "3", "four", "5", "6")
    result = merge3(BASE, theirs, yours)
    assert result.conflicts == (
        ConflictRegion(base=("4",), theirs=("t", "4"), yours=("four",), start_line=4),
    )
    # Same after the other side's change.
    yours = text("1", "2", "three", "4", "5", "6")
    result = merge3(BASE, theirs, yours)
    assert result.conflicts == (
        ConflictRegion(base=("3",), theirs=("3", "t"), yours=("three",), start_line=3),
    )


def test_insertion_next_to_a_deletion_conflicts():
    theirs = text("1", "2", "4", "5", "6")  # deletes 3
    yours = text("1", "2", "3", "y", "4", "5", "6")  # inserts after 3
    result = merge3(BASE, theirs, yours)
    assert result.conflicts == (
        ConflictRegion(base=("3",), theirs=(), yours=("3", "y"), start_line=3),
    )


# --- deletions ----------------------------------------------------------------


def test_deletion_on_one_side_is_applied():
    theirs = text("1", "2", "5", "6")
    yours = text("1", "2", "3", "4", "5", "six")
    assert_clean(merge3(BASE, theirs, yours), text("1", "2", "5", "six"))


def test_same_deletion_on_both_sides():
    both = text("1", "4", "5", "6")
    assert_clean(merge3(BASE, both, both), both)


def test_overlapping_deletions_delete_the_union():
    theirs = text("1", "5", "6")  # deletes 2-4
    yours = text("1", "2", "6")  # deletes 3-5
    assert_clean(merge3(BASE, theirs, yours), text("1", "6"))


def test_adjacent_deletions_merge():
    theirs = text("1", "2", "4", "5", "6")  # deletes 3
    yours = text("1", "2", "3", "5", "6")  # deletes 4
    assert_clean(merge3(BASE, theirs, yours), text("1", "2", "5", "6"))


def test_deletion_against_modification_conflicts():
    theirs = text("1", "2", "4", "5", "6")
    yours = text("1", "2", "three", "4", "5", "6")
    result = merge3(BASE, theirs, yours)
    assert result.conflicts == (
        ConflictRegion(base=("3",), theirs=(), yours=("three",), start_line=3),
    )
    assert result.text_with_markers == text(
        "1", "2", "<<<<<<< yours", "three", "=======", ">>>>>>> theirs", "4", "5", "6"
    )


def test_both_delete_everything_gives_empty_text():
    assert_clean(merge3(BASE, "", ""), "")


def test_one_deletes_everything_other_edits_conflicts():
    yours = text("1", "2", "3", "4", "5", "SIX")
    result = merge3(BASE, "", yours)
    assert result.conflicts == (
        ConflictRegion(
            base=tuple("123456"), theirs=(), yours=("1", "2", "3", "4", "5", "SIX"), start_line=1
        ),
    )
    assert result.text_with_markers == text(
        "<<<<<<< yours", "1", "2", "3", "4", "5", "SIX", "=======", ">>>>>>> theirs"
    )


# --- conflicts ------------------------------------------------------------------


def test_different_edits_to_same_line_conflict():
    theirs = text("1", "2", "three", "4", "5", "6")
    yours = text("1", "2", "THREE", "4", "5", "6")
    result = merge3(BASE, theirs, yours)
    assert result.conflicts == (
        ConflictRegion(base=("3",), theirs=("three",), yours=("THREE",), start_line=3),
    )


def test_overlapping_edits_form_one_region():
    theirs = text("1", "two", "three", "4", "5", "6")  # lines 2-3
    yours = text("1", "2", "THREE", "FOUR", "5", "6")  # lines 3-4
    result = merge3(BASE, theirs, yours)
    assert result.conflicts == (
        ConflictRegion(
            base=("2", "3", "4"),
            theirs=("two", "three", "4"),
            yours=("2", "THREE", "FOUR"),
            start_line=2,
        ),
    )


def test_start_line_points_at_each_marker_line():
    base = text(*(f"line {n}" for n in range(1, 11)))
    theirs = base.replace("line 2\n", "t2\n").replace("line 8\n", "t8a\nt8b\n")
    yours = (
        base.replace("line 2\n", "y2a\ny2b\ny2c\n")
        .replace("line 5\n", "y5\n")
        .replace("line 8\n", "y8\n")
    )
    result = merge3(base, theirs, yours)
    assert [c.start_line for c in result.conflicts] == [2, 14]
    lines = result.text_with_markers.split("\n")
    for conflict in result.conflicts:
        assert lines[conflict.start_line - 1] == "<<<<<<< yours"
    assert result.text_with_markers == text(
        "line 1",
        "<<<<<<< yours", "y2a", "y2b", "y2c", "=======", "t2", ">>>>>>> theirs",
        "line 3", "line 4", "y5", "line 6", "line 7",
        "<<<<<<< yours", "y8", "=======", "t8a", "t8b", ">>>>>>> theirs",
        "line 9", "line 10",
    )  # fmt: skip


def test_conflict_at_end_of_text_without_final_newline_ends_marker_line():
    base = text("a", "b", final_newline=False)
    result = merge3(base, text("a", "t", final_newline=False), text("a", "y", final_newline=False))
    assert result.text_with_markers == "a\n<<<<<<< yours\ny\n=======\nt\n>>>>>>> theirs\n"
    assert result.conflicts == (
        ConflictRegion(base=("b",), theirs=("t",), yours=("y",), start_line=2),
    )


def test_conflict_text_keeps_missing_final_newline_after_content():
    base = text("a", "b", final_newline=False)
    result = merge3(base, text("t", "b", final_newline=False), text("y", "b", final_newline=False))
    assert result.text_with_markers == "<<<<<<< yours\ny\n=======\nt\n>>>>>>> theirs\nb"


# --- whitespace -------------------------------------------------------------------


def test_whitespace_only_change_on_one_side_merges():
    theirs = text("1", "2  ", "3", "4", "5", "6")
    yours = text("1", "2", "3", "4", "5", "6", "7")
    assert_clean(merge3(BASE, theirs, yours), text("1", "2  ", "3", "4", "5", "6", "7"))


def test_whitespace_changes_are_real_changes():
    theirs = text("1", "2", "\t3", "4", "5", "6")
    yours = text("1", "2", "3 ", "4", "5", "6")
    result = merge3(BASE, theirs, yours)
    assert result.conflicts == (
        ConflictRegion(base=("3",), theirs=("\t3",), yours=("3 ",), start_line=3),
    )


def test_blank_line_changes_are_real_changes():
    theirs = text("1", "", "2", "3", "4", "5", "6")
    assert_clean(merge3(BASE, theirs, BASE), theirs)
    assert_clean(
        merge3(BASE, theirs, text("1", "2", "3", "4", "5", "", "6")),
        text("1", "", "2", "3", "4", "5", "", "6"),
    )


# --- empty base -------------------------------------------------------------------


def test_empty_base_identical_texts_merge():
    both = text("# Title", "body")
    assert_clean(merge3("", both, both), both)


def test_empty_base_different_texts_conflict_as_a_whole():
    result = merge3("", text("# Title", "theirs"), text("# Title", "yours"))
    assert result.conflicts == (
        ConflictRegion(
            base=(), theirs=("# Title", "theirs"), yours=("# Title", "yours"), start_line=1
        ),
    )
    assert result.text_with_markers == text(
        "<<<<<<< yours", "# Title", "yours", "=======", "# Title", "theirs", ">>>>>>> theirs"
    )


def test_empty_base_one_side_empty_takes_the_other():
    assert_clean(merge3("", "", "new\n"), "new\n")
    assert_clean(merge3("", "new\n", ""), "new\n")


# --- line endings and final newline -------------------------------------------------


def test_crlf_and_cr_inputs_are_normalized():
    base = "1\r\n2\r\n3\r\n"
    theirs = "one\r\n2\r\n3\r\n"
    yours = "1\r2\rthree\r"
    assert_clean(merge3(base, theirs, yours), "one\n2\nthree\n")


def test_crlf_only_change_is_no_change():
    assert_clean(merge3("a\nb\n", "a\r\nb\r\n", "a\nB\n"), "a\nB\n")


def test_missing_final_newline_everywhere_is_kept_missing():
    base = text("a", "b", "c", final_newline=False)
    theirs = text("A", "b", "c", final_newline=False)
    yours = text("a", "b", "C", final_newline=False)
    assert_clean(merge3(base, theirs, yours), "A\nb\nC")


def test_final_newline_follows_the_side_that_changed_it():
    base = text("a", "b", "c")
    theirs = text("A", "b", "c", final_newline=False)  # removed the final newline
    yours = text("a", "b", "C")
    assert_clean(merge3(base, theirs, yours), "A\nb\nC")
    # and the other way round: yours added one
    base = text("a", "b", "c", final_newline=False)
    assert_clean(
        merge3(base, text("A", "b", "c", final_newline=False), text("a", "b", "C")), "A\nb\nC\n"
    )


def test_final_newline_change_alone_never_conflicts():
    base = text("a", "b")
    result = merge3(base, text("a", "b", final_newline=False), text("a", "b", "c"))
    assert_clean(result, "a\nb\nc")


def test_empty_base_disagreeing_final_newline_follows_yours():
    assert_clean(merge3("", "a", "a\n"), "a\n")
    assert_clean(merge3("", "a\n", "a"), "a")


def test_lone_newline_is_one_empty_line():
    assert_clean(merge3("\n", "\n", "\nx\n"), "\nx\n")
    assert_clean(merge3("a\n", "\n", "a\n"), "\n")


# --- unicode ------------------------------------------------------------------------


def test_unicode_lines():
    base = text("Überschrift", "naïve café", "日本語", "emoji 🎉")
    theirs = text("Überschrift", "naïve café ☕", "日本語", "emoji 🎉")
    yours = text("Überschrift", "naïve café", "日本語", "emoji 🎉🎉", "Ωmega")
    assert_clean(
        merge3(base, theirs, yours),
        text("Überschrift", "naïve café ☕", "日本語", "emoji 🎉🎉", "Ωmega"),
    )


def test_unicode_line_separators_do_not_split_lines():
    # U+2028 and form feed are not line breaks (a textarea only breaks on newlines).
    base = "a\u2028b\nc\x0cd\n"
    theirs = "a\u2028B\nc\x0cd\n"
    yours = "a\u2028b\nc\x0cD\n"
    assert_clean(merge3(base, theirs, yours), "a\u2028B\nc\x0cD\n")
    conflict = merge3(base, "x\u2028b\nc\x0cd\n", "y\u2028b\nc\x0cd\n").conflicts[0]
    assert conflict.base == ("a\u2028b",)


# --- large input ----------------------------------------------------------------------


def test_large_page_with_distant_edits_merges():
    base_lines = [f"line {n}" if n % 4 else "" for n in range(5000)]  # many blank lines
    theirs_lines = list(base_lines)
    del theirs_lines[4800]  # a blank line; edits applied bottom-up
    theirs_lines[2501:2501] = ["theirs inserted"]
    theirs_lines[10] = "theirs 10"
    yours_lines = list(base_lines)
    yours_lines[11] = "yours 11"  # adjacent to theirs' edit of line 10
    yours_lines[1234] = "yours 1234"
    yours_lines[4998:4999] = ["yours a", "yours b"]
    expected = list(base_lines)
    expected[4998:4999] = ["yours a", "yours b"]
    del expected[4800]
    expected[2501:2501] = ["theirs inserted"]
    expected[1234] = "yours 1234"
    expected[11] = "yours 11"
    expected[10] = "theirs 10"
    result = merge3(text(*base_lines), text(*theirs_lines), text(*yours_lines))
    assert_clean(result, text(*expected))


def test_inexact_matcher_path_never_loses_lines(monkeypatch):
    # Force the autojunk matcher (used above EXACT_MATCH_BUDGET pairs).
    monkeypatch.setattr(merge, "EXACT_MATCH_BUDGET", 0)
    rng = random.Random(5)
    pool = ["", "---", "| a | b |", "text", "more"]
    base = text(*(rng.choice(pool) for _ in range(400)))
    theirs = text(*(rng.choice(pool) for _ in range(380)))
    yours = text(*(rng.choice(pool) for _ in range(420)))
    assert_merges_each_side(base, theirs, yours)
    edited = base.replace("text\n", "TEXT\n", 3)
    assert_clean(merge3(base, edited, base), edited)


# --- randomized properties --------------------------------------------------------------


def _random_edits(rng, size, min_gap, max_gap, allow_insertions):
    """Non-overlapping edits (lo, hi, side, new lines) of a base of `size` lines."""
    edits = []
    at = rng.randint(0, 2)
    counter = 0
    while at <= size:
        length = rng.randint(0 if allow_insertions else 1, 3)
        if at + length > size:
            break
        side = rng.choice(("theirs", "yours"))
        count = rng.randint(1 if length == 0 else 0, 3)
        new = [f"{side} {counter + k}" for k in range(count)]
        counter += count
        edits.append((at, at + length, side, new))
        at += length + rng.randint(min_gap, max_gap)
    return edits


def _apply(base_lines, edits):
    out = list(base_lines)
    for lo, hi, _side, new in reversed(edits):  # edits are sorted and disjoint
        out[lo:hi] = new
    return out


@pytest.mark.parametrize("seed", range(40))
def test_random_separated_edits_merge_to_the_combination(seed):
    rng = random.Random(seed)
    base_lines = [f"base {n}" for n in range(rng.randint(0, 40))]
    edits = _random_edits(rng, len(base_lines), min_gap=2, max_gap=6, allow_insertions=True)
    theirs = _apply(base_lines, [e for e in edits if e[2] == "theirs"])
    yours = _apply(base_lines, [e for e in edits if e[2] == "yours"])
    newline = rng.random() < 0.8
    result = merge3(
        text(*base_lines, final_newline=newline),
        text(*theirs, final_newline=newline),
        text(*yours, final_newline=newline),
    )
    assert_clean(result, text(*_apply(base_lines, edits), final_newline=newline))


@pytest.mark.parametrize("seed", range(40))
def test_random_adjacent_replacements_and_deletions_merge(seed):
    # The adjacent-edit choice: touching (not overlapping) replaced or deleted
    # ranges from different sides merge cleanly.
    rng = random.Random(1000 + seed)
    base_lines = [f"base {n}" for n in range(rng.randint(1, 30))]
    edits = _random_edits(rng, len(base_lines), min_gap=0, max_gap=1, allow_insertions=False)
    theirs = _apply(base_lines, [e for e in edits if e[2] == "theirs"])
    yours = _apply(base_lines, [e for e in edits if e[2] == "yours"])
    result = merge3(text(*base_lines), text(*theirs), text(*yours))
    assert_clean(result, text(*_apply(base_lines, edits)))


@pytest.mark.parametrize("seed", range(60))
def test_random_texts_with_repeated_lines_merge_each_side(seed):
    rng = random.Random(2000 + seed)
    pool = ["", "", "a", "b", "c", "- item", "  indented"]

    def random_text(lines):
        return "\n".join(lines) + rng.choice(["", "\n", "\r\n"])

    def mutated(lines):
        lines = list(lines)
        for _ in range(rng.randint(0, 3)):
            at = rng.randint(0, len(lines))
            if rng.random() < 0.4:
                lines.insert(at, rng.choice(pool))
            elif lines:
                lines[min(at, len(lines) - 1) : min(at, len(lines) - 1) + 1] = rng.choice(
                    [[], [rng.choice(pool)]]
                )
        return lines

    base_lines = [rng.choice(pool) for _ in range(rng.randint(0, 25))]
    base = random_text(base_lines)
    theirs, yours = random_text(mutated(base_lines)), random_text(mutated(base_lines))
    assert_merges_each_side(base, theirs, yours)
    result = merge3(base, theirs, yours)
    if result.clean:
        assert result.text_with_markers == result.merged
    else:
        lines = result.text_with_markers.split("\n")
        for conflict in result.conflicts:
            assert lines[conflict.start_line - 1] == "<<<<<<< yours"
            assert conflict.theirs != conflict.yours
