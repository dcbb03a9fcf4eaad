"""Links between pages and sections: red links, backlinks, wanted/orphaned pages, index,
section editing, rename, delete and restore, over HTTP on every database."""
import re

import pytest
from sqlalchemy import select

from tests.conftest import post_form
from tests.blueprints.test_pages import revisions_of, save
from wiki.extensions import db
from wiki.models import Page, Revision


def html_of(client, url):
    return client.get(url).get_data(as_text=True)


def stored_html(app, title_key):
    with app.app_context():
        return db.session.scalar(
            select(Revision.html).join(Page, Page.current_revision_id == Revision.id)
            .where(Page.title_key == title_key))


# --- link syntaxes and states -------------------------------------------------------------

def test_every_link_syntax_resolves_to_pages_and_sections(client, editor, make_page):
    make_page("Caching", "# Caching\n\n## Cache invalidation\n\ntext\n")
    save(client, "Linker", "\n".join([
        "[[Caching]]", "[[caching|label one]]", "[[Caching#Cache invalidation]]",
        "[[Caching#Cache invalidation|label two]]", "[[#Local part]]", "[md](/wiki/Caching#cache-invalidation)",
        "", "## Local part"]), 0)
    html = html_of(client, "/wiki/Linker")
    assert '<a class="wikilink" href="/wiki/Caching">Caching</a>' in html
    assert '<a class="wikilink" href="/wiki/Caching">label one</a>' in html
    # A section link without a label shows the page's title and the section as written.
    assert '<a class="wikilink" href="/wiki/Caching#cache-invalidation">Caching § Cache invalidation</a>' in html
    assert '<a class="wikilink" href="/wiki/Caching#cache-invalidation">label two</a>' in html
    assert 'href="#local-part"' in html


def test_link_to_a_missing_section_is_marked(client, editor, make_page):
    make_page("Caching", "# Caching\n")
    save(client, "Linker", "[[Caching#No such part]]", 0)
    html = html_of(client, "/wiki/Linker")
    assert 'class="wikilink missing-section"' in html
    assert 'title="section does not exist"' in html


def test_creating_a_page_turns_red_links_blue_in_the_same_transaction(app, client, editor):
    save(client, "Linker", "See [[Future page]].", 0)
    assert 'class="wikilink new"' in stored_html(app, "linker")
    save(client, "Future page", "now it exists", 0)
    html = stored_html(app, "linker")
    assert 'class="wikilink new"' not in html
    assert 'href="/wiki/Future_page"' in html


def test_adding_a_heading_fixes_section_links_elsewhere(app, client, editor, make_page):
    make_page("Target", "# Target\n")
    save(client, "Linker", "[[Target#Later part]]", 0)
    assert "missing-section" in stored_html(app, "linker")
    save(client, "Target", "# Target\n\n## Later part\n", 1)
    assert "missing-section" not in stored_html(app, "linker")


# --- backlinks, wanted, orphans, index -------------------------------------------------------

def test_backlinks_list_linking_pages_with_their_sections(client, editor, make_page):
    make_page("Caching", "# Caching\n## Redis\n")
    make_page("A page", "[[Caching]] and [[Caching#Redis]]")
    make_page("B page", "[[caching#Redis|r]]")
    make_page("Unrelated", "[[Other]]")
    html = html_of(client, "/wiki/Caching/-/backlinks")
    assert "2 pages link to “Caching”" in html
    assert re.search(r'href="/wiki/A_page">A page</a>.*§ Redis.*and the whole page', html, re.S)
    assert 'href="/wiki/B_page">B page</a>' in html
    assert "Unrelated" not in html


def test_backlinks_of_a_missing_page(client, editor, make_page):
    make_page("Linker", "[[Ghost]]")
    html = html_of(client, "/wiki/Ghost/-/backlinks")
    assert "which does not exist yet" in html and "Linker" in html


def test_wanted_pages_most_linked_first(client, editor, make_page):
    make_page("One", "[[Missing A]] [[Missing B]] [[Exists]]")
    make_page("Two", "[[missing_b]]")
    make_page("Exists", "x")
    html = html_of(client, "/-/wanted")
    assert html.index("Missing B") < html.index("Missing A")
    assert "2 linking pages" in html
    assert "/wiki/Exists/-/edit" not in html


