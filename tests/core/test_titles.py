"""Unit tests for wiki.core.titles (pure: no app, no database)."""

import pytest

from wiki.core.titles import (
    FORBIDDEN_CHARACTERS,
    MAX_TITLE_LENGTH,
    InvalidTitle,
    canonical_key,
    is_canonical_url_spelling,
    leaf_name,
    normalize_title,
    parent_titles,
    title_to_url_path,
)

# (raw input, expected display title, expected canonical key)
VALID = [
    ("Getting started", "Getting started", "getting started"),
    ("Getting_started", "Getting started", "getting started"),
    ("  getting   STARTED  ", "getting STARTED", "getting started"),
    ("_Getting__started_", "Getting started", "getting started"),
    ("concepts/caching", "concepts/caching", "concepts/caching"),
    (" Concepts / Getting_started ", "Concepts/Getting started", "concepts/getting started"),
    ("a/b/c/d", "a/b/c/d", "a/b/c/d"),
    ("tabs\tand\nnewlines\r\nare spaces", "tabs and newlines are spaces", "tabs and newlines are spaces"),
    ("no\u00a0break\u3000space", "no break space", "no break space"),
    ("Café", "Café", "café"),
    ("Cafe\u0301", "Café", "café"),  # NFD input is stored NFC
    ("日本語/ページ", "日本語/ページ", "日本語/ページ"),
    ("Ünïcödé", "Ünïcödé", "ünïcödé"),
    ("🚀 Launch plan", "🚀 Launch plan", "🚀 launch plan"),
    ("👩\u200d💻 Developers", "👩\u200d💻 Developers", "👩\u200d💻 developers"),  # ZWJ kept
    ("می\u200cخواهم", "می\u200cخواهم", "می\u200cخواهم"),  # ZWNJ kept (Persian)
    ("Straße", "Straße", "strasse"),
    ("STRASSE", "STRASSE", "strasse"),
    ("-draft", "-draft", "-draft"),
    ("a/-b/c-", "a/-b/c-", "a/-b/c-"),
    ("a/--/b", "a/--/b", "a/--/b"),
    ("100% uptime", "100% uptime", "100% uptime"),
    ("C++ & Rust", "C++ & Rust", "c++ & rust"),
    ("Talk:Main page", "Talk:Main page", "talk:main page"),
    ("...", "...", "..."),
    ("a/.hidden/v1.2", "a/.hidden/v1.2", "a/.hidden/v1.2"),
    ("a" + "_" * 300 + "b", "a b", "a b"),  # length is checked after collapsing
    ("x" * MAX_TITLE_LENGTH, "x" * MAX_TITLE_LENGTH, "x" * MAX_TITLE_LENGTH),
    ("e\u0301" * MAX_TITLE_LENGTH, "é" * MAX_TITLE_LENGTH, "é" * MAX_TITLE_LENGTH),
]


@pytest.mark.parametrize(("raw", "display", "key"), VALID)
def test_valid_titles(raw, display, key):
    assert normalize_title(raw) == display
    assert canonical_key(raw) == key


@pytest.mark.parametrize(("raw", "display", "key"), VALID)
def test_normalization_is_idempotent_and_round_trips_through_url(raw, display, key):
    assert normalize_title(display) == display
    assert canonical_key(display) == key
    assert canonical_key(key) == key
    assert normalize_title(title_to_url_path(display)) == display


# (raw input, fragment of the expected message)
INVALID = [
    ("", "cannot be empty"),
    ("   ", "cannot be empty"),
    ("___", "cannot be empty"),
    ("_ _\t\n", "cannot be empty"),
    ("x" * (MAX_TITLE_LENGTH + 1), "longer than 255 characters (this one has 256)"),
    ("a/" + "x" * 254, "longer than 255"),
    ("a\x00b", "control characters (U+0000)"),
    ("a\x1fb", "control characters (U+001F"),  # isspace() but a control char
    ("a\x85b", "control characters (U+0085"),
    ("a\x7fb", "control characters (U+007F"),
    ("evil\u202etxt.exe", "invisible formatting characters (U+202E RIGHT-TO-LEFT OVERRIDE)"),
    ("zero\u200bwidth", "invisible formatting characters (U+200B ZERO WIDTH SPACE)"),
    ("\ufeffTitle", "invisible formatting characters (U+FEFF"),
    ("soft\u00adhyphen", "invisible formatting characters (U+00AD"),
    ("lone\ud800surrogate", "invalid characters (U+D800)"),
    ("a/./b", "cannot contain '.' as a part"),
    (".", "cannot contain '.' as a part"),
    ("a/..", "cannot contain '..' as a part"),
    ("../etc/passwd", "cannot contain '..' as a part"),
    ("-", "reserved for page actions"),
    ("-/edit", "reserved for page actions"),
    ("a/-/b", "reserved for page actions"),
    ("a/ - /b", "reserved for page actions"),
    ("a/-", "reserved for page actions"),
    ("/a", "cannot start with '/'"),
    (" /a", "cannot start with '/'"),
    ("/", "cannot start with '/'"),
    ("a/", "cannot end with '/'"),
    ("a/b/_", "cannot end with '/'"),
    ("a//b", "empty part between two '/'"),
    ("a/ /b", "empty part between two '/'"),
    ("a/__/b", "empty part between two '/'"),
    ("Page#section", "cannot contain the character '#'"),
    ("What?", "cannot contain the character '?'"),
    ("[[link]]", "cannot contain the character '['"),
    ("a]b", "cannot contain the character ']'"),
    ("label|target", "cannot contain the character '|'"),
    ("<script>", "cannot contain the character '<'"),
    ("a>b", "cannot contain the character '>'"),
    ("{{template}}", "cannot contain the character '{'"),
    ("a}b", "cannot contain the character '}'"),
]


