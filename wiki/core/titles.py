"""Page titles: validation, display form, lookup key and URL spelling.

A title is what users see ("Concepts/Getting started"). It may contain any
Unicode text; "/" separates levels of a hierarchy. In URLs spaces are written
as "_" (``/wiki/Concepts/Getting_started``) and both spellings are accepted on
input, so a title can never contain a literal underscore: "_" always means a
space. Titles are unique case-insensitively; the key used for that is
``canonical_key`` and the first spelling saved is the one displayed.

This module is pure (standard library only) so it can be used from views,
services, the Markdown extension and migrations alike.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "MAX_TITLE_LENGTH",
    "FORBIDDEN_CHARACTERS",
    "InvalidTitle",
    "normalize_title",
    "canonical_key",
    "Title",
    "title_to_url_path",
    "is_canonical_url_spelling",
    "parent_titles",
    "leaf_name",
]

MAX_TITLE_LENGTH = 255

# Characters with a meaning in URLs or in wiki-link syntax: "#" starts a
# section anchor, "|" separates a link's label, "[" "]" delimit links, "?"
# starts a query string, and "{" "}" "<" ">" are reserved for templates/HTML.
# "%" is deliberately allowed ("100% uptime"): url_for quotes it to "%25" and
# the framework unquotes it exactly once, so it round-trips safely.
FORBIDDEN_CHARACTERS = "#?[]{}|<>"

# Control characters that are ordinary whitespace; they are collapsed to a
# single space rather than refused, so a title pasted with a tab or newline
# still works. Every other control character (category Cc) is refused.
_WHITESPACE_CONTROLS = frozenset("\t\n\r\v\f")

# Format characters (category Cf) are invisible and allow spoofing (U+202E
# RIGHT-TO-LEFT OVERRIDE, U+200B ZERO WIDTH SPACE, U+FEFF BOM...), so they are
# refused, except the two joiners: ZWJ builds emoji sequences ("👩‍💻") and
# ZWNJ is required for correct spelling in Persian and several Indic scripts.
_ALLOWED_FORMAT_CHARACTERS = frozenset("\u200c\u200d")

_WHITESPACE_RUN = re.compile(r"\s+")

# Segment reserved for page actions: /wiki/<title>/-/edit, /-/history...
_ACTION_SEPARATOR = "-"


class InvalidTitle(ValueError):
    """Raised for an unusable title; ``str(exc)`` is a message fit for users."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _describe(char: str) -> str:
    """Human-readable name of an invisible character for error messages."""
    name = unicodedata.name(char, "")
    code = f"U+{ord(char):04X}"
    return f"{code} {name}" if name else code


def _check_characters(text: str) -> None:
    for char in text:
        if char in FORBIDDEN_CHARACTERS:
            listed = " ".join(FORBIDDEN_CHARACTERS)
            raise InvalidTitle(
                f"A title cannot contain the character '{char}'. "
                f"These characters are not allowed: {listed}"
            )
        category = unicodedata.category(char)
        if category == "Cc" and char not in _WHITESPACE_CONTROLS:
            raise InvalidTitle(
                f"A title cannot contain control characters ({_describe(char)})."
            )
        if category == "Cf" and char not in _ALLOWED_FORMAT_CHARACTERS:
            raise InvalidTitle(
                "A title cannot contain invisible formatting characters "
                f"({_describe(char)})."
            )
        if category == "Cs":
            # Lone surrogates cannot be encoded as UTF-8 (database, URLs).
            raise InvalidTitle(
                f"A title cannot contain invalid characters ({_describe(char)})."
            )


def normalize_title(raw: str) -> str:
    """Turn user input or a URL segment into the display title, or raise InvalidTitle."""
    if not isinstance(raw, str):
        raise TypeError(f"title must be a str, not {type(raw).__name__}")
    # NFC first so that the character checks and the length limit see the
    # same code points that will be stored.
    text = unicodedata.normalize("NFC", raw.replace("_", " "))
    # Checked before collapsing whitespace: str.isspace() (and so \s) is true
    # for some control characters such as U+001F and U+0085, which must be
    # refused rather than silently turned into spaces.
    _check_characters(text)
    text = _WHITESPACE_RUN.sub(" ", text).strip(" ")

    if not text:
        raise InvalidTitle("A title cannot be empty.")
    if text.startswith("/"):
        raise InvalidTitle("A title cannot start with '/'.")
    if text.endswith("/"):
        raise InvalidTitle("A title cannot end with '/'.")

    segments = [segment.strip(" ") for segment in text.split("/")]
    for segment in segments:
        if not segment:
            raise InvalidTitle(
                "A title cannot contain an empty part between two '/' characters."
            )
        if segment in (".", ".."):
            raise InvalidTitle(
                f"A title cannot contain '{segment}' as a part between '/' characters."
            )
        if segment == _ACTION_SEPARATOR:
            raise InvalidTitle(
                "A title cannot contain '-' alone as a part between '/' "
                "characters: it is reserved for page actions."
            )
    title = "/".join(segments)

    if len(title) > MAX_TITLE_LENGTH:
        raise InvalidTitle(
            f"A title cannot be longer than {MAX_TITLE_LENGTH} characters "
            f"(this one has {len(title)})."
        )
    return title


def canonical_key(title: str) -> str:
    """Return the case-insensitive key under which a title is unique and looked up."""
    return _fold(normalize_title(title))


def _fold(display: str) -> str:
    """The key of an already normalized title."""
    # Unicode "canonical caseless match" is NFD(casefold(NFD(x))): casefold
    # alone is not closed under normalization for a few characters. The key
    # is recomposed to NFC only so that it stays short and readable in the
    # database; NFC of equal NFD strings is equal, so matching is unchanged.
    folded = unicodedata.normalize("NFD", display).casefold()
    return unicodedata.normalize("NFC", folded)


@dataclass(frozen=True)
class Title:
    """A valid title, normalized once at the edge: its display form and its lookup key.

    Views and services pass this down instead of the raw string, so a save normalizes its
    title once, not at every layer it passes through.
    """

    display: str
    key: str

    @classmethod
    def parse(cls, raw: "str | Title") -> "Title":
        """The Title for user input or a URL segment; raises InvalidTitle."""
        if isinstance(raw, Title):
            return raw
        display = normalize_title(raw)
        return cls(display, _fold(display))

    def __str__(self) -> str:
        return self.display


def title_to_url_path(title: str) -> str:
    """Return the unquoted URL path spelling of a display title ('Getting started' -> 'Getting_started')."""
    # Not validated on purpose: this is used to render links to titles that
    # are already stored, and a later tightening of the rules must not turn
    # every page listing such a title into an error. Percent-quoting is left
    # to url_for, which quotes exactly once.
    return title.replace(" ", "_")


def is_canonical_url_spelling(raw_segment: str, title: str) -> bool:
    """True if the (already unquoted) URL spelling equals the title's canonical URL path."""
    return raw_segment == title_to_url_path(title)


def parent_titles(title: str) -> list[str]:
    """Return the ancestor titles, outermost first: 'a/b/c' -> ['a', 'a/b']."""
    segments = title.split("/")
    return ["/".join(segments[:depth]) for depth in range(1, len(segments))]


def leaf_name(title: str) -> str:
    """Return the last hierarchy level of a title: 'a/b/c' -> 'c'."""
    return title.rsplit("/", 1)[-1]
