"""Tags over HTTP on every database (issue 20): a page's tags under its title, /-/tags, a tag's
pages, the tag filters of search and All pages, the editor's refusals, and the table kept in
step with saves, renames, deletes, restores and imports."""
import re

import pytest
from sqlalchemy import select

from tests.blueprints.test_pages import save
from tests.conftest import post_form
from wiki.blueprints.tags import views as tag_views
from wiki.extensions import db
from wiki.models import Page, PageTag
from wiki.services import moves, tags as tag_service
from wiki.services import pages as page_service


def tagged(tags: str, body: str = "Some text.", title: str | None = None) -> str:
    head = f"title: {title}\n" if title else ""
    return f"---\n{head}tags: {tags}\n---\n{body}\n"


def html_of(client, url):
    return client.get(url).get_data(as_text=True)


def stored(app) -> set[tuple[str, str]]:
    with app.app_context():
        return set(db.session.execute(select(Page.title, PageTag.tag).join(Page, Page.id == PageTag.page_id)).all())


def page_tag_links(html: str) -> list[str]:
    block = re.search(r'<ul class="page-tags"[^>]*>(.*?)</ul>', html, re.S)
    return re.findall(r'href="/-/tags/([^"]+)"', block.group(1)) if block else []


# --- the page view ----------------------------------------------------------------------------

def test_a_page_shows_its_tags_under_its_title_linking_to_each_tag(client, make_page):
    make_page("Caching", tagged("Redis, caching, Machine Learning, c#", "# Caching with Redis\n\nText."))
    html = html_of(client, "/wiki/Caching")
    assert page_tag_links(html) == ["redis", "caching", "machine-learning", "c%23"]
    assert html.index('class="page-title"') < html.index('class="page-tags"') < html.index('class="content"')
    assert "tags: Redis" not in html  # the front matter is not shown as text


def test_a_page_without_tags_shows_no_tag_list(client, make_page):
    make_page("Plain", "Just text.")
    assert 'class="page-tags"' not in html_of(client, "/wiki/Plain")


def test_a_cached_view_never_shows_old_tags(app, client, make_page):
    make_page("Home", tagged("old-tag"))
    assert page_tag_links(html_of(client, "/wiki/Home")) == ["old-tag"]  # anonymous: kept in the page cache
    assert page_tag_links(html_of(client, "/wiki/Home")) == ["old-tag"]
    etag = client.get("/wiki/Home").headers["ETag"]
    make_page("Home", tagged("new-tag"))
    assert client.get("/wiki/Home", headers={"If-None-Match": etag}).status_code == 200
    assert page_tag_links(html_of(client, "/wiki/Home")) == ["new-tag"]


# --- saves, renames, deletes, restores --------------------------------------------------------

def test_the_table_follows_every_change_of_the_page(app, make_page, make_user):
    admin = make_user("root", role="admin")
    make_page("A", tagged("one, two"))
    assert stored(app) == {("A", "one"), ("A", "two")}
    make_page("A", tagged("two, three"))
    assert stored(app) == {("A", "two"), ("A", "three")}
    with app.app_context():
        actor = db.session.get(type(admin), admin.id)
        moves.rename_page(page_service.get_page("A"), "B", actor)
    assert stored(app) == {("B", "two"), ("B", "three")}  # keyed by page id: the redirect left has none
    with app.app_context():
        moves.delete_page(page_service.get_page("B"), db.session.get(type(admin), admin.id), "gone")
    assert stored(app) == set()
    with app.app_context():
        moves.restore_page(page_service.find_deleted_page("B"), db.session.get(type(admin), admin.id))
    assert stored(app) == {("B", "two"), ("B", "three")}
    make_page("B", "No front matter any more.")
    assert stored(app) == set()


def test_a_redirect_has_no_tags(app, make_page):
    make_page("Target", "Text")
    make_page("Alias", "#REDIRECT [[Target]]\n")
    assert stored(app) == set()


def test_reverting_to_a_revision_brings_its_tags_back(app, client, editor, make_page):
    make_page("Page", tagged("first"))
    make_page("Page", tagged("second"))
    response = post_form(client, "/wiki/Page/-/revert/1", {"base_revision": "2"}, form_url="/wiki/Page/-/history")
    assert response.status_code == 303
    assert stored(app) == {("Page", "first")}


# --- the editor: bad tags are refused with a reason, nothing saved ----------------------------

@pytest.mark.parametrize("value, says", [
    ("good, not/good", "“/”"),
    ("<script>alert(1)</script>", "“&lt;”"),
    ("-dash", "must start with a letter or a digit"),
    ("x" * 41, "longer than 40 characters"),
    (", ".join(f"t{i}" for i in range(25)), "at most 20 tags"),
    ("zero\u200bwidth", "U+200B"),
])
def test_a_save_with_bad_tags_is_refused_and_keeps_the_text(app, client, editor, make_page, value, says):
    make_page("Page", "Old text.")
    body = tagged(value, "New text.")
    response = save(client, "Page", body, 1)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert says in html and "Nothing was saved" in html
    assert "New text." in html  # still in the editor
    with app.app_context():
        assert page_service.get_page("Page").current_revision.number == 1


