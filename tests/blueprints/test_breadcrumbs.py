"""Breadcrumbs name a page's parents; a parent without a page never links to a 404 (issue 22:
every tldr page linked /wiki/common and /wiki/linux, which did not exist)."""
import re

from tests.conftest import post_form


def crumbs(html):
    nav = re.search(r'<nav class="breadcrumbs"[^>]*>(.*?)</nav>', html, re.S)
    return re.sub(r"\s+", " ", nav.group(1)).strip() if nav else None


def test_missing_parents_are_plain_text_for_readers(client, make_page):
    make_page("pages/common/tar", "# tar")
    make_page("pages", "the folder's own page")
    nav = crumbs(client.get("/wiki/pages/common/tar").get_data(as_text=True))
    assert '<a href="/wiki/pages">pages</a>' in nav
    assert '<span class="missing-parent" title="No page has the title “pages/common”">common</span>' in nav
    assert 'href="/wiki/pages/common"' not in nav


def test_missing_parents_are_red_links_to_create_them_for_editors(client, editor, make_page):
    make_page("common/tar", "# tar")
    nav = crumbs(client.get("/wiki/common/tar").get_data(as_text=True))
    assert nav.startswith('<a class="new" href="/wiki/common/-/edit"')
    assert client.get("/wiki/common/-/edit").status_code == 200


def test_a_parent_created_later_turns_the_breadcrumb_into_a_link(client, make_page):
    make_page("linux/ls", "# ls")
    first = client.get("/wiki/linux/ls")  # an anonymous view: served from the page cache next time
    assert "missing-parent" in crumbs(first.get_data(as_text=True))
    etag = first.headers["ETag"]
    make_page("linux", "Linux commands")
    again = client.get("/wiki/linux/ls", headers={"If-None-Match": etag})
    assert again.status_code == 200  # not a 304: the breadcrumb changed
    assert crumbs(again.get_data(as_text=True)) == '<a href="/wiki/linux">linux</a><span class="sep">/</span>'


def test_deleted_parents_count_as_missing(client, editor, make_page):
    make_page("guides", "# Guides")
    make_page("guides/setup", "# Setup")
    response = post_form(client, "/wiki/guides/-/delete", {}, form_url="/wiki/guides/-/delete")
    assert response.status_code == 303
    nav = crumbs(client.get("/wiki/guides/setup").get_data(as_text=True))
    assert nav.startswith('<a class="new" href="/wiki/guides/-/edit"') and 'href="/wiki/guides"' not in nav


def test_history_and_other_views_show_the_same_breadcrumbs(client, make_page):
    make_page("a/b/c", "text")
    make_page("a", "top")
    for url in ("/wiki/a/b/c/-/history", "/wiki/a/b/c/-/backlinks", "/wiki/a/b/c/-/revisions/1"):
        nav = crumbs(client.get(url).get_data(as_text=True))
        assert '<a href="/wiki/a">a</a>' in nav and 'href="/wiki/a/b"' not in nav, url
