"""Unit tests for wiki.core.diff.textdiff (pure: no app, no database).

Word marks of a single line pair are tested in test_words.py, line splitting and the
common-ends trim in test_lines.py; here, which lines a diff shows and which pairs get marks.
"""

import dataclasses
import difflib

import pytest

from wiki.core.diff import textdiff
from wiki.core.diff.textdiff import (
    Diff,
    DiffLine,
    Hunk,
    SideBySideRow,
    diff_texts,
)
from wiki.core.diff.words import MAX_WORD_DIFF_LINE_LENGTH, Segment, word_segments


def numbered(count, start=1):
    """'line 1\\nline 2\\n...' with one distinct line per number."""
    return "".join(f"line {n}\n" for n in range(start, start + count))


def shape(lines):
    """Compact view of DiffLines: (kind, old_no, new_no, text)."""
    return [(line.kind, line.old_no, line.new_no, line.text) for line in lines]


def marks(segments):
    """The (text, changed) pairs of a tuple of segments."""
    return [(segment.text, segment.changed) for segment in segments]


def header(hunk):
    return f"@@ -{hunk.old_start},{hunk.old_len} +{hunk.new_start},{hunk.new_len} @@"


# --------------------------------------------------------------------------
# whole-text cases


def test_identical_texts_have_no_hunks():
    text = numbered(10)
    diff = diff_texts(text, text)
    assert diff == Diff(hunks=(), added=0, removed=0)
    assert diff.identical


def test_two_empty_texts_are_identical():
    assert diff_texts("", "").identical


def test_empty_to_text_inserts_every_line():
    diff = diff_texts("", "alpha\nbeta\n")
    assert not diff.identical
    assert (diff.added, diff.removed) == (2, 0)
    (hunk,) = diff.hunks
    assert (hunk.old_start, hunk.old_len, hunk.new_start, hunk.new_len) == (0, 0, 1, 2)
    assert shape(hunk.lines) == [("insert", None, 1, "alpha"), ("insert", None, 2, "beta")]
    assert [(row.left, row.right) for row in hunk.rows] == [
        (None, hunk.lines[0]),
        (None, hunk.lines[1]),
    ]
    # Unpaired lines are wholly inserted: one unhighlighted segment.
    assert hunk.lines[0].segments == (Segment("alpha", False),)


def test_text_to_empty_deletes_every_line():
    diff = diff_texts("alpha\nbeta", "")
    assert (diff.added, diff.removed) == (0, 2)
    (hunk,) = diff.hunks
    assert (hunk.old_start, hunk.old_len, hunk.new_start, hunk.new_len) == (1, 2, 0, 0)
    assert shape(hunk.lines) == [("delete", 1, None, "alpha"), ("delete", 2, None, "beta")]
    assert [(row.left, row.right) for row in hunk.rows] == [
        (hunk.lines[0], None),
        (hunk.lines[1], None),
    ]


def test_insertion_at_start():
    diff = diff_texts(numbered(10), "new first\n" + numbered(10))
    (hunk,) = diff.hunks
    assert header(hunk) == "@@ -1,3 +1,4 @@"
    assert shape(hunk.lines) == [
        ("insert", None, 1, "new first"),
        ("equal", 1, 2, "line 1"),
        ("equal", 2, 3, "line 2"),
        ("equal", 3, 4, "line 3"),
    ]


def test_insertion_in_middle_with_context():
    new = numbered(5) + "inserted\n" + numbered(5, start=6)
    diff = diff_texts(numbered(10), new)
    assert (diff.added, diff.removed) == (1, 0)
    (hunk,) = diff.hunks
    assert header(hunk) == "@@ -3,6 +3,7 @@"
    assert shape(hunk.lines) == [
        ("equal", 3, 3, "line 3"),
        ("equal", 4, 4, "line 4"),
        ("equal", 5, 5, "line 5"),
        ("insert", None, 6, "inserted"),
        ("equal", 6, 7, "line 6"),
        ("equal", 7, 8, "line 7"),
        ("equal", 8, 9, "line 8"),
    ]
    # Equal lines sit on both sides of the side-by-side view.
    assert hunk.rows[0] == SideBySideRow(hunk.lines[0], hunk.lines[0])
    assert hunk.rows[3] == SideBySideRow(None, hunk.lines[3])