def test_a_section_save_with_bad_tags_is_refused(app, client, editor, make_page):
    make_page("Page", tagged("fine", "# Page\n\n## Part\n\ntext"))
    # Section 0 is the text before the first heading: the front matter sits there.
    with app.app_context():
        source = page_service.get_page("Page").current_revision.source
    response = post_form(client, "/wiki/Page/-/edit", {"body": source.replace("fine", "not fine;"),
                                                      "base_revision": "1", "summary": ""}, form_url="/-/login")
    assert response.status_code == 400


def test_an_old_bad_tags_line_does_not_block_other_edits(app, client, editor, make_page):
    make_page("Page", tagged("good, bad/one"))  # saved by other means: the good tag is kept
    assert stored(app) == {("Page", "good")}
    response = save(client, "Page", tagged("good, bad/one", "Other words."), 1)
    assert response.status_code == 303


def test_the_preview_lists_the_tags_and_their_problems(client, editor, make_page):
    make_page("Page", "x")
    html = post_form(client, "/wiki/Page/-/preview", {"body": tagged("Redis, a/b")},
                     form_url="/wiki/Page/-/edit").get_data(as_text=True)
    assert '<span class="tag">redis</span>' in html
    assert 'class="preview-tag-problem"' in html and "“a/b”" in html


# --- /-/tags ----------------------------------------------------------------------------------

def test_the_tags_page_lists_every_tag_with_its_count_in_order(client, make_page):
    make_page("One", tagged("redis, caching"))
    make_page("Two", tagged("redis"))
    make_page("Three", tagged("docker"))
    html = html_of(client, "/-/tags")
    entries = re.findall(r'href="/-/tags/([^"]+)">[^<]+</a> <span class="muted">(\d+) pages?', html)
    assert entries == [("caching", "1"), ("docker", "1"), ("redis", "2")]


def test_the_tags_page_is_paginated(client, make_page, monkeypatch):
    monkeypatch.setattr(tag_service, "TAGS_PAGE_SIZE", 2)
    make_page("One", tagged("a1, b2, c3, d4, e5"))
    html = html_of(client, "/-/tags")
    assert re.findall(r'class="tag" href="/-/tags/([^"]+)"', html) == ["a1", "b2"]
    assert 'href="/-/tags?after=b2"' in html
    html = html_of(client, "/-/tags?after=d4")
    assert re.findall(r'class="tag" href="/-/tags/([^"]+)"', html) == ["e5"]
    assert "after=" not in html.split("<main")[1]


def test_the_tags_page_of_an_untagged_wiki_says_how_to_tag(client, make_page):
    make_page("Home", "x")
    assert "No page has tags yet" in html_of(client, "/-/tags")


def test_the_tags_page_refuses_an_overlong_cursor(client):
    assert client.get("/-/tags?after=" + "x" * 41).status_code == 400


# --- /-/tags/<tag> ----------------------------------------------------------------------------

def test_a_tag_page_lists_its_pages_with_display_titles_and_opening_words(client, make_page):
    make_page("concepts/caching", tagged("redis", "# Caching with Redis\n\nRedis keeps hot data in memory."))
    make_page("concepts/queues", tagged("redis, queues", "Queues hand work to workers."))
    make_page("Other", tagged("docker"))
    html = html_of(client, "/-/tags/redis")
    assert "<h1>Pages tagged" in html and "2 pages" in html
    assert '<a class="result-title" href="/wiki/concepts/caching">Caching with Redis</a>' in html
    assert "Redis keeps hot data in memory." in html
    assert '<a class="result-title" href="/wiki/concepts/queues">queues</a>' in html
    assert "/wiki/Other" not in html


def test_a_tag_in_another_spelling_redirects_to_its_one_url(client, make_page):
    make_page("Page", tagged("machine-learning"))
    response = client.get("/-/tags/Machine%20Learning")
    assert response.status_code == 301
    assert response.headers["Location"] == "/-/tags/machine-learning"


def test_an_unknown_tag_is_a_clear_404(client, make_page):
    make_page("Page", tagged("redis"))
    response = client.get("/-/tags/nosuchtag")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "No page has the tag “nosuchtag”" in html and 'href="/-/tags"' in html


@pytest.mark.parametrize("url, says", [
    ("/-/tags/%3Cscript%3E", "contains “&lt;”"),
    ("/-/tags/" + "x" * 300, "longer than 40 characters"),
    ("/-/tags/-x", "must start with a letter or a digit"),
    ("/-/tags/a%E2%80%AEb", "U+202E"),
])
def test_a_tag_no_page_can_have_is_a_404_saying_why(client, url, says):
    response = client.get(url)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Not a tag" in html and says in html
    assert "<script>" not in html


