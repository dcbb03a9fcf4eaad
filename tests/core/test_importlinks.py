"""Markdown folder import: titles from paths and relative links to wiki links (pure)."""
import pytest

from wiki.core.importlinks import HeadingRef, convert_links, fold_titles, is_markdown_file, link_order, title_for_path
from wiki.core.titles import InvalidTitle


@pytest.mark.parametrize("path, prefix, title", [
    ("concepts/rest-api-design.md", None, "concepts/rest-api-design"),
    ("concepts/README.md", None, "concepts"),
    ("concepts/deep/index.md", None, "concepts/deep"),
    ("concepts/readme.MD", None, "concepts"),
    ("README.md", None, "Home"),
    ("index.md", None, "Home"),
    ("README.md", "Course", "Course"),
    ("concepts/README.md", "Course", "Course/concepts"),
    ("a_b.md", None, "a b"),
    ("Café/Überblick.md", None, "Café/Überblick"),
    ("notes.MD", None, "notes"),
])
def test_title_for_path(path, prefix, title):
    assert title_for_path(path, prefix) == title


@pytest.mark.parametrize("path", ["what?.md", "a/-/b.md", "x#y.md", "a|b.md"])
def test_title_for_path_refuses_invalid_titles(path):
    with pytest.raises(InvalidTitle):
        title_for_path(path)


def test_is_markdown_file():
    assert is_markdown_file("a.md") and is_markdown_file("B.MD")
    assert not is_markdown_file(".md") and not is_markdown_file("a.markdown.txt") and not is_markdown_file("a.png")


FILES = {
    "README.md": "Home",
    "concepts/README.md": "concepts",
    "concepts/rest-api-design.md": "concepts/rest-api-design",
    "concepts/caching-with-redis.md": "concepts/caching-with-redis",
    "challenges/first.md": "challenges/first",
    "Café/Überblick.md": "Café/Überblick",
}
HEADINGS = {
    "concepts/caching-with-redis.md": [
        HeadingRef("caching-with-redis", "Caching with Redis"),
        HeadingRef("cache-invalidation", "Cache invalidation"),
        HeadingRef("faq", "FAQ"),
        HeadingRef("faq-2", "FAQ"),
        HeadingRef("a-b", "A | B"),
    ],
    "challenges/first.md": [HeadingRef("local-heading", "Local heading")],
}


def convert(source, path="challenges/first.md"):
    return convert_links(source, path, FILES, lambda p: HEADINGS.get(p, []))


@pytest.mark.parametrize("source, expected", [
    ("[REST](../concepts/rest-api-design.md)", "[[concepts/rest-api-design|REST]]"),
    ("[Invalidation](../concepts/caching-with-redis.md#cache-invalidation)",
     "[[concepts/caching-with-redis#Cache invalidation|Invalidation]]"),
    # an anchor no heading has is kept as written
    ("[x](../concepts/caching-with-redis.md#nowhere)", "[[concepts/caching-with-redis#nowhere|x]]"),
    # GitHub numbers a repeated heading -1, the wiki -2: the wiki id is used
    ("[x](../concepts/caching-with-redis.md#faq-1)", "[[concepts/caching-with-redis#faq-2|x]]"),
    # heading text that cannot sit in a wiki link: its id
    ("[x](../concepts/caching-with-redis.md#a--b)", "[[concepts/caching-with-redis#a-b|x]]"),
    ("[x](#local-heading)", "[[#Local heading|x]]"),
    ("[Home](../README.md)", "[[Home]]"),
    ("[up](../concepts/)", "[[concepts|up]]"),
    ("[up](../concepts)", "[[concepts|up]]"),
    ("[root](/concepts/rest-api-design.md)", "[[concepts/rest-api-design|root]]"),
    ("[c](../Caf%C3%A9/%C3%9Cberblick.md)", "[[Café/Überblick|c]]"),
    ("[c](<../Café/Überblick.md>)", "[[Café/Überblick|c]]"),
    ("[case](../concepts/REST-API-design.md)", "[[concepts/rest-api-design|case]]"),
    ("[t](../concepts/rest-api-design.md \"a title\")", "[[concepts/rest-api-design|t]]"),
    ("[](../concepts/rest-api-design.md)", "[[concepts/rest-api-design]]"),
    # labels with markup stay Markdown, pointing at the wiki URL
    ("[**REST**](../concepts/rest-api-design.md)", "[**REST**](/wiki/concepts/rest-api-design)"),
    ("[![logo](logo.png)](../Café/Überblick.md#top)", "[![logo](logo.png)](/wiki/Caf%C3%A9/%C3%9Cberblick#top)"),
    ("[a|b](../README.md)", "[a|b](/wiki/Home)"),
    ("[Q&A and snake_case](../README.md)", "[[Home|Q&A and snake_case]]"),
    ("[&amp; _x_](../README.md)", "[&amp; _x_](/wiki/Home)"),
    # left alone
    ("[web](https://example.com/x.md)", "[web](https://example.com/x.md)"),
    ("[mail](mailto:a@b.c)", "[mail](mailto:a@b.c)"),
    ("[missing](missing.md)", "[missing](missing.md)"),
    ("[pdf](../docs/guide.pdf)", "[pdf](../docs/guide.pdf)"),
    ("[out](../../elsewhere.md)", "[out](../../elsewhere.md)"),
    ("![img](../concepts/rest-api-design.md)", "![img](../concepts/rest-api-design.md)"),
    ("`[REST](../concepts/rest-api-design.md)`", "`[REST](../concepts/rest-api-design.md)`"),
    ("[[Already a wiki link]]", "[[Already a wiki link]]"),
    ("no links at all", "no links at all"),
])
def test_convert_links(source, expected):
    assert convert(source) == expected


