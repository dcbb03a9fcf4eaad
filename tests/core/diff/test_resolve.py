"""Resolving a conflicted merge one overlapping change at a time (pure)."""
import pytest

from wiki.core.diff.merge import ConflictRegion, count_markers, merge3, resolution_note, resolve
from wiki.core.edits import Edit, UnresolvedConflict
from wiki.core.titles import Title

BASE = "intro\nsep\nA\nkeep 1\nkeep 2\nkeep 3\nB\noutro\n"
THEIRS = "intro\nsep\nA theirs\nkeep 1\nkeep 2\nkeep 3\nB theirs\noutro\n"
YOURS = "intro, yours\nsep\nA yours\nkeep 1\nkeep 2\nkeep 3\nB yours\noutro\n"


@pytest.fixture
def result():
    merged = merge3(BASE, THEIRS, YOURS)
    assert len(merged.conflicts) == 2
    return merged


def test_pieces_hold_the_merged_runs_and_the_conflicts_in_order(result):
    kinds = ["conflict" if isinstance(piece, ConflictRegion) else list(piece) for piece in result.pieces]
    assert kinds == [["intro, yours", "sep"], "conflict", ["keep 1", "keep 2", "keep 3"], "conflict", ["outro"]]


@pytest.mark.parametrize("choices, first, second", [
    (["mine", "mine"], ["A yours"], ["B yours"]),
    (["theirs", "theirs"], ["A theirs"], ["B theirs"]),
    (["mine", "theirs"], ["A yours"], ["B theirs"]),
    (["mine-first", "theirs-first"], ["A yours", "A theirs"], ["B theirs", "B yours"]),
])
def test_each_choice_applies_to_its_own_conflict_and_merged_parts_stay(result, choices, first, second):
    text = resolve(result, choices)
    # "intro, yours" did not overlap anything: it stays merged whatever is chosen.
    assert text == "\n".join(["intro, yours", "sep", *first, "keep 1", "keep 2", "keep 3", *second, "outro"]) + "\n"


def test_both_writes_lines_the_versions_share_once():
    base = "a\nb\nc\n"
    theirs = "a\nb theirs\nc theirs\n"
    yours = "a\nb yours\nc theirs\n"  # the last line of the region is the same on both sides
    merged = merge3(base, theirs, yours)
    assert resolve(merged, ["mine-first"]) == "a\nb yours\nb theirs\nc theirs\n"
    assert resolve(merged, ["theirs-first"]) == "a\nb theirs\nb yours\nc theirs\n"


def test_deleted_on_one_side_mine_or_theirs():
    merged = merge3("a\nb\nc\n", "a\nc\n", "a\nb changed\nc\n")
    assert resolve(merged, ["theirs"]) == "a\nc\n"
    assert resolve(merged, ["mine"]) == "a\nb changed\nc\n"


def test_the_final_newline_follows_the_merge():
    merged = merge3("x", "x theirs", "x yours")
    assert resolve(merged, ["mine"]) == "x yours"


@pytest.mark.parametrize("choices", [[], ["mine"], ["mine", "mine", "mine"], ["mine", "everything"]])
def test_a_missing_or_unknown_choice_is_refused(result, choices):
    with pytest.raises(ValueError):
        resolve(result, choices)


def test_the_note_counts_whose_text_won():
    assert resolution_note(["mine", "mine"], 4) == "resolved a conflict with revision 4: 2 × mine"
    assert resolution_note(["theirs", "mine-first", "theirs-first"], 2) == (
        "resolved a conflict with revision 2: 1 × theirs, 2 × both")


def test_markers_are_counted_and_new_ones_refused(result):
    assert count_markers(result.text_with_markers) == 4
    assert count_markers("Title\n=======\n") == 0  # a heading underline is not a marker
    assert count_markers(">>>>>>> deep quote\n") == 0
    title = Title.parse("Doc")
    with pytest.raises(UnresolvedConflict, match="still holds conflict markers"):
        Edit.make(title, result.text_with_markers, max_bytes=10_000, previous=THEIRS)
    # A page about git that already shows markers may keep them; without `previous`, no check.
    Edit.make(title, result.text_with_markers, max_bytes=10_000, previous=result.text_with_markers)
    Edit.make(title, result.text_with_markers, max_bytes=10_000)
