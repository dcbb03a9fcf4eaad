"""wiki.core.markup.bounded_blocks: the linear-time block processors give Python-Markdown's
results, also on the long blocks where they skip work (memoized misses, first table rows)."""
import pytest

from tests.core.markup.test_render import elements, render, text_of

LONG = "a\n" * 600  # one paragraph block well over the memo's minimum length


# --- Tables --------------------------------------------------------------------------------------------------

def test_a_table_with_more_rows_than_are_tested_keeps_them_all():
    html = render("| a | b |\n|---|---|\n" + "| 1 | 2 |\n" * 150).html
    assert html.count("<tr>") == 151 and html.count("<td>") == 300


@pytest.mark.parametrize("source, is_table", [
    ("| a |\n|---|\n| 1 |\n", True),          # one column
    ("a | b\n--|--\n1 | 2\n", True),          # no outer pipes
    ("a\n|--|\n", False),                      # the header row has no '|'
    ("| a |\n", False),                        # no separator row
    ("| a | b |\n| x | y |\n", False),         # the second row is no separator
])
def test_what_is_a_table(source, is_table):
    assert ("<table>" in render(source).html) is is_table


def test_a_table_after_headings_in_the_same_block():
    html = render("## h\n## h\n| a |\n|---|\n| b |\n").html
    assert html.count("<h2 ") == 2
    assert elements(html, "th") == [{}] and elements(html, "td") == [{}]
    assert "<th>a</th>" in html and "<td>b</td>" in html


# --- Memoized misses: headings, rules, quotes, footnote definitions in long blocks -------------------------------

def test_a_long_run_of_headings_is_all_headings():
    result = render("## h\n" * 300)
    assert len(result.headings) == 300 and result.html.count("<h2 ") == 300


def test_a_heading_at_the_end_of_a_long_block_is_found():
    result = render("text line\n" * 200 + "# End\n")
    assert [h.text for h in result.headings] == ["End"]
    assert result.html.count("<p>") == 1


def test_a_rule_in_the_middle_of_a_long_block_splits_it():
    html = render(LONG + "***\n" + "b\n" * 600).html
    assert html.count("<hr>") == 1 and html.count("<p>") == 2
    assert html.index("<hr>") > html.index("a\na") and html.index("<hr>") < html.index("b\nb")


def test_a_quote_at_the_end_of_a_long_block_is_a_quote():
    html = render(LONG + "> q\n").html
    assert html.endswith("</p>\n<blockquote>\n<p>q</p>\n</blockquote>")


def test_a_footnote_definition_at_the_end_of_a_long_block_is_found():
    html = render("x[^1]\n\n" + LONG + "[^1]: note\n").html
    assert '<a class="footnote-ref" href="#fn-1">1</a>' in html
    assert text_of(html).count("[^1]") == 0


def test_blocks_without_headings_after_a_long_miss_are_still_parsed():
    # After a miss on one long block, a later, different block with a heading is searched again.
    html = render(LONG + "\n" + LONG + "\n## Late\n").html
    assert html.count("<h2 ") == 1 and html.count("<p>") == 2


# --- Setext headings and indented code -----------------------------------------------------------------------

@pytest.mark.parametrize("source, html", [
    ("Title\n=====\nrest of para\n", '<h2 id="title">Title'),  # one h1 per page: the template's
    ("Sub\n---\n", '<h2 id="sub">Sub'),
])
def test_setext_headings(source, html):
    assert render(source).html.startswith(html)


def test_text_after_a_setext_heading_in_the_same_block_is_a_paragraph():
    result = render("Title\n=====\nrest of para\nmore\n")
    assert result.html.endswith("</h2>\n<p>rest of para\nmore</p>")


def test_indented_code_ends_at_the_first_unindented_line():
    html = render("    code\n    more\nnot code\n").html
    assert "<code>code\nmore\n</code>" in html
    assert html.endswith("<p>not code</p>")


@pytest.mark.parametrize("blank", ["", "  "])
def test_blank_lines_inside_indented_code_are_kept(blank):
    assert "<code>a\n\nb\n</code>" in render(f"    a\n{blank}\n    b\n").html


def test_indented_code_before_a_long_rest():
    html = render("    x = 1\n" + "text\n" * 500).html
    assert html.count("<pre ") == 1 and html.count("text") == 500
