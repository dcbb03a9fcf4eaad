"""wiki.core.markup.headings: heading ids, the TOC, permalinks and section edit links."""
import re

import pytest

from tests.core.markup.test_render import elements, render
from tests.core.markup.test_sanitize import assert_safe
from wiki.core.markup import Heading, extract_headings, render_markdown
from wiki.core.markup.headings import (
    UniqueIds,
    decorate_headings,
    headings_from_toc,
    mark_sections,
    toc_html,
)

# --- The id de-duplication ------------------------------------------------------------------------


def test_unique_ids_number_repeats_from_2():
    ids = UniqueIds()
    assert [ids.make("a") for _ in range(4)] == ["a", "a-2", "a-3", "a-4"]
    assert ids.make("b") == "b"


def test_unique_ids_skip_ids_taken_otherwise():
    ids = UniqueIds()
    ids.add("x-2")
    ids.add("x-3")
    assert "x-2" in ids and "x" not in ids
    assert [ids.make("x"), ids.make("x")] == ["x", "x-4"]
    # A literal "x-4" heading after that must not collide with the one handed out.
    assert ids.make("x-4") == "x-4-2"


# --- Ids in rendered pages ---------------------------------------------------------------------------

def test_heading_ids_are_unique_with_numbered_suffixes():
    result = render("## Intro\n\n### Intro\n\n#### Intro\n\n## Other\n")
    assert [h.id for h in result.headings] == ["intro", "intro-2", "intro-3", "other"]
    assert [e["id"] for e in elements(result.html) if "id" in e] == ["intro", "intro-2", "intro-3", "other"]


def test_literal_suffix_heading_does_not_collide():
    result = render("## A\n\n## A 2\n\n## A\n")
    assert [h.id for h in result.headings] == ["a", "a-2", "a-3"]


def test_headings_collected_in_order_with_plain_text():
    result = render("## Title *emph*\n\nText\n\n### Sub `code` & [link](/x)\n\n###### Six\n")
    assert result.headings == (
        Heading(2, "Title emph", "title-emph"),
        Heading(3, "Sub code & link", "sub-code-link"),
        Heading(6, "Six", "six"),
    )


def test_heading_inside_fenced_code_is_not_a_heading():
    result = render("```\n# not a heading\n```\n\n# Real\n")
    assert [h.text for h in result.headings] == ["Real"]


def test_unicode_headings_get_unicode_ids():
    result = render("## Über Größe\n\n## Кошка и собака\n\n## हिन्दी भाषा\n\n## 日本語\n")
    assert [h.id for h in result.headings] == ["über-größe", "кошка-и-собака", "हिन्दी-भाषा", "日本語"]


def test_heading_with_quotes_and_angle_brackets_yields_safe_id():
    result = render("## He said \"<hi>\" & 'bye' <script>alert(1)</script>\n")
    (heading,) = result.headings
    assert re.fullmatch(r"[\w-]+", heading.id)
    assert heading.id == "he-said-bye-alert1"
    assert "<script" not in result.html and "<script" not in result.toc
    assert_safe(result.toc)


def test_symbol_only_heading_falls_back_to_section():
    result = render("## !!!\n\n## ???\n")
    assert [h.id for h in result.headings] == ["section", "section-2"]


def test_heading_ids_avoid_footnote_ids():
    result = render("## fn-1\n\nx[^1]\n\n[^1]: note\n")
    ids = [e["id"] for e in elements(result.html) if "id" in e]
    assert len(ids) == len(set(ids))
    assert result.headings[0].id == "fn-1-2"


def test_footnote_labels_with_spaces_get_safe_ids_and_matching_links():
    html = render("x[^my note]\n\n[^my note]: text\n").html
    ids = [e["id"] for e in elements(html) if "id" in e]
    assert ids == ["fnref-my-note", "fn-my-note"]
    hrefs = {a["href"] for a in elements(html, "a")}
    assert hrefs == {"#fn-my-note", "#fnref-my-note"}


def test_setext_and_atx_headings_share_one_id_space():
    result = render("Intro\n\nPart\n====\n\n## Part\n\nPart\n----\n")
    assert [(h.level, h.id) for h in result.headings] == [(2, "part"), (2, "part-2"), (2, "part-3")]  # one h1 per page: level 1 is shown as 2


def test_extract_headings_gives_the_ids_without_rendering():
    assert extract_headings("## A\n\n## A\n\ntext [[B]]\n\n### C *d*\n") == (
        Heading(2, "A", "a"), Heading(2, "A", "a-2"), Heading(3, "C d", "c-d"),
    )


# --- The table of contents -----------------------------------------------------------------------------

