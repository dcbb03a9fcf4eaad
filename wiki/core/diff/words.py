"""Word-level marks inside a pair of replaced lines: which words of each line changed.

``word_segments`` cuts both lines into ``Segment`` pieces, ``changed`` ones being
the words to highlight. ``textdiff`` calls it for the replaced lines it pairs
one to one; it lives apart because tokenizing text in any script is a concern
of its own, independent of how lines are matched and grouped into hunks.

Choices worth knowing:

* Tokens are words, whitespace runs and single other characters (punctuation,
  symbols). Han ideographs and kana are one token per character, since those
  scripts do not put spaces between words. Combining marks stay with their
  word, and zero-width-joiner sequences (emoji) are one token.
* Whitespace between two changed tokens is marked too, so a rewritten phrase is
  one highlight rather than one per word.
* Lines are only marked when they are reasonably similar
  (``MIN_WORD_DIFF_SIMILARITY``) and both at most ``MAX_WORD_DIFF_LINE_LENGTH``
  characters long; otherwise each line comes back as one unmarked segment.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from wiki.core.diff.lines import common_ends

__all__ = [
    "Segment",
    "word_segments",
    "plain_segments",
    "too_long_for_word_diff",
    "MAX_WORD_DIFF_LINE_LENGTH",
    "MIN_WORD_DIFF_SIMILARITY",
]

# Lines longer than this are not word-diffed (their segments are unchanged):
# minified or generated content gives noisy highlights at a high cost.
MAX_WORD_DIFF_LINE_LENGTH = 2000
# Below this similarity (of non-whitespace text) two paired lines are treated
# as unrelated and not word-highlighted: highlighting almost every word of an
# unrelated line is noise.
MIN_WORD_DIFF_SIMILARITY = 0.3


@dataclass(frozen=True)
class Segment:
    """A piece of a line's text; ``changed`` pieces are highlighted."""

    text: str
    changed: bool


# Han ideographs, kana and related blocks: these scripts do not separate
# words with spaces, so each character is its own token; otherwise a whole
# sentence would be one "word" and a one-character edit would highlight it all.
_CJK = (
    "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u3100-\u312f"
    "\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0003134f"
)
_TOKEN = re.compile(
    rf"(?P<cjk>[{_CJK}])|(?P<word>[^\W{_CJK}]+)|(?P<space>\s+)|(?P<other>.)",
    re.S,
)
_ZWJ = "\u200d"


def _tokenize(line: str) -> list[str]:
    """Split a line into words, whitespace runs and single other characters.

    Combining marks (category M) are not \\w for ``re``, so "e\\u0301" or
    Devanagari vowel signs would split a word apart: marks, and a zero-width
    joiner with the character after it, are glued to the previous token.
    """
    tokens: list[str] = []
    kinds: list[str] = []
    glue_next = False
    for match in _TOKEN.finditer(line):
        kind = match.lastgroup
        text = match.group()
        if tokens and kinds[-1] != "space":
            if kind == "other" and (
                text == _ZWJ or unicodedata.category(text).startswith("M")
            ):
                tokens[-1] += text
                # A word continues after an inner mark ("हिन्दी"); a ZWJ
                # always joins the next character (emoji sequences).
                glue_next = text == _ZWJ or kinds[-1] == "word"
                continue
            joins = kind == kinds[-1] or tokens[-1].endswith(_ZWJ)
            if glue_next and kind != "space" and joins:
                tokens[-1] += text
                glue_next = False
                continue
        glue_next = False
        tokens.append(text)
        kinds.append(kind)
    return tokens


def _merge(tokens: list[str], flags: list[bool]) -> tuple[Segment, ...]:
    """Merge adjacent tokens with the same flag into segments.

    Whitespace between two changed tokens is marked changed too, so that a
    rewritten phrase is one highlight rather than a highlight per word.
    """
    count = len(tokens)
    for index in range(1, count - 1):
        if (
            not flags[index]
            and flags[index - 1]
            and flags[index + 1]
            and tokens[index].isspace()
        ):
            flags[index] = True
    segments: list[Segment] = []
    for token, flag in zip(tokens, flags):
        if segments and segments[-1].changed == flag:
            segments[-1] = Segment(segments[-1].text + token, flag)
        else:
            segments.append(Segment(token, flag))
    return tuple(segments) or (Segment("", False),)


def plain_segments(line: str) -> tuple[Segment, ...]:
    """The line as one unmarked segment: how lines without word marks are shown."""
    return (Segment(line, False),)


def too_long_for_word_diff(old_line: str, new_line: str) -> bool:
    """Whether either line exceeds MAX_WORD_DIFF_LINE_LENGTH, so the pair is not word-diffed.

    Public so that a caller budgeting word-diff work can tell, without the cost of
    tokenizing, that a pair will come back unmarked and should cost nothing.
    """
    return (
        len(old_line) > MAX_WORD_DIFF_LINE_LENGTH
        or len(new_line) > MAX_WORD_DIFF_LINE_LENGTH
    )


def word_segments(
    old_line: str, new_line: str
) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Split a pair of replaced lines into segments, marking the changed words.

    Returns unhighlighted single segments when a line is longer than
    MAX_WORD_DIFF_LINE_LENGTH or the lines are too dissimilar. Every returned
    tuple has at least one segment (an empty line gives ``Segment("", False)``).
    """
    if too_long_for_word_diff(old_line, new_line):
        return plain_segments(old_line), plain_segments(new_line)

    old_tokens = _tokenize(old_line)
    new_tokens = _tokenize(new_line)
    old_flags = [True] * len(old_tokens)
    new_flags = [True] * len(new_tokens)

    # The common token prefix/suffix is matched directly: a one-word edit in
    # a long paragraph then costs a linear scan instead of a full match.
    prefix, suffix = common_ends(old_tokens, new_tokens)
    old_end = len(old_tokens) - suffix
    new_end = len(new_tokens) - suffix
    blocks = [(0, 0, prefix), (old_end, new_end, suffix)]
    if prefix < old_end and prefix < new_end:
        # Default autojunk: only kicks in for 200+ tokens, where it stops very
        # common tokens (" ", ",", "the") from making matching quadratic.
        matcher = SequenceMatcher(
            None, old_tokens[prefix:old_end], new_tokens[prefix:new_end]
        )
        blocks.extend(
            (old_at + prefix, new_at + prefix, size)
            for old_at, new_at, size in matcher.get_matching_blocks()
        )

    matched_chars = 0
    for old_at, new_at, size in blocks:
        for offset in range(size):
            old_flags[old_at + offset] = False
            new_flags[new_at + offset] = False
            token = old_tokens[old_at + offset]
            if not token.isspace():
                matched_chars += len(token)

    # Similarity on non-whitespace characters: counting whitespace tokens
    # would make any two sentences look about half similar.
    total_chars = sum(len(t) for t in old_tokens if not t.isspace()) + sum(
        len(t) for t in new_tokens if not t.isspace()
    )
    if not total_chars or 2 * matched_chars / total_chars < MIN_WORD_DIFF_SIMILARITY:
        return plain_segments(old_line), plain_segments(new_line)
    return _merge(old_tokens, old_flags), _merge(new_tokens, new_flags)