def test_orphaned_pages(client, editor, make_page):
    make_page("Home", "[[Linked]]")
    make_page("Linked", "[[Linked]]")  # a self-link does not count
    make_page("Lonely", "nobody links here")
    html = html_of(client, "/-/orphans")
    assert "Lonely" in html
    assert ">Linked<" not in html and ">Home<" not in html


def test_all_pages_grouped_by_hierarchy(client, editor, make_page):
    for title in ("concepts/Caching", "concepts/Queues", "Home", "challenges/deep/Thing"):
        make_page(title, "x")
    html = html_of(client, "/-/pages")
    assert re.search(r"concepts</span>\s*<a class=\"folder-filter\" href=\"/-/pages\?prefix=concepts/\"[^>]*>"
                     r"concepts/ ▸</a>\s*<ul class=\"page-tree\">.*Caching.*Queues", html, re.S)
    assert 'href="/wiki/challenges/deep/Thing">Thing</a>' in html


def _titles_on(html):
    return re.findall(r'<a href="/wiki/([^"]+)">', html)


def _link(html, label):
    match = re.search(r'<a href="([^"]+)">' + re.escape(label) + "</a>", html)
    return match.group(1).replace("&amp;", "&") if match else None


TITLES = ["a1", "b2", "c3", "d4", "e5", "f6", "g7"]


def _shown(html):
    return [t for t in _titles_on(html) if t in TITLES]


def test_all_pages_come_a_window_at_a_time(client, editor, make_page, monkeypatch):
    from wiki.services import links

    monkeypatch.setattr(links, "LIST_PAGE_SIZE", 3)
    for title in reversed(TITLES):
        make_page(title, "nobody links here")
    first = html_of(client, "/-/pages")
    assert _shown(first) == ["a1", "b2", "c3"]
    assert _link(first, "← Previous") is None and _link(first, "« First") is None
    second = html_of(client, _link(first, "Next →"))
    assert _shown(second) == ["d4", "e5", "f6"]
    third = html_of(client, _link(second, "Next →"))
    assert _shown(third) == ["g7"] and _link(third, "Next →") is None
    back = html_of(client, _link(third, "← Previous"))
    assert _shown(back) == ["d4", "e5", "f6"]
    assert _link(back, "« First") == "/-/pages"
    assert _shown(html_of(client, _link(back, "← Previous"))) == ["a1", "b2", "c3"]


def test_orphans_come_a_window_at_a_time_looking_at_a_bounded_stretch(client, editor, make_page, monkeypatch):
    from wiki.services import links

    monkeypatch.setattr(links, "LIST_PAGE_SIZE", 2)
    monkeypatch.setattr(links, "ORPHAN_SCAN", 3)  # titles looked at per window
    for title in TITLES:
        make_page(title, "nobody links here")
    make_page("linker", "[[b2]] [[c3]] [[d4]] [[e5]] [[f6]] [[linker]]")  # with only a self-link, an orphan
    first = html_of(client, "/-/orphans")
    assert _shown(first) == ["a1"]  # a1 b2 c3 looked at
    second = html_of(client, _link(first, "Next →"))
    assert _shown(second) == [] and "No orphaned pages among the titles looked at here." in second  # d4 e5 f6
    third = html_of(client, _link(second, "Next →"))
    assert _shown(third) == ["g7"] and "/wiki/linker" in third and _link(third, "Next →") is None
    assert _link(third, "« First") == "/-/orphans" and _link(third, "← Previous") is None


@pytest.mark.parametrize("url", ["/-/pages", "/-/orphans"])
def test_title_lists_filter_by_prefix(client, editor, make_page, url):
    for title in ("common/tar", "common/git commit", "linux/ls", "commonplace", "Home"):
        make_page(title, "no links")
    html = html_of(client, url + "?prefix=Common/")
    assert "/wiki/common/tar" in html and "/wiki/common/git_commit" in html
    assert "/wiki/linux/ls" not in html and "/wiki/commonplace" not in html
    assert 'value="Common/"' in html
    html = html_of(client, url + "?prefix=nothing/")
    assert "title starts with “nothing/”" in html
    response = client.get(url, query_string={"after": "x" * 300})
    assert response.status_code == 400 and "longer than any title" in response.get_data(as_text=True)


