"""The starter content in content/hub: links between files resolve, anchors match headings,
and every page renders. Pure: reads files and calls wiki.core.markup, no app or database.

Links are taken from the rendered HTML rather than the Markdown source, so a link inside a
code span or block (the Home page's syntax examples) is correctly not a link, and a link the
renderer would drop is not counted.
"""
from __future__ import annotations

import posixpath
import re
import urllib.parse
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

import pytest

from wiki.core.markup import default_resolver, render_markdown, slugify_heading
from wiki.core.markup.learningpaths import parse_path

HUB = Path(__file__).resolve().parents[2] / "content" / "hub"
MAX_BYTES = 1024 * 1024
MIN_LINKED_PAGES = 3  # distinct other files a topic page links to

FILES = sorted(p.relative_to(HUB).as_posix() for p in HUB.rglob("*") if p.is_file())
MARKDOWN = [f for f in FILES if f.endswith(".md")]
HOME = "README.md"
# Topic pages: everything but the index pages (README.md of each folder).
TOPICS = [f for f in MARKDOWN if posixpath.basename(f) != "README.md"]

_FENCED = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.M | re.S)
_CODE_SPAN = re.compile(r"(`+).+?\1", re.S)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            attrs = dict(attrs)
            if "headerlink" not in (attrs.get("class") or "") and attrs.get("href"):
                self.hrefs.append(attrs["href"])


@lru_cache(maxsize=None)
def source(name: str) -> str:
    return (HUB / name).read_bytes().decode("utf-8")


@lru_cache(maxsize=None)
def rendered(name: str):
    return render_markdown(source(name), default_resolver)


def heading_ids(name: str) -> set[str]:
    return {h.id for h in rendered(name).headings}


def heading_slugs(name: str) -> set[str]:
    return {slugify_heading(h.text) for h in rendered(name).headings}


def file_links(name: str) -> list[tuple[str, str | None]]:
    """(target file relative to HUB, anchor or None) for every relative link in the page.
    A same-page "#anchor" link has the page itself as target."""
    parser = _Hrefs()
    parser.feed(rendered(name).html)
    found = []
    for href in parser.hrefs:
        parts = urllib.parse.urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith("/"):
            continue  # external link, or an absolute path inside the wiki
        if parts.path.startswith("fn:") or href.startswith(("#fn:", "#fnref")):
            continue  # footnote plumbing
        anchor = urllib.parse.unquote(parts.fragment) or None
        if not parts.path:
            found.append((name, anchor))
            continue
        target = posixpath.normpath(posixpath.join(posixpath.dirname(name), urllib.parse.unquote(parts.path)))
        found.append((target, anchor))
    return found


def test_hub_has_the_expected_shape():
    assert HOME in MARKDOWN
    for index in ("concepts/README.md", "challenges/README.md", "best-practices/README.md"):
        assert index in MARKDOWN
    assert len(TOPICS) >= 12


@pytest.mark.parametrize("name", FILES)
def test_file_is_small_utf8_markdown(name):
    data = (HUB / name).read_bytes()
    assert len(data) < MAX_BYTES
    data.decode("utf-8")  # raises on invalid UTF-8
    assert name.endswith(".md"), "only Markdown files belong in content/hub"


@pytest.mark.parametrize("name", MARKDOWN)
def test_page_renders(name):
    result = rendered(name)
    assert result.html
    assert result.headings, "every page needs headings"


@pytest.mark.parametrize("name", MARKDOWN)
def test_no_raw_html_images_or_literal_wiki_links(name):
    text = _CODE_SPAN.sub("", _FENCED.sub("", source(name)))
    assert not _HTML_TAG.search(text), "raw HTML is stripped by the sanitizer; use Markdown"
    assert "![" not in text, "no images in the starter content"
    # Wiki-link syntax shown as an example must sit in code; real links are relative .md links,
    # except the steps of a ```path block (issue 20), which are wiki links by design.
    path = parse_path(source(name))
    steps = {(step.target, step.section) for step in path.steps} if path else set()
    assert [link for link in rendered(name).links if (link.target, link.section) not in steps] == []


@pytest.mark.parametrize("name", MARKDOWN)
def test_path_steps_name_hub_pages(name):
    path = parse_path(source(name))
    if path is None:
        return
    assert path.problems == ()
    for step in path.steps:
        assert f"{step.target}.md" in FILES, step.target
        if step.section:
            assert slugify_heading(step.section) in heading_ids(f"{step.target}.md"), step


@pytest.mark.parametrize("name", MARKDOWN)
def test_links_point_to_existing_files_and_headings(name):
    broken = []  # every problem in the page, not just the first
    for target, anchor in file_links(name):
        if target not in MARKDOWN:
            broken.append(f"link to missing file {target}")
        elif anchor is not None and not (anchor in heading_ids(target) and anchor in heading_slugs(target)):
            broken.append(f"no heading in {target} has the slug #{anchor}; "
                          f"choose one of {sorted(heading_ids(target))}")
    assert not broken, f"{name}:\n" + "\n".join(broken)


@pytest.mark.parametrize("name", TOPICS)
def test_topic_page_links_to_other_pages_and_sections(name):
    others = {target for target, _ in file_links(name) if target != name}
    assert len(others) >= MIN_LINKED_PAGES, f"{name} links to only {sorted(others)}"
    assert any(target != name and anchor for target, anchor in file_links(name)), (
        f"{name} links to no section of another page"
    )


@pytest.mark.parametrize("name", TOPICS)
def test_topic_page_has_the_standard_sections(name):
    slugs = heading_slugs(name)
    assert "common-mistakes" in slugs
    assert "further-reading-in-this-wiki" in slugs


def test_home_links_to_every_page():
    linked = {target for target, _ in file_links(HOME)}
    missing = sorted(set(MARKDOWN) - {HOME} - linked)
    assert not missing, f"Home does not link to {missing}"


def test_every_page_is_linked_from_somewhere_else():
    linked = {target for name in MARKDOWN for target, _ in file_links(name) if target != name}
    assert set(MARKDOWN) - {HOME} <= linked


@pytest.mark.parametrize("name", MARKDOWN)
def test_code_blocks_name_their_language(name):
    inside, untagged = False, []
    for number, line in enumerate(source(name).splitlines(), start=1):
        fence = re.match(r"(```|~~~)\s*(\S*)", line)
        if not fence:
            continue
        if not inside and not fence.group(2):
            untagged.append(number)
        inside = not inside
    assert not inside, f"{name}: unclosed code fence"
    assert not untagged, f"{name}: code fences without a language on lines {untagged}"