@pytest.mark.parametrize(("raw", "fragment"), INVALID)
def test_invalid_titles(raw, fragment):
    with pytest.raises(InvalidTitle) as info:
        normalize_title(raw)
    assert fragment in str(info.value)
    # canonical_key validates the same way
    with pytest.raises(InvalidTitle):
        canonical_key(raw)


def test_forbidden_character_message_lists_all_of_them():
    with pytest.raises(InvalidTitle) as info:
        normalize_title("a|b")
    assert str(info.value) == (
        "A title cannot contain the character '|'. "
        "These characters are not allowed: # ? [ ] { } | < >"
    )
    assert set(FORBIDDEN_CHARACTERS) == set("#?[]{}|<>")


def test_invalid_title_is_a_value_error_with_message_attribute():
    with pytest.raises(ValueError) as info:
        normalize_title("")
    assert isinstance(info.value, InvalidTitle)
    assert info.value.message == str(info.value) == "A title cannot be empty."


def test_non_string_is_a_programming_error():
    with pytest.raises(TypeError):
        normalize_title(None)


@pytest.mark.parametrize(
    "spelling",
    ["Getting started", "Getting_started", "getting STARTED", "GETTING_STARTED", " getting  started "],
)
def test_spellings_share_one_key(spelling):
    assert canonical_key(spelling) == canonical_key("Getting started")


def test_nfc_and_nfd_give_same_key_and_display():
    nfc, nfd = "R\u00e9sum\u00e9/Caf\u00e9", "Re\u0301sume\u0301/Cafe\u0301"
    assert nfc != nfd
    assert normalize_title(nfd) == nfc
    assert canonical_key(nfd) == canonical_key(nfc) == "résumé/café"


def test_canonical_caseless_match_with_combining_marks():
    # "J" + combining caron has no precomposed capital; it must still match
    # the precomposed small letter U+01F0 (canonical caseless matching).
    assert canonical_key("J\u030c") == canonical_key("\u01f0")


def test_case_folding_is_full_unicode_casefold():
    # Deliberate: casefold() makes "Straße" and "STRASSE" the same page, as
    # German readers expect; Greek final sigma folds like sigma.
    assert canonical_key("Straße") == canonical_key("STRASSE") == canonical_key("strasse")
    assert canonical_key("ΟΔΟΣ") == canonical_key("οδος") == canonical_key("οδοσ")
    # Different letters stay different.
    assert canonical_key("Cafe") != canonical_key("Café")
    assert canonical_key("a/b") != canonical_key("a b")


@pytest.mark.parametrize(
    ("title", "path"),
    [
        ("Getting started", "Getting_started"),
        ("concepts/Getting started", "concepts/Getting_started"),
        ("Café", "Café"),
        ("日本語/ページ", "日本語/ページ"),
        ("100% uptime", "100%_uptime"),
        ("a b  c", "a_b__c"),  # not validated: rendering stored titles never fails
    ],
)
def test_title_to_url_path(title, path):
    assert title_to_url_path(title) == path


@pytest.mark.parametrize(
    ("segment", "title", "canonical"),
    [
        ("Getting_started", "Getting started", True),
        ("concepts/Getting_started", "concepts/Getting started", True),
        ("Café", "Café", True),
        ("Getting started", "Getting started", False),  # space instead of '_'
        ("getting_started", "Getting started", False),  # other case
        ("Cafe\u0301", "Café", False),  # NFD spelling
        ("Getting_started_", "Getting started", False),
        ("concepts//Getting_started", "concepts/Getting started", False),
    ],
)
def test_is_canonical_url_spelling(segment, title, canonical):
    assert is_canonical_url_spelling(segment, title) is canonical


@pytest.mark.parametrize(
    ("title", "parents", "leaf"),
    [
        ("a/b/c", ["a", "a/b"], "c"),
        ("Home", [], "Home"),
        ("concepts/Getting started", ["concepts"], "Getting started"),
        ("日本語/ページ/下位", ["日本語", "日本語/ページ"], "下位"),
    ],
)
def test_parent_titles_and_leaf_name(title, parents, leaf):
    assert parent_titles(title) == parents
    assert leaf_name(title) == leaf