def test_insertion_at_end():
    diff = diff_texts(numbered(10), numbered(12))
    (hunk,) = diff.hunks
    assert header(hunk) == "@@ -8,3 +8,5 @@"
    assert shape(hunk.lines)[-3:] == [
        ("equal", 10, 10, "line 10"),
        ("insert", None, 11, "line 11"),
        ("insert", None, 12, "line 12"),
    ]


def test_deletion_in_middle():
    old = numbered(10)
    new = old.replace("line 5\nline 6\n", "")
    diff = diff_texts(old, new)
    assert (diff.added, diff.removed) == (0, 2)
    (hunk,) = diff.hunks
    assert header(hunk) == "@@ -2,8 +2,6 @@"
    assert shape(hunk.lines)[2:6] == [
        ("equal", 4, 4, "line 4"),
        ("delete", 5, None, "line 5"),
        ("delete", 6, None, "line 6"),
        ("equal", 7, 5, "line 7"),
    ]


def test_line_numbers_after_earlier_change():
    old = numbered(20)
    new = "intro\n" + old.replace("line 15\n", "line fifteen\n")
    diff = diff_texts(old, new, context=1)
    first, second = diff.hunks
    assert header(first) == "@@ -1,1 +1,2 @@"
    assert shape(second.lines) == [
        ("equal", 14, 15, "line 14"),
        ("delete", 15, None, "line 15"),
        ("insert", None, 16, "line fifteen"),
        ("equal", 16, 17, "line 16"),
    ]
    assert header(second) == "@@ -14,3 +15,3 @@"


def test_replacement_with_word_highlights():
    old = "Intro\nThe quick brown fox jumps over the lazy dog.\nOutro\n"
    new = "Intro\nThe quick red fox leaps over the lazy dog!\nOutro\n"
    (hunk,) = diff_texts(old, new).hunks
    deleted, inserted = hunk.lines[1], hunk.lines[2]
    assert (deleted.kind, deleted.old_no, deleted.new_no) == ("delete", 2, None)
    assert (inserted.kind, inserted.old_no, inserted.new_no) == ("insert", None, 2)
    assert marks(deleted.segments) == [
        ("The quick ", False),
        ("brown", True),
        (" fox ", False),
        ("jumps", True),
        (" over the lazy dog", False),
        (".", True),
    ]
    assert marks(inserted.segments) == [
        ("The quick ", False),
        ("red", True),
        (" fox ", False),
        ("leaps", True),
        (" over the lazy dog", False),
        ("!", True),
    ]
    assert hunk.rows[1] == SideBySideRow(deleted, inserted)


def test_context_size_is_respected():
    old = numbered(20)
    new = old.replace("line 10\n", "line ten\n")
    for context, expected_header in [
        (0, "@@ -10,1 +10,1 @@"),
        (1, "@@ -9,3 +9,3 @@"),
        (3, "@@ -7,7 +7,7 @@"),
        (5, "@@ -5,11 +5,11 @@"),
        (100, "@@ -1,20 +1,20 @@"),
    ]:
        (hunk,) = diff_texts(old, new, context=context).hunks
        assert header(hunk) == expected_header
        equal_lines = [line for line in hunk.lines if line.kind == "equal"]
        assert len(equal_lines) == min(2 * context, 19)


def test_pure_insertion_with_zero_context_uses_unified_header_convention():
    old = numbered(20)
    new = old.replace("line 10\n", "")
    (hunk,) = diff_texts(old, new, context=0).hunks
    # Like `diff -u -U0`: an empty range names the line before it.
    assert header(hunk) == "@@ -10,1 +9,0 @@"
    assert shape(hunk.lines) == [("delete", 10, None, "line 10")]


def test_negative_context_is_rejected():
    with pytest.raises(ValueError):
        diff_texts("a", "b", context=-1)


def test_two_distant_changes_give_two_hunks():
    old = numbered(30)
    new = old.replace("line 3\n", "line three\n").replace("line 25\n", "line twenty-five\n")
    diff = diff_texts(old, new)
    assert [header(hunk) for hunk in diff.hunks] == ["@@ -1,6 +1,6 @@", "@@ -22,7 +22,7 @@"]
    assert (diff.added, diff.removed) == (2, 2)


