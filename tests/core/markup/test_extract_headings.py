"""extract_headings gives exactly the headings a full rendering gives, for less work."""
import pytest

from wiki.core.markup import extract_headings, render_markdown

SOURCES = [
    "# Title\n\ntext\n\n## Part\n\n## Part\n\nSetext\n------\n",
    "# Café & *Ümlaut* `code`\n\n### [[Other page|link]] in a heading\n",
    "Text[^1] and\n\n## fn-1\n\n[^1]: a footnote\n",
    "```\n# not a heading\n```\n\n#### Real one ####\n",
    "no headings at all",
    "> " * 40 + "# deep\n",
]


@pytest.mark.parametrize("source", SOURCES)
def test_same_headings_as_a_full_rendering(source):
    full = render_markdown(source, section_edit_url=lambda n: f"/edit?section={n}").headings
    assert extract_headings(source) == full
    assert extract_headings(source) == render_markdown(source).headings
