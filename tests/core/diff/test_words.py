"""Unit tests for wiki.core.diff.words: which words of a replaced line pair are marked.

Pure: no app, no database. The first section was moved unchanged from test_textdiff.py
when word diffing got its own module.
"""

import random

import pytest

from wiki.core.diff.words import (
    MAX_WORD_DIFF_LINE_LENGTH,
    MIN_WORD_DIFF_SIMILARITY,
    Segment,
    word_segments,
)


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


# --------------------------------------------------------------------------
# tokens: what counts as one "word"


def test_punctuation_is_marked_on_its_own():
    old, new = word_segments("a,b", "a;b")
    assert marks(old) == [("a", False), (",", True), ("b", False)]
    assert marks(new) == [("a", False), (";", True), ("b", False)]


def test_version_number_edit_marks_only_the_changed_part():
    # "." is punctuation, so "1.2.3" is several tokens and only "3" changed.
    old, new = word_segments("Version 1.2.3", "Version 1.2.4")
    assert marks(old) == [("Version 1.2.", False), ("3", True)]
    assert marks(new) == [("Version 1.2.", False), ("4", True)]


def test_identifier_with_underscores_and_digits_is_one_word():
    old, new = word_segments(
        "call snake_case_1 with the usual arguments",
        "call snake_case_2 with the usual arguments",
    )
    assert marks(old) == [
        ("call ", False),
        ("snake_case_1", True),
        (" with the usual arguments", False),
    ]
    assert marks(new)[1] == ("snake_case_2", True)


def test_one_kanji_changed_between_kana_marks_that_kanji_only():
    old, new = word_segments("今日は良い天気です", "今日は悪い天気です")
    assert marks(old) == [("今日は", False), ("良", True), ("い天気です", False)]
    assert marks(new) == [("今日は", False), ("悪", True), ("い天気です", False)]


def test_hangul_separated_by_spaces_is_diffed_word_by_word():
    # Korean puts spaces between words, so it is not split per character.
    old, new = word_segments("안녕하세요 세계", "안녕하세요 친구")
    assert marks(old) == [("안녕하세요 ", False), ("세계", True)]
    assert marks(new) == [("안녕하세요 ", False), ("친구", True)]


def test_whitespace_only_change_marks_the_whitespace():
    old, new = word_segments("tab\there", "tab here")
    assert marks(old) == [("tab", False), ("\t", True), ("here", False)]
    assert marks(new) == [("tab", False), (" ", True), ("here", False)]


def test_word_removed_in_the_middle_is_marked_with_its_space():
    old, new = word_segments("one two three", "one three")
    assert marks(old) == [("one ", False), ("two ", True), ("three", False)]
    assert marks(new) == [("one three", False)]


# --------------------------------------------------------------------------
# when a pair is not marked at all


def test_similarity_threshold_decides_between_marks_and_plain_lines():
    # Similarity is 2 * shared non-space characters / all non-space characters.
    similar = ("abcd efghijk", "abcd lmnopqr")  # 2 * 4 / 22 = 0.36
    unrelated = ("ab efghijklm", "ab nopqrstuv")  # 2 * 2 / 22 = 0.18
    assert 2 * 2 / 22 < MIN_WORD_DIFF_SIMILARITY <= 2 * 4 / 22
    old, new = word_segments(*similar)
    assert marks(old) == [("abcd ", False), ("efghijk", True)]
    assert marks(new) == [("abcd ", False), ("lmnopqr", True)]
    assert word_segments(*unrelated) == (
        (Segment(unrelated[0], False),),
        (Segment(unrelated[1], False),),
    )


def test_length_limit_applies_to_either_line():
    old = "word " * ((MAX_WORD_DIFF_LINE_LENGTH - 4) // 5) + "tail"
    assert len(old) == MAX_WORD_DIFF_LINE_LENGTH - 1
    # The new line at the limit: marked.
    at_limit = old + "s"
    assert marks(word_segments(old, at_limit)[1])[-1] == ("tails", True)
    # The new line one past the limit: the pair is left plain, however similar.
    past_limit = old + "ss"
    assert word_segments(old, past_limit) == (
        (Segment(old, False),),
        (Segment(past_limit, False),),
    )


def test_two_empty_lines_give_one_empty_segment_each():
    assert word_segments("", "") == ((Segment("", False),), (Segment("", False),))


# --------------------------------------------------------------------------
# properties over many pairs

_PIECES = ["the", "fox", "a", "1.5", ",", "!", " ", "  ", "\t", "日本", "語", "cafe\u0301",
           "👩\u200d💻", "नमस्ते", "\u200d", "\u0301", "x_y"]


def _random_pair(rng):
    """A line and an edit of it: a few pieces replaced, inserted or deleted anywhere."""
    pieces = [rng.choice(_PIECES) for _ in range(rng.randint(0, 12))]
    edited = list(pieces)
    for _ in range(rng.randint(1, 3)):
        at = rng.randint(0, len(edited))
        choice = rng.random()
        if choice < 0.4 and at < len(edited):
            edited[at] = rng.choice(_PIECES)
        elif choice < 0.7 and at < len(edited):
            del edited[at]
        else:
            edited.insert(at, rng.choice(_PIECES))
    return "".join(pieces), "".join(edited)


def test_segments_always_show_the_whole_line_in_maximal_pieces():
    rng = random.Random(7)
    for _ in range(2000):
        old_line, new_line = _random_pair(rng)
        for line, segments in zip((old_line, new_line), word_segments(old_line, new_line)):
            # Nothing lost, duplicated or reordered: the page shows the real line.
            assert "".join(segment.text for segment in segments) == line
            assert segments, "every line needs at least one segment to render"
            # Neighbouring pieces differ in their mark (one highlight per run),
            # and only an empty line has an empty piece.
            flags = [segment.changed for segment in segments]
            assert all(a != b for a, b in zip(flags, flags[1:]))
            assert all(segment.text for segment in segments) or segments == (Segment("", False),)


@pytest.mark.parametrize("line", ["plain words", "日本語のテキスト", "Team 👩\u200d💻 rocks", ""])
def test_identical_lines_have_no_marks(line):
    old, new = word_segments(line, line)
    assert not any(segment.changed for segment in old + new)