def test_links_in_fenced_code_are_left_alone():
    source = (
        "Before [a](../README.md)\n"
        "```md\n[b](../README.md)\n```\n"
        "~~~~\n[c](../README.md)\n```\nstill code\n~~~~\n"
        "After [d](../README.md)\n"
    )
    assert convert(source) == (
        "Before [[Home|a]]\n"
        "```md\n[b](../README.md)\n```\n"
        "~~~~\n[c](../README.md)\n```\nstill code\n~~~~\n"
        "After [[Home|d]]\n"
    )


def test_reference_definitions_point_at_the_wiki_url():
    source = "See [the guide][g].\n\n[g]: ../concepts/caching-with-redis.md#cache-invalidation \"Guide\"\n"
    assert convert(source) == (
        "See [the guide][g].\n\n[g]: /wiki/concepts/caching-with-redis#cache-invalidation \"Guide\"\n"
    )


def test_footnotes_are_not_reference_definitions():
    source = "Text[^1].\n\n[^1]: ../README.md is where it starts\n"
    assert convert(source) == source


def test_headings_are_looked_up_only_for_anchored_links():
    asked = []

    def headings(path):
        asked.append(path)
        return []

    convert_links("[a](b.md) [c](b.md#x)", "a.md", {"a.md": "a", "b.md": "b"}, headings)
    assert asked == ["b.md"]


def test_converted_links_render_as_wiki_links():
    from wiki.core.markup import render_markdown

    html = render_markdown(convert("[REST](../concepts/rest-api-design.md)")).html
    assert 'href="/wiki/concepts/rest-api-design"' in html and ">REST</a>" in html


# A table like system-design-primer's "System design interview questions with solutions".
TABLE = (
    "Intro [REST](../concepts/rest-api-design.md)\n"
    "\n"
    "| Question | |\n"
    "|---|---|\n"
    "| Design a cache | [Solution](../concepts/caching-with-redis.md) |\n"
    "| Design REST | [Solution](../concepts/rest-api-design.md#faq) \\| [Home](../README.md) |\n"
    "\n"
    "After [REST](../concepts/rest-api-design.md)\n"
)


def test_links_in_table_rows_escape_the_label_pipe():
    assert convert(TABLE) == (
        "Intro [[concepts/rest-api-design|REST]]\n"
        "\n"
        "| Question | |\n"
        "|---|---|\n"
        "| Design a cache | [[concepts/caching-with-redis\\|Solution]] |\n"
        "| Design REST | [[concepts/rest-api-design#faq\\|Solution]] \\| [[Home]] |\n"
        "\n"
        "After [[concepts/rest-api-design|REST]]\n"
    )


@pytest.mark.parametrize("delimiter", ["|---|---|", "---|---", "| :-- | --: |", " |:-:|-|  "])
def test_table_rows_are_found_with_every_delimiter_form(delimiter):
    source = f"a | b\n{delimiter}\n[x](../README.md) | y\n"
    assert convert(source) == f"a | b\n{delimiter}\n[[Home\\|x]] | y\n"


def test_imported_table_renders_whole():
    from wiki.core.markup import render_markdown

    html = render_markdown(convert(TABLE)).html
    assert html.count("<tr>") == 3 and html.count("<td>") == 4
    assert '<td><a class="wikilink" href="/wiki/concepts/caching-with-redis">Solution</a></td>' in html
    assert "[[" not in html


def test_the_folded_index_can_be_built_once_and_passed_in():
    titles = {"a.md": "a", "Sub/B.md": "Sub/B"}
    folded = fold_titles(titles)
    assert folded == {"a.md": ["a.md"], "sub/b.md": ["Sub/B.md"]}
    assert convert_links("[b](sub/b.md)", "a.md", titles, lambda p: [], folded) == "[[Sub/B|b]]"


@pytest.mark.parametrize("dest, expected", [
    ("pages.en/common/tar.md", "[[pages/common/tar|t]]"),
    ("en/common/tar.md", "[[pages/common/tar|t]]"),  # a link to a link
    ("top/pages/common/tar.md", "[[pages/common/tar|t]]"),  # a link to the root
    ("pages.en/common/missing.md", "[t](pages.en/common/missing.md)"),
])
def test_links_through_linked_folders_find_the_files(dest, expected):
    titles = {"pages/common/tar.md": "pages/common/tar", "README.md": "Home"}
    links = {"pages.en": "pages", "en": "pages.en", "top": "."}
    assert convert_links(f"[t]({dest})", "README.md", titles, lambda p: [], None, links) == expected


def test_link_order_puts_targets_before_the_pages_linking_to_them():
    pages = [("Home", "[[concepts]] [[concepts/rest\\|REST]]"), ("concepts", "[[concepts/rest]] [[Missing]]"),
             ("concepts/rest", "[[#Verbs]] no links out"), ("a", "[[b]]"), ("b", "[[a]]"), ("bad", "[[x?y]]")]
    order = [pages[i][0] for i in link_order(pages)]
    assert sorted(order) == sorted(title for title, _ in pages)  # every page once
    assert order.index("concepts/rest") < order.index("concepts") < order.index("Home")
    assert order.index("b") < order.index("a")  # a cycle is cut where the search meets it