# --- sections ----------------------------------------------------------------------------------

LONG = "Intro\n\n# First\n\none\n\n## Nested\n\nnested\n\n```\n# not a section\n```\n\n# Second\n\ntwo\n"


def test_headings_have_ids_permalinks_and_section_edit_links(client, editor, make_page):
    make_page("Long", LONG)
    html = html_of(client, "/wiki/Long")
    assert 'href="/wiki/Long/-/edit?section=1"' in html
    assert 'href="/wiki/Long/-/edit?section=3"' in html
    assert "section=4" not in html  # the heading in the code block is not a section
    assert 'class="headerlink" href="#first"' in html


def test_section_edit_form_shows_only_that_section(client, editor, make_page):
    make_page("Long", LONG)
    html = html_of(client, "/wiki/Long/-/edit?section=1")
    assert "Editing one section" in html
    assert "# First\n\none\n\n## Nested\n\nnested\n\n```\n# not a section\n```\n" in html.replace("&#34;", '"')
    assert "two" not in html.split("<textarea")[1].split("</textarea>")[0]


def test_saving_a_section_splices_it_into_the_page(app, client, editor, make_page):
    make_page("Long", LONG)
    response = post_form(client, "/wiki/Long/-/edit", {
        "body": "# Second\n\ntwo, improved\n", "base_revision": "1", "section": "3", "summary": "s"},
        form_url="/-/login")
    assert response.status_code == 303
    assert response.headers["Location"] == "/wiki/Long#second"
    assert client.get("/wiki/Long/-/raw").get_data(as_text=True) == LONG.replace("two\n", "two, improved\n")
    assert revisions_of(app, "long") == [1, 2]


def test_stale_section_save_keeps_the_text(app, client, editor, make_page):
    make_page("Long", LONG)
    make_page("Long", LONG + "\nmore\n")
    response = post_form(client, "/wiki/Long/-/edit", {
        "body": "# Second\n\nmine\n", "base_revision": "1", "section": "3"}, form_url="/-/login")
    assert response.status_code == 409
    assert "mine" in response.get_data(as_text=True)
    assert revisions_of(app, "long") == [1, 2]


@pytest.mark.parametrize("query, status", [("section=9", 404), ("section=abc", 400), ("section=0", 400)])
def test_bad_section_numbers(client, editor, make_page, query, status):
    make_page("Long", LONG)
    response = client.get(f"/wiki/Long/-/edit?{query}")
    assert response.status_code == status
    assert "section" in response.get_data(as_text=True)


def test_posting_a_missing_section_keeps_the_text(app, client, editor, make_page):
    make_page("Long", LONG)
    response = post_form(client, "/wiki/Long/-/edit", {
        "body": "precious", "base_revision": "1", "section": "12"}, form_url="/-/login")
    assert response.status_code == 404
    assert "precious" in response.get_data(as_text=True)
    assert revisions_of(app, "long") == [1]


# --- rename ------------------------------------------------------------------------------------

