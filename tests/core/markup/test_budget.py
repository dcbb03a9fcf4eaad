"""wiki.core.markup.budget: the cost estimate, and what pages over the budget look like."""
import pytest

from tests.core.markup.test_render import render
from wiki.core.markup import OutgoingLink, render_markdown
from wiki.core.markup.budget import MAX_MARKUP_COST, markup_cost, too_complex_notice

NOTICE_START = '<div class="render-fallback">This page has too much markup to format ('


@pytest.mark.parametrize("source, cost", [
    ("", 0),
    ("plain words, no markup.", 0),
    ("two\nlines\n", 2),
    ("a*b_c`d", 3),                  # each markup character counts once
    ("[]<>&|#=!:", 10),
    ("x\n# h", 1 + 1 + 10),          # newline, '#', heading weight
    ("# h", 1 + 10),                 # a heading on the first line weighs the same
    ("a\n===", 1 + 3 + 8),           # setext heading
    ("a\n---\n", 2 + 4 + 6),         # "\n-" and "-\n"
    ("x[^1]", 3 + 4),                # footnote reference
    ("    x", 2),                    # indentation: one per two spaces
    ("- a", 3),
    ("- - - - x", 4 * 3),            # four nested lists on one line
    ("+ a", 3),
    ("* a", 1 + 2),
    ("1. a\n10) b", 1 + 3 + 3),      # ordered list markers
    ("1.5 is a number", 0),
])
def test_markup_cost(source, cost):
    assert markup_cost(source) == cost


def test_cost_is_additive_so_repeating_a_unit_cannot_hide_its_cost():
    unit = "\n# h [[x]] *y*"
    assert markup_cost(unit) == 1 + 1 + 4 + 2 + 10
    assert markup_cost(unit * 1000) == 1000 * markup_cost(unit)


def test_a_page_at_the_budget_is_formatted():
    source = "x" + "\n" * (MAX_MARKUP_COST - 1) + "*y*"  # newlines and two '*'s
    assert markup_cost(source) == MAX_MARKUP_COST + 1
    source = "x" + "\n" * (MAX_MARKUP_COST - 2) + "*y*"
    assert markup_cost(source) == MAX_MARKUP_COST
    result = render(source)
    assert result.html == "<p>x</p>\n<p><em>y</em></p>"


def test_a_page_over_the_budget_is_its_text_with_a_notice():
    source = "# Title [[Kept]] <b>\n" + "\n" * MAX_MARKUP_COST
    cost = markup_cost(source)
    assert cost > MAX_MARKUP_COST
    result = render(source)
    assert result.html.startswith(NOTICE_START + f"{cost:,} lines and markup characters, weighted; ")
    assert '</div><pre class="render-fallback"># Title [[Kept]] &lt;b&gt;\n' in result.html
    assert result.links == (OutgoingLink("Kept", None),)  # links still count (backlinks, red links)
    assert result.headings == () and result.toc == ""


def test_section_edit_links_do_not_bypass_the_budget():
    source = "# A\n" * (MAX_MARKUP_COST // 12 + 1)
    result = render_markdown(source, section_edit_url=lambda n: f"/edit?section={n}")
    assert result.html.startswith(NOTICE_START) and "section-edit" not in result.html


def test_too_complex_notice_names_the_cost_and_the_limit():
    assert too_complex_notice(123_456) == (
        "This page has too much markup to format (123,456 lines and markup characters, weighted; "
        "the limit is 30,000), so its text is shown as written. Splitting it into several pages formats it again."
    )