def test_toc_is_nested_list_of_links():
    result = render("## A\n\n### B\n\n#### C\n\n### D\n\n## E\n")
    assert result.toc == (
        '<ul><li><a href="#a">A</a><ul><li><a href="#b">B</a><ul><li><a href="#c">C</a></li></ul></li>'
        '<li><a href="#d">D</a></li></ul></li><li><a href="#e">E</a></li></ul>'
    )


def test_no_headings_no_toc():
    result = render("just text")
    assert result.toc == "" and result.headings == ()


def test_toc_text_is_escaped():
    result = render("## a < b & c\n")
    assert result.headings[0].text == "a < b & c"
    assert "a &lt; b &amp; c" in result.toc


TOKENS = [
    {"level": 1, "id": "a", "name": "A &amp; B", "children": [
        {"level": 3, "id": "c", "name": "&#60;C&#x3e; &quot;q&quot;", "children": []},
    ]},
    {"level": 2, "id": "d", "name": "D", "children": []},
]


def test_toc_html_from_tokens():
    assert toc_html([]) == ""
    assert toc_html(TOKENS) == (
        '<ul><li><a href="#a">A &amp; B</a><ul><li><a href="#c">&lt;C&gt; "q"</a></li></ul></li>'
        '<li><a href="#d">D</a></li></ul>'
    )


def test_headings_from_toc_flattens_in_document_order_with_plain_text():
    assert list(headings_from_toc(TOKENS)) == [Heading(1, "A & B", "a"), Heading(3, '<C> "q"', "c"), Heading(2, "D", "d")]


# --- Permalinks and section edit links ----------------------------------------------------------------

def edit_url(number: int) -> str:
    return f"/wiki/P/-/edit?section={number}&x=1"


def test_every_heading_gets_a_permalink_to_its_own_id():
    html = render("## A\n\ntext\n\n## A\n").html
    links = [a for a in elements(html, "a") if a.get("class") == "headerlink"]
    assert [a["href"] for a in links] == ["#a", "#a-2"]
    assert ('<h2 id="a">A<a class="headerlink" href="#a" title="Link to this section" aria-label="Link to section: A">'
            '¶</a></h2>') in html


def test_section_edit_links_follow_the_source_sections():
    html = render_markdown("## A\n\ntext\n\n```\n# not one\n```\n\n## B\n", section_edit_url=edit_url).html
    edits = [a["href"] for a in elements(html, "a") if a.get("class") == "section-edit"]
    assert edits == ["/wiki/P/-/edit?section=1&x=1", "/wiki/P/-/edit?section=2&x=1"]
    assert '&amp;x=1" title="Edit this section" aria-label="Edit section: B">edit</a></h2>' in html
    assert "nexus-section" not in html


def test_without_section_edit_url_there_are_no_edit_links():
    html = render_markdown("## A\n\n## B\n").html
    assert "section-edit" not in html and html.count("headerlink") == 2


def test_authors_cannot_forge_section_markers():
    html = render_markdown("<!--nexus-section-0000000000000000:9-->\n\n# A\n", section_edit_url=edit_url).html
    edits = [a["href"] for a in elements(html, "a") if a.get("class") == "section-edit"]
    assert edits == ["/wiki/P/-/edit?section=1&x=1"]


def test_mark_sections_puts_a_marker_before_each_section_heading():
    marked = mark_sections("# A\ntext\n## B", "n0")
    assert marked == "\n<!--nexus-section-n0:1-->\n\n# A\ntext\n\n<!--nexus-section-n0:2-->\n\n## B\n"
    assert mark_sections("", "n0") == ""


def test_decorate_headings_adds_permalinks_and_edit_links_and_drops_markers():
    assert decorate_headings('<h1 id="a">A</h1>\n<h2>B</h2>', None, None) == (
        '<h1 id="a">A<a class="headerlink" href="#a" title="Link to this section" aria-label="Link to section: A">¶</a>'
        '</h1>\n<h2>B</h2>'
    )
    html = decorate_headings(
        '<!--nexus-section-n0:3-->\n<h2 id="b">B</h2>\n<!--nexus-section-n0:4-->\n<p>x</p>', "n0", lambda n: f"/e?s={n}&a"
    )
    assert html == (
        '<h2 id="b">B<a class="headerlink" href="#b" title="Link to this section" aria-label="Link to section: B">¶</a>'
        '<a class="section-edit" href="/e?s=3&amp;a" title="Edit this section" aria-label="Edit section: B">edit</a>'
        '</h2>\n\n<p>x</p>'
    )


@pytest.mark.parametrize("source", ["# A\n\n## B\n", "Setext\n======\n\ntext\n\n# Two\n"])
def test_section_edit_links_do_not_change_ids_or_toc(source):
    plain = render_markdown(source)
    edited = render_markdown(source, section_edit_url=edit_url)
    assert edited.headings == plain.headings and edited.toc == plain.toc
