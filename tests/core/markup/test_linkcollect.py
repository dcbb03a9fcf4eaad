"""wiki.core.markup.linkcollect: which links of a page are outgoing wiki links, in what order."""
import pytest

from tests.core.markup.test_render import render
from wiki.core.markup import OutgoingLink
from wiki.core.markup.linkcollect import link_from_href
from wiki.core.markup.wikilinks import MAX_TARGET_LENGTH


@pytest.mark.parametrize("href, link", [
    ("/wiki/Foo_bar#sec", OutgoingLink("Foo bar", "sec")),
    ("/wiki/Caf%C3%A9", OutgoingLink("Café", None)),
    ("/wiki/Q?x=1", OutgoingLink("Q", None)),
    ("/wiki/A#", OutgoingLink("A", None)),
    ("/wiki/A#Some%20Part", OutgoingLink("A", "Some Part")),
    ("/wiki/A#%20", OutgoingLink("A", None)),
    ("/wiki/_Padded_#_", OutgoingLink("Padded", "_")),
    ("/wiki/Concepts/Caching", OutgoingLink("Concepts/Caching", None)),
    ("/wiki/" + "x" * MAX_TARGET_LENGTH, OutgoingLink("x" * MAX_TARGET_LENGTH, None)),
    ("/wiki/" + "x" * (MAX_TARGET_LENGTH + 1), None),
    ("/wiki/Foo/-/edit", None),
    ("https://example.com/wiki/X", None),
    ("//example.com/wiki/X", None),
    ("/wiki/", None),
    ("/wiki/%20", None),
    ("/wikipedia/X", None),
    ("#local", None),
])
def test_link_from_href(href, link):
    assert link_from_href(href) == link


def test_plain_wiki_links_are_collected():
    result = render(
        "[a](/wiki/Foo_bar#sec) [b](/wiki/Caf%C3%A9) [c](/wiki/Foo/-/edit) [d](https://example.com/wiki/X) "
        "[e](/wiki/) <a href=\"/wiki/Raw_Link\">raw</a> [f](/wiki/Q?x=1)"
    )
    assert result.links == (
        OutgoingLink("Foo bar", "sec"), OutgoingLink("Café", None), OutgoingLink("Raw Link", None),
        OutgoingLink("Q", None),
    )


def test_reference_links_to_wiki_pages_are_collected():
    result = render("See [the page][ref].\n\n[ref]: /wiki/Some_Page\n")
    assert result.links == (OutgoingLink("Some Page", None),)


def test_link_order_mixes_wikilinks_markdown_links_and_raw_html():
    result = render("*[[A]]* <a href=\"/wiki/B\">b</a> [c](/wiki/C)\n\n- [[D]]\n")
    assert [link.target for link in result.links] == ["A", "B", "C", "D"]


def test_document_order_through_nesting_and_tails():
    result = render("> [[A]] **[[B]]** [[C]]\n>\n> - [[D]] *x* [[E]]\n\n[[F]]\n")
    assert [link.target for link in result.links] == ["A", "B", "C", "D", "E", "F"]


def test_every_anchor_of_a_raw_html_block_is_collected():
    result = render('<div><a href="/wiki/A">a</a> <a href=" /wiki/B ">b</a> <a href="/x">x</a></div>\n')
    assert result.links == (OutgoingLink("A", None), OutgoingLink("B", None))


def test_upper_case_raw_html_anchors_are_collected():
    assert render('<DIV><A HREF="/wiki/C">c</A></DIV>\n').links == (OutgoingLink("C", None),)


def test_links_in_code_are_not_collected():
    result = render("`[a](/wiki/X)`\n\n```\n[b](/wiki/Y) <a href=\"/wiki/Z\">z</a>\n```\n")
    assert result.links == ()


def test_images_are_not_links():
    assert render("![alt](/wiki/Picture)").links == ()


def test_raw_html_that_html_parser_refuses_renders_instead_of_failing():
    # html.parser raises AssertionError on '<![' after a broken tag; a save must not 500.
    from wiki.core.markup import render_markdown

    rendered = render_markdown('<div\r<a><![\n\n<a href="/wiki/B">b</a>')
    assert rendered.html == "<p></p><div>b\n\n<p></p></div>"  # shown, sanitized, nothing raised