def test_changes_within_twice_the_context_share_one_hunk():
    old = numbered(30)
    # 6 equal lines (11..16) between the changes: exactly 2 * context.
    new = old.replace("line 10\n", "line ten\n").replace("line 17\n", "line seventeen\n")
    (hunk,) = diff_texts(old, new).hunks
    assert header(hunk) == "@@ -7,14 +7,14 @@"
    # One more equal line splits them.
    new = old.replace("line 10\n", "line ten\n").replace("line 18\n", "line eighteen\n")
    assert len(diff_texts(old, new).hunks) == 2


def test_hunk_headers_match_difflib_unified_diff():
    old = numbered(40)
    new_lines = old.splitlines()
    new_lines[0:2] = ["start"]
    new_lines[19:19] = ["middle a", "middle b"]
    new_lines[-1] = "end"
    new = "\n".join(new_lines)
    for context in (0, 1, 3):
        expected = [
            line
            for line in difflib.unified_diff(old.splitlines(), new_lines, n=context, lineterm="")
            if line.startswith("@@")
        ]
        got = [header(hunk) for hunk in diff_texts(old, new, context=context).hunks]
        # difflib omits ",1" lengths; normalize ours the same way to compare.
        assert [h.replace(",1 ", " ") for h in got] == [
            h.replace(",1 ", " ") for h in expected
        ]


def test_side_by_side_pairs_two_deleted_with_three_inserted():
    old = "keep\nold one\nold two\nkeep too\n"
    new = "keep\nnew one\nnew two\nbrand new three\nkeep too\n"
    diff = diff_texts(old, new)
    assert (diff.added, diff.removed) == (3, 2)
    (hunk,) = diff.hunks
    # Inline order: all deletes, then all inserts.
    assert shape(hunk.lines) == [
        ("equal", 1, 1, "keep"),
        ("delete", 2, None, "old one"),
        ("delete", 3, None, "old two"),
        ("insert", None, 2, "new one"),
        ("insert", None, 3, "new two"),
        ("insert", None, 4, "brand new three"),
        ("equal", 4, 5, "keep too"),
    ]
    rows = [
        (row.left.text if row.left else None, row.right.text if row.right else None)
        for row in hunk.rows
    ]
    assert rows == [
        ("keep", "keep"),
        ("old one", "new one"),
        ("old two", "new two"),
        (None, "brand new three"),
        ("keep too", "keep too"),
    ]
    # Paired lines are word-highlighted, the unpaired one is not.
    assert marks(hunk.rows[1].left.segments) == [("old", True), (" one", False)]
    assert marks(hunk.rows[1].right.segments) == [("new", True), (" one", False)]
    assert hunk.rows[3].right.segments == (Segment("brand new three", False),)


def test_side_by_side_pairs_three_deleted_with_one_inserted():
    (hunk,) = diff_texts("a\nx 1\nx 2\nx 3\nb\n", "a\nx 9\nb\n").hunks
    rows = [
        (row.left.text if row.left else None, row.right.text if row.right else None)
        for row in hunk.rows
    ]
    assert rows == [("a", "a"), ("x 1", "x 9"), ("x 2", None), ("x 3", None), ("b", "b")]
    assert marks(hunk.rows[1].right.segments) == [("x ", False), ("9", True)]


def test_crlf_and_lf_are_identical():
    assert diff_texts("one\r\ntwo\r\nthree\r\n", "one\ntwo\nthree\n").identical
    assert diff_texts("one\rtwo\r", "one\ntwo\n").identical  # old Mac endings


def test_crlf_text_with_a_real_change_reports_only_that_line():
    diff = diff_texts("one\r\ntwo\r\nthree\r\n", "one\ntwo!\nthree\n")
    (hunk,) = diff.hunks
    assert shape(hunk.lines) == [
        ("equal", 1, 1, "one"),
        ("delete", 2, None, "two"),
        ("insert", None, 2, "two!"),
        ("equal", 3, 3, "three"),
    ]
    assert "\r" not in "".join(line.text for line in hunk.lines)


def test_missing_trailing_newline_is_not_a_change():
    assert diff_texts("a\nb", "a\nb\n").identical
    assert diff_texts("a\nb\n", "a\nb").identical


def test_extra_blank_line_at_end_is_a_change():
    diff = diff_texts("a\nb\n", "a\nb\n\n")
    assert (diff.added, diff.removed) == (1, 0)
    assert shape(diff.hunks[0].lines)[-1] == ("insert", None, 3, "")
    assert diff.hunks[0].lines[-1].segments == (Segment("", False),)


