"""Pure discussion logic: finding a thread's section again, telling whether it changed, checking
comment bodies, and placing comment counts beside the "discuss" links of stored HTML."""
import pytest

from wiki.core import discussions as core
from wiki.core.errors import InvalidInput
from wiki.core.markup import render_markdown
from wiki.core.markup.render import section_ids

SOURCE = "# Page\n\nIntro.\n\n## Keys\n\nKeys are hashes.\n\n## Eviction\n\nLRU.\n\n```\n## not a heading\n```\n"


def sections(source):
    return core.current_sections(source, section_ids(source))


def recorded(source, anchor):
    text = sections(source)[anchor].text
    return text, core.text_hash(text)


def test_section_ids_are_the_ids_the_rendered_headings_get():
    source = "# A\n\n## Same\n\nx\n\n## Same\n\n> ## Quoted\n\n## **Bold** *head*\n"
    # Section 1, the opening "# A", is the page's display title: not in the content, no thread anchor.
    assert section_ids(source) == {2: "same", 3: "same-2", 4: "bold-head"}
    html = render_markdown(source).html
    for anchor in section_ids(source).values():
        assert f'id="{anchor}"' in html


def test_over_budget_pages_have_no_sections_to_discuss():
    assert section_ids("*a* " * 100000) == {}


@pytest.mark.parametrize("new, state, anchor", [
    (SOURCE, "same", "keys"),
    (SOURCE.replace("Keys are hashes.", "Keys are digests."), "changed", "keys"),
    (SOURCE.replace("Keys are hashes.\n\n", "Keys are hashes.   \n\n\n\n"), "same", "keys"),  # whitespace only
    (SOURCE.replace("## Keys", "## Cache keys"), "renamed", "cache-keys"),
    (SOURCE.replace("## Keys", "Keys\n----"), "same", "keys"),  # setext spelling: the text changed, see below
    (SOURCE.replace("## Keys\n\nKeys are hashes.\n\n", ""), "gone", None),
    ("# Page\n\nIntro.\n\n## Eviction\n\nLRU.\n\n## Keys\n\nKeys are hashes.\n", "same", "keys"),  # moved to the end
    (SOURCE.replace("## Keys\n\nKeys are hashes.", "## Cache keys\n\nKeys are digests."), "gone", None),
])
def test_locate_finds_the_section_again(new, state, anchor):
    text, digest = recorded(SOURCE, "keys")
    found = core.locate("keys", text, digest, sections(new), {})
    if "----" in new:
        assert found.state == "changed" and found.anchor == "keys"  # the heading line itself changed
        return
    assert (found.state, found.anchor) == (state, anchor)
    assert found.changed == (state in ("changed", "renamed"))
    assert found.located == (anchor is not None)


def test_a_thread_about_the_whole_page_is_never_changed():
    assert core.locate(None, "", "", sections(SOURCE), {}) is core.PAGE


def test_an_empty_section_is_not_matched_by_its_empty_body_elsewhere():
    source = "## A\n\n## B\n"
    text, digest = recorded(source, "a")
    assert core.locate("a", text, digest, sections("## C\n\n## B\n"), {}).state == "gone"


@pytest.mark.parametrize("body, message", [
    ("", "empty"), ("  \n\t", "empty"), ("x" * 11, "the most a comment may have is 10"),
])
def test_comment_bodies_are_checked(body, message):
    with pytest.raises(InvalidInput, match=message):
        core.comment_body(body, 10)


def test_comment_bodies_lose_nul_and_carriage_returns():
    assert core.comment_body("a\r\nb\x00", 10) == "a\nb"


def test_anchor_arguments():
    assert core.anchor_arg("") is None and core.anchor_arg("  keys ") == "keys"
    with pytest.raises(InvalidInput):
        core.anchor_arg("x" * 256)


def test_counts_go_beside_the_discuss_links_and_are_escaped():
    html = render_markdown(SOURCE, section_edit_url=lambda n: f"/e?section={n}",
                           section_discuss_url=lambda a: f"/wiki/P/-/discussion?section={a}").html
    assert html.count('class="section-discuss"') == 2  # not the title heading (the page's h1 is its title) nor the one in the code block
    counted = core.with_counts(html, {"keys": 1, "eviction": 3, "nowhere": 2}, "/wiki/P/-/discussion")
    assert '<a class="discussion-count" href="/wiki/P/-/discussion#section-keys" ' \
           'title="Discussion of this section">1 comment</a>' in counted
    assert ">3 comments</a>" in counted and counted.count("discussion-count") == 2
    assert core.with_counts(html, {}, "/x") == html
    hostile = core.with_counts(html, {"keys": 1}, '/wiki/"><script>/-/discussion')
    assert "<script>" not in hostile and "&quot;&gt;&lt;script&gt;" in hostile
