"""Unit tests for wiki.core.diff.words: which words of a replaced line pair are marked.

Pure: no app, no database. Moved unchanged from test_textdiff.py when word diffing got
its own module.
"""

import pytest

from wiki.core.diff.words import MAX_WORD_DIFF_LINE_LENGTH, Segment, word_segments


def marks(segments):
    """The (text, changed) pairs of a tuple of segments."""
    return [(segment.text, segment.changed) for segment in segments]


# --------------------------------------------------------------------------
# marks in typical edits


def test_adjacent_changed_words_form_one_highlight():
    old, new = word_segments("The quick brown fox jumps over", "The slow green fox jumps over")
    # The space between two changed words is highlighted with them.
    assert marks(old) == [("The ", False), ("quick brown", True), (" fox jumps over", False)]
    assert marks(new) == [("The ", False), ("slow green", True), (" fox jumps over", False)]


def test_inserted_word_within_a_line():
    old, new = word_segments("Set timeout to 30 seconds.", "Set the timeout to 45 seconds.")
    assert marks(old) == [("Set timeout to ", False), ("30", True), (" seconds.", False)]
    assert marks(new) == [
        ("Set ", False),
        ("the ", True),
        ("timeout to ", False),
        ("45", True),
        (" seconds.", False),
    ]


@pytest.mark.parametrize(
    ("old", "new", "old_marks", "new_marks"),
    [
        (
            "Café au lait",
            "Café au chocolat",
            [("Café au ", False), ("lait", True)],
            [("Café au ", False), ("chocolat", True)],
        ),
        (  # Han and kana: one token per character, not one per sentence
            "日本語のテキスト",
            "日本語の文章",
            [("日本語の", False), ("テキスト", True)],
            [("日本語の", False), ("文章", True)],
        ),
        (  # combining accent (NFD) stays part of its word
            "le cafe\u0301 noir",
            "le cafe noir",
            [("le ", False), ("cafe\u0301", True), (" noir", False)],
            [("le ", False), ("cafe", True), (" noir", False)],
        ),
        (  # Devanagari vowel signs are marks: words are not split apart
            "नमस्ते दुनिया",
            "नमस्ते संसार",
            [("नमस्ते ", False), ("दुनिया", True)],
            [("नमस्ते ", False), ("संसार", True)],
        ),
        (  # a ZWJ emoji sequence is one token
            "Team 👩\u200d💻 rocks",
            "Team 👨\u200d💻 rocks",
            [("Team ", False), ("👩\u200d💻", True), (" rocks", False)],
            [("Team ", False), ("👨\u200d💻", True), (" rocks", False)],
        ),
    ],
)
def test_unicode_word_highlights(old, new, old_marks, new_marks):
    old_segments, new_segments = word_segments(old, new)
    assert marks(old_segments) == old_marks
    assert marks(new_segments) == new_marks


def test_shared_whitespace_does_not_make_lines_similar():
    # Half the tokens are matching spaces, but no word is shared.
    old, new = word_segments("a b c d", "w x y z")
    assert old == (Segment("a b c d", False),)
    assert new == (Segment("w x y z", False),)


def test_identical_lines_give_one_unchanged_segment_each():
    assert word_segments("same text", "same text") == (
        (Segment("same text", False),),
        (Segment("same text", False),),
    )


def test_empty_line_paired_with_text():
    assert word_segments("", "text") == ((Segment("", False),), (Segment("text", False),))


def test_word_removed_at_end_of_line():
    old, new = word_segments("hello brave world", "hello brave")
    assert marks(old) == [("hello brave", False), (" world", True)]
    assert marks(new) == [("hello brave", False)]


def test_long_lines_are_not_word_highlighted():
    old = "word " * (MAX_WORD_DIFF_LINE_LENGTH // 5) + "tail"
    new = old.replace("tail", "TAIL")
    assert len(old) > MAX_WORD_DIFF_LINE_LENGTH
    assert word_segments(old, new) == ((Segment(old, False),), (Segment(new, False),))
    # Just under the limit, the same edit is highlighted.
    short_old = old[-MAX_WORD_DIFF_LINE_LENGTH:]
    short_new = short_old.replace("tail", "TAIL")
    assert marks(word_segments(short_old, short_new)[1])[-1] == ("TAIL", True)

