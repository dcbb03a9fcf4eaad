"""wiki.core.markup.bounded_preprocessors: raw HTML blocks, fenced code, and the nesting clamp."""
import pytest

from tests.core.markup.test_render import elements, render, text_of
from wiki.core.markup.bounded_preprocessors import MAX_INDENT, MAX_QUOTE_DEPTH, MAX_TAG_LENGTH

# --- Raw HTML blocks -----------------------------------------------------------------------------------------


def test_a_raw_html_block_is_not_markdown():
    assert render('<div title="x">\n*not em*\n</div>\n').html == "<div>\n*not em*\n</div>"


def test_a_long_start_tag_under_the_limit_still_starts_a_block():
    tag = '<div title="' + "x" * (MAX_TAG_LENGTH - 100) + '">'
    rest = "\n\ntext" * MAX_TAG_LENGTH  # the bounded scan only applies with enough text after the tag
    assert render(tag + "\n*not em*\n</div>" + rest).html.startswith("<div>\n*not em*\n</div>\n\n<p>text</p>")


def test_a_start_tag_over_the_limit_does_not_start_a_block():
    tag = '<div title="' + "x" * (MAX_TAG_LENGTH + 100) + '">'
    html = render(tag + "\n*em*\n</div>\n").html
    assert "<em>em</em>" in html  # Markdown, as the block was not taken for raw HTML


@pytest.mark.parametrize("source", ["<a " * 5_000, "<a " * 5_000 + "\n\ntext", "<" * 5_000])
def test_unclosed_tags_are_shown_as_text(source):
    html = render(source).html
    assert elements(html, "a") == []
    assert text_of(html).startswith("<a <a" if source.startswith("<a") else "<<<")


# --- Fenced code -------------------------------------------------------------------------------------------

def test_an_unclosed_fence_is_text_and_later_fences_still_pair():
    html = render("~~~\nnot closed\n\n```\ncode\n```\n").html
    assert html.startswith("<p>~~~\nnot closed</p>")
    assert html.count("<pre ") == 1 and "<code>code\n</code>" in html


def test_a_fence_closes_only_with_the_same_fence():
    html = render("````\n```\ninner\n```\n````\n").html
    assert html.count("<pre ") == 1
    assert "<code>```\ninner\n```\n</code>" in html


def test_fences_pair_in_order():
    html = render("```\none\n```\n\ntext\n\n```\ntwo\n```\n").html
    assert html.count("<pre ") == 2 and "<p>text</p>" in html
    assert html.index("one") < html.index("text") < html.index("two")


@pytest.mark.parametrize("opener, closer", [
    ("```python", "```"), ("``` python", "```"), ("~~~ {.python}", "~~~"), ('```python hl_lines="1"', "```  "),
])
def test_fence_openers_with_a_language(opener, closer):
    html = render(f"{opener}\ndef f(): pass\n{closer}\n").html
    assert '<span class="k">def</span>' in html


def test_many_unclosed_fences_are_no_code_blocks():
    html = render("```a\n" * 2000).html
    assert "<pre" not in html and html.startswith("<p>")  # (pairs of ``` are inline code spans)


# --- Nesting clamp -------------------------------------------------------------------------------------------

def test_quotes_deeper_than_the_limit_are_flattened():
    assert render(">" * (MAX_QUOTE_DEPTH + 4) + " x\n").html.count("<blockquote>") == MAX_QUOTE_DEPTH
    assert render(">" * MAX_QUOTE_DEPTH + " x\n").html.count("<blockquote>") == MAX_QUOTE_DEPTH


def test_lists_deeper_than_the_indent_limit_are_flattened():
    levels = MAX_INDENT // 4 + 1  # four spaces per level: the deepest kept is at MAX_INDENT spaces
    html = render("".join("    " * i + "- x\n" for i in range(levels + 13))).html
    assert html.count("<ul>") == levels
    assert html.count("<li>") == levels + 13  # no item is lost: the deeper ones are siblings
    assert html[html.rindex("<ul>"):].count("<li>") == 14  # of the item at MAX_INDENT spaces


def test_fenced_code_is_not_clamped():
    source = "```\n" + " " * 100 + "x\n" + ">" * 30 + "\n```\n"
    html = render(source).html
    assert "<code>" + " " * 100 + "x\n" + "&gt;" * 30 + "\n</code>" in html
