"""Query parsing and snippets: pure, and safe whatever is typed."""
import pytest

from wiki.core.markup import render_markdown
from wiki.core.searchtext import exact_title_keys, html_to_text, parse_query, snippet, snippet_window


@pytest.mark.parametrize("raw, words, phrases, excluded, prefix", [
    ("caching redis", ("caching", "redis"), (), (), ""),
    ('"cache invalidation" ttl', ("ttl",), (("cache", "invalidation"),), (), ""),
    ("queues -celery in:concepts/", ("queues",), (), ("celery",), "concepts/"),
    ('"unbalanced quote', (), (("unbalanced", "quote"),), (), ""),
    ("NEAR(a b) * : ^ title:x", ("near", "a", "b", "title", "x"), (), (), ""),
    ("'; DROP TABLE pages; --", ("drop", "table", "pages"), (), (), ""),
    ("!!! ??? ---", (), (), (), ""),
    ("", (), (), (), ""),
])
def test_parse_query(raw, words, phrases, excluded, prefix):
    query = parse_query(raw)
    assert (query.words, query.phrases, query.excluded, query.prefix) == (words, phrases, excluded, prefix)


def test_engine_expressions_contain_only_quoted_words():
    query = parse_query('a "b c" -d NEAR* x:y^2')
    assert query.fts5() == '("a" AND "near" AND "x" AND "y" AND "2" AND "b c") NOT "d"'
    assert query.websearch() == 'a near x y 2 "b c" -d'


def test_long_queries_are_cut():
    query = parse_query("word " * 10_000)
    assert query.words == ("word",)
    assert len(parse_query(" ".join(f"w{i}" for i in range(5000))).words) == 16


def test_snippet_escapes_and_highlights():
    text = "Intro. <script>alert(1)</script> Caching with Redis: a cache is cached data."
    html = snippet(text, ("caching",))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<mark>Caching</mark>" in html and "<mark>cache</mark>" in html and "<mark>cached</mark>" in html


def test_snippet_window_and_ellipses():
    text = "filler " * 200 + "needle here " + "more " * 200
    html = snippet(text, ("needle",))
    assert html.startswith("… ") and html.endswith(" …") and "<mark>needle</mark>" in html


def test_html_to_text_skips_edit_links_and_keeps_blocks_apart():
    page = ('<h2 id="a">Title<a class="headerlink" href="#a">¶</a><a class="section-edit" href="/x">edit</a></h2>'
            "<p>One &amp; two</p><ul><li>three</li></ul>")
    assert html_to_text(page) == "Title\nOne & two\nthree"


@pytest.mark.parametrize("raw, keys", [
    ("git commit", ("git commit", "git-commit")),
    ("Git-Commit", ("git commit", "git-commit")),
    ('"git commit"', ("git commit", "git-commit")),
    ("tar", ("tar",)),
    ("tar in:common/", ("tar",)),
    ("git -svn", ()),
    ('git "commit message"', ()),
    ("!!!", ()),
])
def test_exact_title_keys(raw, keys):
    assert exact_title_keys(parse_query(raw)) == keys


@pytest.mark.parametrize("term, text, marked", [
    ("git", "Clone https://github.com/git/git with git.", ["git", "git", "git"]),
    ("git", "GitHub and gitk are not git", ["git"]),
    ("caching", "Caching, a cache, cached reads, caches", ["Caching", "cache", "cached", "caches"]),
    ("commit", "commits were committed; a commitment", ["commits", "committed"]),
    ("tar", "tar archives: target and tarball", ["tar"]),
])
def test_highlighting_marks_word_forms_not_longer_words(term, text, marked):
    import re
    assert re.findall(r"<mark>(.*?)</mark>", snippet(text, (term,))) == marked


def test_snippets_are_not_cut_inside_a_word():
    # tldr: "- Create an archive: `tar cf {{path/to/target.tar}} {{path/to/file1}}`"
    text = "Archive files. " + "tar cf {{path/to/target.tar}} {{path/to/file1}} " * 12
    html = snippet(text, ("archive",), width=120)
    assert html.endswith(" …")
    words = html[:-2].replace("<mark>", "").replace("</mark>", "").split()
    assert set(words) <= set(text.split()) and "{ …" not in html  # whole words only
    start, end = snippet_window("aaaa bbbb cccc dddd", 0, 12)
    assert (start, end) == (0, 9)  # "aaaa bbbb", not "aaaa bbbb cc"
    assert snippet_window("x" * 50, 0, 20) == (0, 20)  # one long word is cut after all


def test_snippet_text_leaves_out_code_labels_and_heading_links():
    html = render_markdown("## Setup\n\n```python\nprint(1)\n```\n", section_edit_url=lambda n: "/e").html
    text = html_to_text(html)
    assert text.split() == ["Setup", "print(1)"]


def test_a_snippet_far_into_a_long_text_is_the_same_as_near_its_start():
    filler = "word " * 2000
    near = snippet("lead text " + "pad " * 30 + "the needle is here " + "tail " * 100, ("needle",))
    far = snippet(filler + "lead text " + "pad " * 30 + "the needle is here " + "tail " * 100, ("needle",))
    assert near.startswith("… ") and far.startswith("… ") and near.endswith(" …") and far.endswith(" …")
    assert near.count("<mark>needle</mark>") == far.count("<mark>needle</mark>") == 1
    assert far.split("<mark>")[0].endswith("the ") and len(far) - len(near) < 10
    assert snippet("a\n\n  needle   b\nc", ("needle",)) == "a <mark>needle</mark> b c"