def test_a_deleted_page_leaves_its_tags(client, app, make_page, make_user):
    admin = make_user("root", role="admin")
    make_page("Only", tagged("lonely"))
    with app.app_context():
        moves.delete_page(page_service.get_page("Only"), db.session.get(type(admin), admin.id))
    assert client.get("/-/tags/lonely").status_code == 404
    assert "lonely" not in html_of(client, "/-/tags")


def test_a_tag_page_is_paginated(client, make_page, monkeypatch):
    monkeypatch.setattr(tag_views, "TAG_PAGE_SIZE", 2)
    for name in ("a", "b", "c"):
        make_page(name, tagged("t"))
    html = html_of(client, "/-/tags/t")
    assert re.findall(r'class="result-title" href="/wiki/(\w)"', html) == ["a", "b"]
    assert "3 pages" in html
    html = html_of(client, "/-/tags/t?after=b")
    assert re.findall(r'class="result-title" href="/wiki/(\w)"', html) == ["c"]
    assert client.get("/-/tags/t?after=" + "x" * 300).status_code == 400


# --- All pages and search ---------------------------------------------------------------------

def test_all_pages_filters_by_tag(client, make_page):
    make_page("concepts/a", tagged("redis"))
    make_page("concepts/b", tagged("docker"))
    make_page("c", tagged("Redis"))
    html = html_of(client, "/-/pages?tag=Redis")
    assert 'href="/wiki/concepts/a"' in html and 'href="/wiki/c"' in html
    assert 'href="/wiki/concepts/b"' not in html
    assert 'name="tag" value="redis"' in html
    assert "/-/pages?prefix=concepts/&amp;tag=redis" in html  # the folder filter keeps the tag
    html = html_of(client, "/-/pages?tag=redis&prefix=concepts/")
    assert 'href="/wiki/concepts/a"' in html and 'href="/wiki/c"' not in html
    assert "has the tag “nothing”" in html_of(client, "/-/pages?tag=nothing")


def test_all_pages_refuses_a_value_no_tag_can_be(client):
    response = client.get("/-/pages?tag=a/b")
    assert response.status_code == 400
    assert "No page can have this tag" in response.get_data(as_text=True)


def test_search_filters_by_tag_in_the_query_and_the_form(client, make_page):
    make_page("Redis cache", tagged("redis", "Caching keeps answers."))
    make_page("Memcached", tagged("memcached", "Caching keeps answers too."))
    html = html_of(client, "/-/search?q=caching+tag:Redis")
    assert 'href="/wiki/Redis_cache"' in html and 'href="/wiki/Memcached"' not in html
    html = html_of(client, "/-/search?q=caching&tag=memcached")
    assert 'href="/wiki/Memcached"' in html and 'href="/wiki/Redis_cache"' not in html
    assert 'name="tag" value="memcached"' in html
    html = html_of(client, "/-/search?q=caching")  # without a filter: both, as before
    assert 'href="/wiki/Memcached"' in html and 'href="/wiki/Redis_cache"' in html


def test_a_search_of_tags_alone_lists_their_pages(client, make_page):
    make_page("B page", tagged("redis, docker", "About containers."))
    make_page("A page", tagged("redis", "About one."))
    make_page("C page", tagged("docker", "About the other."))
    html = html_of(client, "/-/search?q=tag:redis")
    assert re.findall(r'class="result-title" href="/wiki/(\w)_page"', html) == ["A", "B"]
    html = html_of(client, "/-/search?tag=redis&q=tag:docker")
    assert re.findall(r'class="result-title" href="/wiki/(\w)_page"', html) == ["B"]
    html = html_of(client, "/-/search?q=tag:redis+-containers")
    assert re.findall(r'class="result-title" href="/wiki/(\w)_page"', html) == ["A"]


def test_a_bad_tag_filter_is_named_and_left_out(client, make_page):
    make_page("Page", tagged("redis", "Caching."))
    response = client.get("/-/search?q=caching+tag:a/b")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "“a/b”" in html and "That filter was left out." in html
    assert 'href="/wiki/Page"' in html


# --- the starter hub --------------------------------------------------------------------------

def test_the_starter_hub_pages_carry_tags(app):
    from wiki.services.mdimport import default_starter_dir
    from wiki.core.tags import source_tags

    root = default_starter_dir()
    sources = {str(path.relative_to(root)): path.read_text() for path in root.rglob("*.md")}
    untagged = [name for name, text in sources.items()
                if not name.startswith("templates/") and not source_tags(text).tags]
    assert not untagged
    assert not [name for name, text in sources.items() if source_tags(text).problems]


def test_a_search_of_a_tag_nobody_has_says_so(client, make_page):
    make_page("Page", tagged("redis"))
    html = html_of(client, "/-/search?q=tag:docker")
    assert "No page has the tag docker." in html


def test_the_api_search_takes_tag_filters(client, make_page, make_user, login):
    make_page("Redis cache", tagged("redis", "Caching keeps answers."))
    make_page("Memcached", tagged("memcached", "Caching keeps answers too."))
    login(make_user("reader1", role="reader"))
    items = client.get("/api/v1/search?q=caching%20tag:redis").json["items"]
    assert [item["title"] for item in items] == ["Redis cache"]
