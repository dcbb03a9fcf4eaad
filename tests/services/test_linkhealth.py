"""Broken-link detection (issue 20): what a rendering's links turn into as broken_links rows,
through the same resolvers the page uses (here a PreloadedResolver over known pages, as the
import renders, and the files feature's FileResolver on an empty database)."""
import pytest

from wiki.models import Page
from wiki.services import linkhealth, rendering


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def detect(source: str, title: str = "Linker"):
    resolver = rendering.PreloadedResolver({
        "caching": (Page(id=2, title="Caching", title_key="caching"),
                    {"cache-invalidation": "Cache invalidation", "eviction": "Eviction"}),
        "home": (Page(id=3, title="Home", title_key="home"), {}),
    })
    page = Page(id=1, title=title, title_key=title.casefold())
    rendered = rendering.render(title, source, resolver)
    return [(r["kind"], r["target_title"], r["section"], r["line"], r["section_number"], r["suggestion"])
            for r in linkhealth.broken_rows(page, source, rendered, resolver)]


def test_links_that_lead_somewhere_are_not_broken(ctx):
    assert detect("[[Caching]] [[caching#Eviction]] [[Home]] [[#Local]] [x](/wiki/Caching#eviction)\n\n## Local\n") == []


def test_a_missing_page_and_a_missing_section_with_its_closest_heading(ctx):
    assert detect("[[Nowhere]]\n\n## Part\n\n[[Caching#Cache invalidations]] and [[Home#Anything]]\n") == [
        ("page", "Nowhere", None, 1, None, None),
        ("section", "Caching", "Cache invalidations", 5, 1, "Cache invalidation"),
        ("section", "Home", "Anything", 5, 1, None),  # a page without headings: nothing to suggest
    ]


def test_one_row_per_line_showing_it_and_spellings_of_one_heading_are_one_link(ctx):
    assert detect("[[Caching#Old]]\n\ntext\n\n[[caching#old]] [[Caching#Old|again]]\n") == [
        ("section", "Caching", "Old", 1, None, None), ("section", "Caching", "Old", 5, None, None)]


def test_links_in_code_are_not_links_and_a_redirect_to_a_missing_page_is_broken(ctx):
    assert detect("```\n[[Nowhere]]\n```\n`[[Nowhere]]`\n") == []
    # (the redirect line is section 1 to the section editor, as "#REDIRECT" reads as a heading)
    assert detect("#REDIRECT [[Nowhere]]\n") == [("page", "Nowhere", None, 1, 1, None)]


def test_a_missing_file_of_the_page_or_of_another_page(ctx):
    assert sorted(detect("## Pictures\n\n![d](diagram.png)\n\n[[File:Caching/sheet.pdf]]\n")) == [
        ("file", "Caching", "sheet.pdf", 5, 1, None), ("file", "Linker", "diagram.png", 3, 1, None)]
