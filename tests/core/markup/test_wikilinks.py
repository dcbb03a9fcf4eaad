"""Wiki-link parsing, labels, the default resolver and the heading slug they share."""
import pytest

from wiki.core.markup import LinkTarget, OutgoingLink, default_resolver, render_markdown, slugify_heading
from wiki.core.markup.wikilinks import MAX_TARGET_LENGTH, default_label, parse_wikilink


@pytest.mark.parametrize("inner, link, label", [
    ("Target", OutgoingLink("Target", None), None),
    ("Target|label", OutgoingLink("Target", None), "label"),
    ("Target#Section", OutgoingLink("Target", "Section"), None),
    ("Target#Section|label", OutgoingLink("Target", "Section"), "label"),
    ("#Section", OutgoingLink("", "Section"), None),
    ("  Spaced Target  #  Spaced Section  |  spaced label  ", OutgoingLink("Spaced Target", "Spaced Section"),
     "spaced label"),
    ("Target#", OutgoingLink("Target", None), None),
    ("Target|", OutgoingLink("Target", None), None),
    ("A|b|c", OutgoingLink("A", None), "b|c"),
    ("A#b#c", OutgoingLink("A", "b#c"), None),
    ("Concepts/Caching", OutgoingLink("Concepts/Caching", None), None),
    ('a"<b>', OutgoingLink('a"<b>', None), None),
    # The escaped pipe a table cell needs: the backslash is no part of the title.
    ("Target\\|label", OutgoingLink("Target", None), "label"),
    ("Target#Section\\|label", OutgoingLink("Target", "Section"), "label"),
])
def test_parse_wikilink(inner, link, label):
    assert parse_wikilink(inner) == (link, label)


@pytest.mark.parametrize("inner", ["", " ", "|x", " | x", "#", " # ", "#|x", "x" * (MAX_TARGET_LENGTH + 1),
                                   "a#" + "s" * (MAX_TARGET_LENGTH + 1)])
def test_parse_wikilink_rejects(inner):
    assert parse_wikilink(inner) is None


def test_max_target_length_is_accepted():
    assert parse_wikilink("x" * MAX_TARGET_LENGTH) == (OutgoingLink("x" * MAX_TARGET_LENGTH, None), None)


@pytest.mark.parametrize("link, label", [
    (OutgoingLink("Page", None), "Page"),
    (OutgoingLink("Page", "Part"), "Page § Part"),
    (OutgoingLink("", "Part"), "§ Part"),
])
def test_default_label(link, label):
    assert default_label(link) == label


@pytest.mark.parametrize("target, section, href", [
    ("Foo", None, "/wiki/Foo"),
    ("Foo bar", None, "/wiki/Foo_bar"),
    ("  Foo bar  ", None, "/wiki/Foo_bar"),
    ("Concepts/Caching", None, "/wiki/Concepts/Caching"),
    ("Foo", "Some Section", "/wiki/Foo#some-section"),
    ("", "Some Section", "#some-section"),
    ("Café", "Über", "/wiki/Caf%C3%A9#über"),
    ('a"b<c>?d&e%f', None, "/wiki/a%22b%3Cc%3E%3Fd%26e%25f"),
    ("x", "!!!", "/wiki/x#section"),
])
def test_default_resolver(target, section, href):
    assert default_resolver(target, section) == LinkTarget(href=href)


def test_default_resolver_section_matches_heading_id():
    page = render_markdown("## Some Section: Details!\n\n[[#Some Section: Details!]]")
    (heading,) = page.headings
    assert default_resolver("", "Some Section: Details!").href == "#" + heading.id
    assert f'href="#{heading.id}"' in page.html


def test_slug_is_shared_with_render_module():
    from wiki.core.markup import render as render_module
    assert render_module.slugify_heading is slugify_heading


def test_link_target_defaults():
    target = LinkTarget(href="/x")
    assert (target.exists, target.section_exists, target.label) == (True, True, None)


def test_dataclasses_are_frozen():
    with pytest.raises(AttributeError):
        OutgoingLink("a", None).target = "b"
    with pytest.raises(AttributeError):
        LinkTarget(href="/x").href = "/y"


def test_wikilink_next_to_brackets_and_markdown_links():
    page = render_markdown("[x] [[A]] [b](/wiki/B) [[C]]] [[[D]]")
    assert [link.target for link in page.links] == ["A", "B", "C", "D"]


def test_footnote_like_wikilink_is_a_wikilink():
    page = render_markdown("[[^1]]\n\n[^1]: note\n")
    assert page.links == (OutgoingLink("^1", None),)


TABLE = """| Question | Solution |
|---|---|
| Design Pastebin | [[solutions/pastebin\\|Solution]] |
| Design a cache | [[solutions/cache#Step 1\\|Step one]] |
"""


def test_labelled_wikilink_in_a_table_cell_with_an_escaped_pipe():
    rendered = render_markdown(TABLE)
    assert rendered.html.count("<tr>") == 3
    assert rendered.html.count("<td>") == 4  # no cell split by the link's pipe
    assert '<td><a class="wikilink" href="/wiki/solutions/pastebin">Solution</a></td>' in rendered.html
    assert '<a class="wikilink" href="/wiki/solutions/cache#step-1">Step one</a>' in rendered.html
    assert rendered.links == (OutgoingLink("solutions/pastebin", None), OutgoingLink("solutions/cache", "Step 1"))


def test_escaped_pipe_works_outside_tables_too():
    html = render_markdown("See [[Target\\|the label]].").html
    assert html == '<p>See <a class="wikilink" href="/wiki/Target">the label</a>.</p>'


@pytest.mark.parametrize("source", ["| a |\n|---|\n| [[A`b`c]] |\n", "[[A\\#b]]", "[[A`x`\\|b]]"])
def test_other_placeholders_inside_brackets_are_no_link(source):
    rendered = render_markdown(source)
    assert "wikilink" not in rendered.html
    assert rendered.links == ()
