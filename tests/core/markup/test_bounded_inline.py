"""wiki.core.markup.bounded_inline: links and footnote references, parsed in linear time,
give what Python-Markdown gives up to MAX_BRACKET_DEPTH levels of nesting, and text beyond."""
import pytest

from tests.core.markup.test_render import elements, render, text_of
from wiki.core.markup.bounded_inline import MAX_BRACKET_DEPTH


def nested_text(depth: int) -> str:
    """Link text with ``depth`` levels of [] (counting the link's own), without "[[" wiki links."""
    return "[x" * depth + "]" * depth


def test_link_text_nested_up_to_the_limit_is_a_link():
    html = render(nested_text(MAX_BRACKET_DEPTH) + "(/u)").html
    assert elements(html, "a") == [{"href": "/u"}]
    assert text_of(html) == nested_text(MAX_BRACKET_DEPTH)[1:-1]


def test_link_text_nested_deeper_is_left_as_text():
    source = nested_text(MAX_BRACKET_DEPTH + 1) + "(/u)"
    html = render(source).html
    assert elements(html, "a") == []
    assert html == f"<p>{source}</p>"


def interleaved(depth: int) -> str:
    """A link whose text reaches ``depth`` levels of [] without ever opening MAX_BRACKET_DEPTH
    of them in a row (so the scan itself, not its fast rejection, decides)."""
    rest = depth - 4  # the first 4 levels: the link's own and 4 more, of which one closes
    return "[y " + "[x " * 4 + "a] " + "[x " * rest + "b" + " ]" * (4 + rest) + "(/u)"


def test_interleaved_nesting_up_to_the_limit_is_a_link():
    assert elements(render(interleaved(MAX_BRACKET_DEPTH)).html, "a") == [{"href": "/u"}]
    source = interleaved(MAX_BRACKET_DEPTH + 1)
    assert render(source).html == f"<p>{source}</p>"


def test_destination_parentheses_nested_up_to_the_limit():
    inner = "(" * (MAX_BRACKET_DEPTH - 1) + ")" * (MAX_BRACKET_DEPTH - 1)
    assert elements(render(f"[a](/x{inner})").html, "a") == [{"href": f"/x{inner}"}]
    deeper = "(" * MAX_BRACKET_DEPTH + ")" * MAX_BRACKET_DEPTH
    assert render(f"[a](/x{deeper})").html == f"<p>[a](/x{deeper})</p>"


@pytest.mark.parametrize("source, anchor", [
    ("[a](/x(1))", {"href": "/x(1)"}),
    ('[a](/x "t)")', {"href": "/x", "title": "t)"}),           # a ')' inside the title does not close
    ("[a [b]](/u)", {"href": "/u"}),
    ("[a](</with space>)", {"href": "/with space"}),
    ("[a][r]\n\n[r]: /ref", {"href": "/ref"}),
    ("[r]\n\n[r]: /ref", {"href": "/ref"}),
])
def test_ordinary_links_are_unchanged(source, anchor):
    assert elements(render(source).html, "a") == [anchor]


def test_images_and_image_references():
    html = render("![one](/1.png) ![two][i]\n\n[i]: /2.png").html
    assert elements(html, "img") == [{"src": "/1.png", "alt": "one"}, {"src": "/2.png", "alt": "two"}]


@pytest.mark.parametrize("source", ["[a" * 2000, "[a](" * 2000, "[a](/x" + "(" * 2000, "![" * 2000])
def test_unclosed_links_stay_text(source):
    html = render(source).html
    assert elements(html, "a") == [] and elements(html, "img") == []
    assert text_of(html) == source


# --- Footnote references ----------------------------------------------------------------------------------

def test_footnotes():
    html = render("Claim[^1] and again[^1] and other[^note].\n\n[^1]: First.\n[^note]: Second note.\n").html
    assert '<sup id="fnref-1"><a class="footnote-ref" href="#fn-1">1</a></sup>' in html
    assert '<sup id="fnref2-1"><a class="footnote-ref" href="#fn-1">1</a></sup>' in html
    assert '<a class="footnote-ref" href="#fn-note">2</a>' in html
    assert '<div class="footnote">' in html
    assert [li["id"] for li in elements(html, "li")] == ["fn-1", "fn-note"]
    backrefs = [a["href"] for a in elements(html, "a") if a.get("class") == "footnote-backref"]
    assert backrefs == ["#fnref-1", "#fnref2-1", "#fnref-note"]


def test_footnotes_are_numbered_in_definition_order():
    html = render("x[^1] y[^2]\n\n[^2]: two\n[^1]: one\n").html
    assert '<a class="footnote-ref" href="#fn-1">2</a>' in html
    assert '<a class="footnote-ref" href="#fn-2">1</a>' in html


def test_every_repeated_reference_gets_its_own_id():
    html = render("a[^1] b[^1] c[^1]\n\n[^1]: n\n").html
    assert [s["id"] for s in elements(html, "sup")] == ["fnref-1", "fnref2-1", "fnref3-1"]
    backrefs = [a["href"] for a in elements(html, "a") if a.get("class") == "footnote-backref"]
    assert backrefs == ["#fnref-1", "#fnref2-1", "#fnref3-1"]


@pytest.mark.parametrize("source", ["x[^nope]", "x[^a\nb]\n\n[^a\nb]: n", "x[^[1]]\n\n[^1]: n", "[^" * 1000])
def test_undefined_or_malformed_references_stay_text(source):
    html = render(source).html
    assert elements(html, "sup") == []
    assert "[^" in html
