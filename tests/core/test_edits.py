"""Unit tests for wiki.core.edits and wiki.core.titles.Title: an edit is validated once."""
import pytest

from wiki.core.edits import MAX_SUMMARY_LENGTH, Edit, check_size
from wiki.core.errors import BodyTooLarge, InvalidInput
from wiki.core.titles import InvalidTitle, Title


def test_a_title_is_normalized_once_into_its_display_form_and_key():
    title = Title.parse("  Concepts/Getting_started ")
    assert title == Title("Concepts/Getting started", "concepts/getting started")
    assert str(title) == "Concepts/Getting started"
    assert Title.parse(title) is title  # a Title passed down is not parsed again


def test_a_bad_title_is_refused_with_a_message():
    with pytest.raises(InvalidTitle, match="cannot be empty"):
        Title.parse("   ")


def test_an_edit_collapses_its_summary_and_measures_its_body():
    edit = Edit.make(Title.parse("Café"), "héllo", "  fixed \n a   typo ", max_bytes=100, base_revision=3)
    assert (edit.summary, edit.size, edit.base_revision, edit.redirect) == ("fixed a typo", 6, 3, None)


def test_an_oversized_body_is_refused_with_its_size():
    with pytest.raises(BodyTooLarge, match="11 bytes; the limit is 10 bytes"):
        Edit.make(Title.parse("A"), "x" * 11, max_bytes=10)
    assert check_size("x" * 10, 10) == 10


def test_a_long_summary_is_refused():
    with pytest.raises(InvalidInput, match=f"limited to {MAX_SUMMARY_LENGTH}"):
        Edit.make(Title.parse("A"), "body", "s" * (MAX_SUMMARY_LENGTH + 1), max_bytes=100)


def test_the_redirect_line_is_parsed_once_and_a_self_redirect_refused():
    edit = Edit.make(Title.parse("Old"), "#REDIRECT [[New page]]\n", max_bytes=100)
    assert edit.redirect == "New page"
    with pytest.raises(InvalidInput, match="cannot redirect to itself"):
        Edit.make(Title.parse("Old page"), "#REDIRECT [[old_PAGE]]", max_bytes=100)


def test_a_merged_body_is_checked_again():
    edit = Edit.make(Title.parse("A"), "short", max_bytes=10)
    assert edit.with_body("#REDIRECT [[B]]", 100).redirect == "B"
    with pytest.raises(BodyTooLarge):
        edit.with_body("x" * 11, 10)