def test_only_newlines_split_lines():
    # U+2028 and form feed stay inside their line, so numbers match the editor.
    diff = diff_texts("a\u2028b\nc\fd\nend\n", "a\u2028b\nc\fD\nend\n")
    (hunk,) = diff.hunks
    assert shape(hunk.lines) == [
        ("equal", 1, 1, "a\u2028b"),
        ("delete", 2, None, "c\fd"),
        ("insert", None, 2, "c\fD"),
        ("equal", 3, 3, "end"),
    ]


def test_added_and_removed_counts():
    old = "a\nb\nc\nd\ne\nf\n"
    new = "a\nB\nc\ne\nf\ng\nh\n"  # b->B, d deleted, g and h added
    diff = diff_texts(old, new)
    assert (diff.added, diff.removed) == (3, 2)
    kinds = [line.kind for hunk in diff.hunks for line in hunk.lines]
    assert kinds.count("insert") == 3
    assert kinds.count("delete") == 2


# --------------------------------------------------------------------------
# which replaced line pairs get word marks


def test_dissimilar_line_pairs_are_not_word_highlighted():
    old = "The quick brown fox jumps"
    new = "Lorem ipsum dolor sit amet"
    assert word_segments(old, new) == ((Segment(old, False),), (Segment(new, False),))
    (hunk,) = diff_texts(f"x\n{old}\ny\n", f"x\n{new}\ny\n").hunks
    assert shape(hunk.lines)[1:3] == [("delete", 2, None, old), ("insert", None, 2, new)]
    assert hunk.lines[1].segments == (Segment(old, False),)
    assert hunk.lines[2].segments == (Segment(new, False),)


def test_word_diff_budget_caps_highlighting(monkeypatch):
    monkeypatch.setattr(textdiff, "MAX_WORD_DIFF_TOTAL_CHARS", 40)
    old = "alpha beta one\nalpha beta two\nalpha beta six\n"
    new = "alpha beta ONE\nalpha beta TWO\nalpha beta SIX\n"
    (hunk,) = diff_texts(old, new).hunks
    highlighted = [any(s.changed for s in line.segments) for line in hunk.lines]
    # Each pair costs 28 characters: only the first pair fits in 40.
    assert highlighted == [True, False, False, True, False, False]


def test_word_diff_budget_stops_at_the_first_pair_that_does_not_fit(monkeypatch):
    monkeypatch.setattr(textdiff, "MAX_WORD_DIFF_TOTAL_CHARS", 40)
    old = "alpha beta one\nalpha beta seven\na b\n"
    new = "alpha beta ONE\nalpha beta SEVEN\na c\n"
    (hunk,) = diff_texts(old, new).hunks
    highlighted = [any(s.changed for s in line.segments) for line in hunk.lines]
    # 28 characters leave 12; the 32-character pair does not fit, and the last
    # pair (6 characters) stays plain too although it would fit.
    assert highlighted == [True, False, False, True, False, False]


def test_over_long_lines_do_not_spend_the_word_diff_budget(monkeypatch):
    monkeypatch.setattr(textdiff, "MAX_WORD_DIFF_TOTAL_CHARS", 40)
    long_old = "word " * (MAX_WORD_DIFF_LINE_LENGTH // 5) + "tail"
    long_new = long_old.replace("tail", "TAIL")
    old = f"{long_old}\nalpha beta one\n"
    new = f"{long_new}\nalpha beta ONE\n"
    (hunk,) = diff_texts(old, new).hunks
    highlighted = [any(s.changed for s in line.segments) for line in hunk.lines]
    # The long pair is never word-diffed, so it costs nothing: the short pair
    # after it still gets its marks.
    assert highlighted == [False, True, False, True]
    assert marks(hunk.lines[3].segments) == [("alpha beta ", False), ("ONE", True)]


def test_result_is_immutable_plain_data():
    diff = diff_texts("a\n", "b\n")
    hunk = diff.hunks[0]
    assert isinstance(hunk, Hunk)
    assert all(isinstance(line, DiffLine) for line in hunk.lines)
    assert isinstance(hunk.lines, tuple) and isinstance(hunk.rows, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        hunk.old_start = 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        hunk.lines[0].segments[0].changed = True
