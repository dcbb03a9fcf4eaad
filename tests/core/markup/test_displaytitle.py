"""Display titles (wiki.core.markup.displaytitle, render.display_title) and front matter."""
import pytest

from tests.core.markup.test_render import render
from wiki.core.frontmatter import blank_front_matter, parse_front_matter
from wiki.core.markup import display_title, extract_headings, render_markdown
from wiki.core.markup.sections import find_sections


@pytest.mark.parametrize("source, title", [
    ("# Docker\n\nContainers.", "Docker"),
    ("\n\n#   Caching with *Redis*  #\n\ntext", "Caching with Redis"),
    ("# A & B < c <b>d</b>\n", "A & B < c d"),
    ("# See [[Other page|the other]]\n", "See the other"),
    ("---\ntitle: Caching with Redis\n---\n\n# Caching\n", "Caching with Redis"),
    ("---\ntitle: \"Quoted: yes\"\ntags: a, b\n---\n", "Quoted: yes"),
    ("Intro first\n\n# Not the title\n", ""),
    ("## A second-level heading\n", ""),
    ("#hashtag-like heading\n", "hashtag-like heading"),
    ("```\n# in code\n```\n", ""),
    ("#\n\ntext", ""),
    ("", ""),
    ("# " + "x" * 400, "x" * 255),
])
def test_display_title_from_the_setting_or_the_opening_heading(source, title):
    assert display_title(source) == title
    assert render(source).title == title


def test_the_opening_heading_is_left_out_and_other_h1s_become_h2():
    result = render("# Docker\n\nIntro.\n\n# Images\n\n## Layers\n")
    assert "<h1" not in result.html
    assert result.html.startswith("<p>Intro.</p>")
    assert '<h2 id="images">Images' in result.html
    assert [(h.level, h.text) for h in result.headings] == [(2, "Images"), (2, "Layers")]
    assert extract_headings("# Docker\n\nIntro.\n\n# Images\n") == result.headings[:1]


def test_with_an_explicit_title_the_opening_heading_stays_as_a_section():
    result = render("---\ntitle: Docker for learners\n---\n# Docker\n\ntext\n")
    assert result.title == "Docker for learners"
    assert '<h2 id="docker">Docker' in result.html
    assert "title:" not in result.html and "<hr" not in result.html


def test_section_edit_links_still_count_the_opening_heading():
    source = "---\ntitle: T\n---\n# Docker\n\n## Images\n"
    html = render_markdown(source, section_edit_url=lambda n: f"/e?section={n}").html
    assert [s.title for s in find_sections(source)] == ["Docker", "Images"]
    assert 'href="/e?section=2"' in html and 'aria-label="Edit section: Images"' in html
    source = "# Docker\n\nintro\n\n## Images\n"
    html = render_markdown(source, section_edit_url=lambda n: f"/e?section={n}").html
    assert 'href="/e?section=1"' not in html  # the title's section: edited with the page
    assert 'href="/e?section=2"' in html


@pytest.mark.parametrize("source", [
    "---\nnot a setting line\n---\n",
    "---\ntitle: never closed\n",
    "--- \ntitle: x\n---\n",
    "text\n---\ntitle: x\n---\n",
    "----\ntitle: x\n----\n",
])
def test_what_is_not_front_matter_stays_markdown(source):
    assert parse_front_matter(source).lines == 0
    assert blank_front_matter(source) == source


def test_front_matter_keeps_every_setting_and_its_line_count():
    front = parse_front_matter("---\ntitle: A\n# a comment\n\ntags: x, y\nTitle-like: no\n---\nbody")
    assert front.lines == 0  # "Title-like" is not a lower-case key: not front matter at all
    front = parse_front_matter("---\ntitle: A\n# a comment\n\ntags: x, y\ntitle: B\n...\nbody")
    assert front.settings == {"title": "B", "tags": "x, y"} and front.lines == 7
    assert blank_front_matter("---\ntitle: A\n---\r\nbody") == "\n\n\nbody"


def test_toc_marker_is_left_out_but_code_keeps_it():
    html = render("[TOC]\n\n## A\n\n`[TOC]`\n\n    [TOC]\n").html
    assert "<p>[TOC]</p>" not in html
    assert "<code>[TOC]</code>" in html and "[TOC]\n</code></pre>" in html