def test_rename_keeps_history_and_leaves_a_redirect(app, client, editor, make_page):
    make_page("Old name", "v1")
    make_page("Old name", "v2")
    make_page("Linker", "[[Old name]]")
    response = post_form(client, "/wiki/Old_name/-/rename", {"new_title": "concepts/New name", "leave_redirect": "y"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/wiki/concepts/New_name"
    assert revisions_of(app, "concepts/new name") == [1, 2]
    # The old title redirects, with a notice.
    response = client.get("/wiki/Old_name")
    assert response.status_code == 302
    assert response.headers["Location"] == "/wiki/concepts/New_name?redirected_from=Old+name"
    assert "(Redirected from" in html_of(client, response.headers["Location"])
    assert "This page redirects to" in html_of(client, "/wiki/Old_name?redirect=no")
    # The linking page was not rewritten, and its link still works through the redirect.
    assert client.get("/wiki/Linker/-/raw").data == b"[[Old name]]"
    assert 'class="wikilink new"' not in stored_html(app, "linker")


def test_rename_without_redirect_turns_old_links_red_and_can_rewrite_them(app, client, editor, make_page):
    make_page("Old", "x")
    make_page("Linker", "[[Old]] and [[old#Part|label]] and `[[Old]]`")
    make_page("Other", "[[Old]]")
    response = post_form(client, "/wiki/Old/-/rename", {"new_title": "New", "rewrite_links": "y"})
    assert response.status_code == 303
    assert "Links to the old title on 2 page(s) are being updated" in html_of(client, "/wiki/New")
    assert client.get("/wiki/Linker/-/raw").data == b"[[New]] and [[New#Part|label]] and `[[Old]]`"
    assert revisions_of(app, "linker") == [1, 2]
    assert "was renamed to" in html_of(client, "/wiki/Linker/-/history")
    assert client.get("/wiki/Old").status_code == 404


def test_rename_onto_an_existing_title_changes_nothing(app, client, editor, make_page):
    make_page("One", "1")
    make_page("Two", "2")
    response = post_form(client, "/wiki/One/-/rename", {"new_title": "two", "leave_redirect": "y"})
    assert response.status_code == 409
    assert "already exists" in response.get_data(as_text=True)
    assert client.get("/wiki/One/-/raw").data == b"1"


@pytest.mark.parametrize("new_title, message", [("a/../b", ".."), ("", "Give the new title"), ("One", "same")])
def test_rename_to_a_bad_title_says_why(client, editor, make_page, new_title, message):
    make_page("One", "1")
    response = post_form(client, "/wiki/One/-/rename", {"new_title": new_title})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert client.get("/wiki/One/-/raw").data == b"1"


def test_only_editors_may_rename_or_delete(client, make_user, login, make_page):
    make_page("One", "1")
    assert client.get("/wiki/One/-/rename").status_code == 302  # to the login page
    login(make_user("rita", role="reader"))
    assert client.get("/wiki/One/-/rename").status_code == 403
    assert post_form(client, "/wiki/One/-/delete", {}, form_url="/wiki/One").status_code == 403
    assert client.get("/wiki/One").status_code == 200


# --- redirects ---------------------------------------------------------------------------------

def test_redirect_loops_never_loop_the_server(client, editor, make_page):
    make_page("A", "#REDIRECT [[B]]")
    make_page("B", "#REDIRECT [[A]]")
    response = client.get("/wiki/A")
    assert response.status_code == 200
    assert "redirect loop" in response.get_data(as_text=True)


def test_a_page_cannot_redirect_to_itself(app, client, editor):
    response = save(client, "Self", "#REDIRECT [[self]]", 0)
    assert response.status_code == 400
    assert "cannot redirect to itself" in response.get_data(as_text=True)


# --- delete and restore --------------------------------------------------------------------------

def test_delete_hides_the_page_turns_links_red_and_admin_restores(app, client, make_user, login, make_page):
    make_page("Doomed", "content")
    make_page("Linker", "[[Doomed]]")
    login(make_user("alice"))
    response = post_form(client, "/wiki/Doomed/-/delete", {}, form_url="/wiki/Doomed/-/delete")
    assert response.status_code == 303
    response = client.get("/wiki/Doomed")
    assert response.status_code == 404
    assert "was deleted" in response.get_data(as_text=True)
    assert 'class="wikilink new"' in stored_html(app, "linker")
    # An editor cannot restore, and cannot recreate the title over the deleted page.
    assert post_form(client, "/wiki/Doomed/-/restore", {}, form_url="/wiki/Home").status_code == 403
    assert client.get("/wiki/Doomed/-/edit").status_code == 404
    post_form(client, "/-/logout", {}, form_url="/wiki/Home")
    login(make_user("root", role="admin"))
    assert post_form(client, "/wiki/Doomed/-/restore", {}, form_url="/wiki/Doomed").status_code == 303
    assert client.get("/wiki/Doomed/-/raw").data == b"content"
    assert 'class="wikilink new"' not in stored_html(app, "linker")
    assert revisions_of(app, "doomed") == [1]


def test_section_edit_links_are_only_shown_to_editors(client, make_user, login, make_page):
    make_page("Long", LONG)
    assert '<body class="can-edit">' not in html_of(client, "/wiki/Long")  # CSS hides them
    login(make_user("rita", role="reader"))
    assert '<body class="can-edit">' not in html_of(client, "/wiki/Long")
    post_form(client, "/-/logout", {}, form_url="/wiki/Long")
    login(make_user("eddie"))
    assert '<body class="can-edit">' in html_of(client, "/wiki/Long")
