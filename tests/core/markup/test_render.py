"""render_markdown end to end: Markdown features, wiki links, hostile input, pathological input.

The parts it is made of have tests of their own: test_headings, test_linkcollect,
test_tasklists, test_highlight, test_budget and test_bounded_* (the helpers render, elements
and text_of here are shared with them).
"""
from html.parser import HTMLParser

import pytest

from tests.core.markup.test_sanitize import HOSTILE_HTML, assert_safe
from wiki.core.markup import (
    Heading,
    LinkTarget,
    OutgoingLink,
    Rendered,
    render_markdown,
    sanitize_html,
    slugify_heading,
)


class _Elements(HTMLParser):
    """Flat list of (tag, attrs) in document order, plus the text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)


def elements(markup: str, tag: str | None = None) -> list[dict]:
    parser = _Elements()
    parser.feed(markup)
    parser.close()
    return [attrs for name, attrs in parser.elements if tag is None or name == tag]


def text_of(markup: str) -> str:
    parser = _Elements()
    parser.feed(markup)
    parser.close()
    return "".join(parser.text)


def render(source: str, resolver=None) -> Rendered:
    """render_markdown plus the invariants every result must meet."""
    result = render_markdown(source, resolver)
    assert_safe(result.html)
    assert_safe(result.toc)
    assert sanitize_html(result.html) == result.html
    assert sanitize_html(result.toc) == result.toc
    return result


# --- Markdown features ------------------------------------------------------------------------------

def test_paragraphs_and_emphasis():
    assert render("Hello *world* and **bold**").html == "<p>Hello <em>world</em> and <strong>bold</strong></p>"


def test_table_uses_align_attributes_not_styles():
    html = render("| a | b |\n|:--|--:|\n| 1 | 2 |\n").html
    assert "<table>" in html and "<thead>" in html and "<tbody>" in html
    assert [c["align"] for c in elements(html, "th")] == ["left", "right"]
    assert [c["align"] for c in elements(html, "td")] == ["left", "right"]
    assert "style" not in html


def test_fenced_code_gets_codehilite_classes():
    html = render("```python\ndef f():\n    return 1\n```\n").html
    assert html.startswith('<div class="code-block"><span class="code-lang">python</span><div class="codehilite">'
                           '<pre tabindex="0" role="region" aria-label="Code: python">')
    assert '<span class="k">def</span>' in html
    assert '<span class="nf">f</span>' in html


def test_fenced_code_without_language_is_plain_but_wrapped():
    html = render("```\nplain <b>text</b>\n```\n").html
    assert 'class="codehilite"' in html
    assert "plain &lt;b&gt;text&lt;/b&gt;" in html


def test_indented_code_block():
    html = render("Para\n\n    x = 1 < 2\n").html
    assert 'class="codehilite"' in html and "&lt;" in html


def test_sane_lists_keep_ordered_and_unordered_apart_and_start():
    html = render("3. three\n4. four\n\n* a\n* b\n").html
    assert elements(html, "ol") == [{"start": "3"}]
    assert len(elements(html, "ul")) == 1
    assert html.count("<li>") == 4


def test_raw_html_is_kept_when_allowed():
    html = render("<details><summary>More</summary>\n\nHidden <kbd>Ctrl</kbd>\n\n</details>\n").html
    assert "<details>" in html and "<summary>More</summary>" in html and "<kbd>Ctrl</kbd>" in html


# --- Heading slugs (heading ids and links to sections share them) ---------------------------------------

@pytest.mark.parametrize("text, slug", [
    ("Hello World", "hello-world"),
    ("  Some   Section  ", "some-section"),
    ("a - b", "a-b"),
    ("snake_case stays", "snake_case-stays"),
    ("Ça va? Très bien!", "ça-va-très-bien"),
    ("!!!", "section"),
    ("", "section"),
    ("<script>", "script"),
    ("x" * 300, "x" * 100),
])
def test_slugify_heading(text, slug):
    assert slugify_heading(text) == slug


# --- Wiki links -----------------------------------------------------------------------------------------

def test_all_five_wikilink_syntaxes():
    result = render(
        "[[Target]] [[Target|label]] [[Target#Some Section]] [[Target#Some Section|label 2]] [[#Local Part]]"
    )
    anchors = elements(result.html, "a")
    assert [a["href"] for a in anchors] == [
        "/wiki/Target", "/wiki/Target", "/wiki/Target#some-section", "/wiki/Target#some-section", "#local-part",
    ]
    assert all(a["class"] == "wikilink" for a in anchors)
    assert text_of(result.html) == "Target label Target § Some Section label 2 § Local Part"
    assert result.links == (
        OutgoingLink("Target", None),
        OutgoingLink("Target", "Some Section"),
        OutgoingLink("", "Local Part"),
    )


def test_wikilink_targets_with_spaces_slashes_and_unicode():
    result = render("[[Concepts/Caching]] [[ Foo  bar ]] [[Café au lait]] [[Q&A?]]")
    assert [a["href"] for a in elements(result.html, "a")] == [
        "/wiki/Concepts/Caching", "/wiki/Foo__bar", "/wiki/Caf%C3%A9_au_lait", "/wiki/Q%26A%3F",
    ]
    assert [link.target for link in result.links] == ["Concepts/Caching", "Foo  bar", "Café au lait", "Q&A?"]


def test_links_are_deduplicated_in_document_order():
    result = render("[[B]] [[A]] [[B|again]] [x](/wiki/A) [[A#s]]")
    assert result.links == (OutgoingLink("B", None), OutgoingLink("A", None), OutgoingLink("A", "s"))


def test_red_links_and_missing_sections_from_resolver():
    def resolver(target, section):
        if target == "Missing":
            return LinkTarget(href="/wiki/Missing", exists=False)
        if section == "Gone":
            return LinkTarget(href="/wiki/Here#gone", section_exists=False)
        return LinkTarget(href=f"/pages/{target}", label=f"{target} (resolved)" if section is None else None)

    result = render("[[Missing]] [[Here#Gone]] [[Fine]] [[Fine|own label]]", resolver)
    a = elements(result.html, "a")
    assert a[0] == {"class": "wikilink new", "title": "page does not exist", "href": "/wiki/Missing"}
    assert a[1] == {"class": "wikilink missing-section", "title": "section does not exist", "href": "/wiki/Here#gone"}
    assert a[2] == {"class": "wikilink", "href": "/pages/Fine"}
    assert text_of(result.html) == "Missing Here § Gone Fine (resolved) own label"


def test_resolver_receives_target_and_section_as_written():
    calls = []

    def resolver(target, section):
        calls.append((target, section))
        return LinkTarget(href="/x")

    render("[[ Page One # Part 2 | lbl ]] [[Two]] [[#Three]]", resolver)
    assert calls == [("Page One", "Part 2"), ("Two", None), ("", "Three")]


def test_wikilinks_in_code_are_literal():
    result = render("`[[InCode]]`\n\n```\n[[InFence]]\n```\n\n    [[Indented]]\n\n\\[[Escaped]]\n")
    assert elements(result.html, "a") == []
    assert result.links == ()
    assert "[[InCode]]" in result.html and "[[InFence]]" in result.html and "[[Indented]]" in result.html


@pytest.mark.parametrize("source", ["[[]]", "[[|x]]", "[[#]]", "[[ | ]]", "[[a\nb]]", "[[" + "x" * 256 + "]]"])
def test_invalid_wikilinks_stay_text(source):
    result = render(source)
    assert elements(result.html, "a") == []
    assert result.links == ()


def test_long_but_valid_target_is_a_link():
    result = render("[[" + "x" * 255 + "]]")
    assert result.links == (OutgoingLink("x" * 255, None),)


def test_wikilink_label_is_text_not_html():
    result = render("[[Foo|<script>alert(1)</script> *not em* &lt;b&gt;]]")
    assert ('<a class="wikilink" href="/wiki/Foo">'
            "&lt;script&gt;alert(1)&lt;/script&gt; *not em* &amp;lt;b&amp;gt;</a>") in result.html


def test_wikilink_target_cannot_break_out_of_href():
    result = render('[["><img src=x onerror=alert(1)>]] [[a" onmouseover="alert(1)]]')
    anchors = elements(result.html, "a")
    assert [set(a) for a in anchors] == [{"class", "href"}, {"class", "href"}]
    assert elements(result.html, "img") == []
    assert anchors[0]["href"] == "/wiki/%22%3E%3Cimg_src%3Dx_onerror%3Dalert%281%29%3E"
    assert text_of(result.html) == '"><img src=x onerror=alert(1)> a" onmouseover="alert(1)'


def test_wikilink_in_heading_and_label_text_in_toc():
    result = render("## See [[Other Page|the other]]\n")
    assert result.headings == (Heading(2, "See the other", "see-the-other"),)
    assert result.links == (OutgoingLink("Other Page", None),)
    assert 'data-' not in result.html


# --- Plain links (collecting them: test_linkcollect) ----------------------------------------------------

def test_external_links_get_rel_and_relative_links_do_not():
    html = render("[ext](https://example.com) [rel](/wiki/X) [frag](#top) <https://auto.example> [pr](//cdn.example/x)").html
    rels = {a["href"]: a.get("rel") for a in elements(html, "a")}
    assert rels == {
        "https://example.com": "nofollow noopener",
        "/wiki/X": None,
        "#top": None,
        "https://auto.example": "nofollow noopener",
        "//cdn.example/x": "nofollow noopener",
    }


def test_bare_urls_are_not_linkified():
    assert elements(render("see https://example.com now").html, "a") == []


# --- Hostile Markdown ------------------------------------------------------------------------------------

HOSTILE_MARKDOWN = [
    '[a](/x "\\" onmouseover=alert(1)")',
    "[a](/x' onmouseover='alert(1))",
    '[a](/x"onmouseover="alert(1))',
    "[a](javascript:alert(1))",
    "[a](JaVaScRiPt:alert(1))",
    "[a](java&#x09;script:alert(1))",
    "[a](&#106;avascript:alert(1))",
    "[a](<javascript:alert(1)>)",
    "[a]( javascript:alert(1) )",
    "[a](vbscript:msgbox(1))",
    "[a](data:text/html;base64,PHNjcmlwdD4=)",
    "[a][r]\n\n[r]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<vbscript:msgbox(1)>",
    '![x" onerror="alert(1)](/img.png)',
    "![a](javascript:alert(1))",
    "![a](data:image/svg+xml;base64,PHN2Zz4=)",
    '![a](/x.png "t\\" onload=\\"alert(1)")',
    "[[Foo|<script>alert(1)</script>]]",
    '[["><img src=x onerror=alert(1)>]]',
    '[[Foo" onmouseover="alert(1)]]',
    '[[Foo#"><script>alert(1)</script>]]',
    "[[<b>Bold</b>]]",
    "[[javascript:alert(1)]]",
    "[[#\"><svg onload=alert(1)>]]",
    "# <img src=x onerror=alert(1)>",
    '# "><script>alert(1)</script>',
    "# Heading {onclick=alert(1)}",
    'x[^"><img src=x onerror=alert(1)>]\n\n[^"><img src=x onerror=alert(1)>]: note',
    "- [x] <input type=text value=pwned>",
    "- [ ] <button onclick=alert(1)>x</button>",
    "```\n<script>alert(1)</script>\n```",
    '```{.x onclick="alert(1)" #"><img}\ncode\n```',
    "```js\" onclick=\"alert(1)\n</code></pre><script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "| <img src=x onerror=alert(1)> |\n|---|\n| <a href=javascript:alert(1)>x</a> |",
    "**<img src=x onerror=alert(1)>**",
    "> <iframe src=javascript:alert(1)></iframe>",
    "<div markdown=1>[x](javascript:alert(1))</div>",
    "*<a href='javascript:alert(1)'>x</a>*",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "[x](https://example.com \"t\") <a href=\"/wiki/Foo\" onclick=\"alert(1)\">raw</a>",
    "Setext <script>\n===",
    "<details open ontoggle=alert(1)><summary>x</summary></details>",
    "<a href=\"&#x6A;avascript:alert(1)\">[[Inside]]</a>",
    "[a](/x\\\" onmouseover=alert(1))",
    "[![img](/i.png)](javascript:alert(1))",
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
]


@pytest.mark.parametrize("hostile", HOSTILE_MARKDOWN)
def test_hostile_markdown_is_neutralized(hostile):
    render(hostile)  # asserts safety and idempotence of html and toc


@pytest.mark.parametrize("hostile", HOSTILE_HTML)
def test_hostile_html_through_markdown_is_neutralized(hostile):
    render(hostile)


def test_hostile_corpora_are_big_enough():
    assert len(HOSTILE_MARKDOWN) >= 45


def test_link_title_cannot_break_out():
    (a,) = elements(render('[a](/x "\\" onmouseover=alert(1)")').html, "a")
    assert a == {"href": "/x", "title": '\\" onmouseover=alert(1)'}  # Markdown keeps the backslash


def test_image_alt_cannot_break_out():
    (img,) = elements(render('![x" onerror="alert(1)](/img.png)').html, "img")
    assert img == {"src": "/img.png", "alt": 'x" onerror="alert(1)'}


def test_javascript_link_loses_its_href_but_keeps_text():
    html = render("[click](javascript:alert(1))").html
    assert elements(html, "a") == [{}]
    assert text_of(html) == "click"


def test_resolver_cannot_inject_dangerous_href():
    html = render("[[X]]", lambda t, s: LinkTarget(href="javascript:alert(1)", label='"><b>')).html
    assert html == '<p><a class="wikilink">"&gt;&lt;b&gt;</a></p>'


def test_code_content_is_escaped():
    html = render("```\n<script>alert(1)</script>\n```").html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- Pathological input: must return, and in reasonable time (timings in the report, not asserted) ---------

PATHOLOGICAL = {
    "100k [[": "[[" * 100_000,
    "line of 100k [": "[" * 100_000,
    "50k backticks": "`" * 50_000,
    "10k-column table": "|" + "a|" * 10_000 + "\n|" + "-|" * 10_000 + "\n|" + "b|" * 10_000 + "\n",
    "1000-deep list": "".join("    " * i + "- x\n" for i in range(1000)),
    "1000-deep quote": ">" * 1000 + " x\n",
    "1000 quote levels, one per line": "".join(">" * i + " x\n\n" for i in range(1, 1001)),
    "1000 list markers on one line": "- " * 1000 + "x\n",
    "1000 nested emphasis": "*a " * 1000 + "x" + " a*" * 1000,
    "1000 nested divs": "<div>" * 1000 + "x" + "</div>" * 1000,
    "unclosed tags": "<a " * 30_000,
    "unclosed link destinations": "[a](" * 25_000,
    "unclosed fences": "```a\n" * 20_000,
    "unclosed footnote refs": "[^" * 50_000,
    "many headings": "# h\n" * 5_000,
    "many setext headings": "a\n===\n" * 5_000,
}


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_input_returns(name):
    result = render_markdown(PATHOLOGICAL[name])
    assert isinstance(result, Rendered)
    assert result.html
    assert_safe(result.html)


def test_too_deep_nesting_falls_back_to_escaped_source_with_links():
    # 1000 list levels on one line recurse far past Python's limit inside Python-Markdown.
    result = render("[[Kept]] <b>x</b>\n\n" + "- " * 1000 + "x\n")
    assert result.html.startswith('<pre class="render-fallback">[[Kept]] &lt;b&gt;x&lt;/b&gt;\n\n- - - ')
    assert result.links == (OutgoingLink("Kept", None),)
    assert result.headings == () and result.toc == ""


def test_new_instance_per_call_keeps_no_state():
    first = render("x[^1]\n\n[^1]: one\n\n# H\n")
    second = render("x[^1]\n\n[^1]: one\n\n# H\n")
    assert first == second
