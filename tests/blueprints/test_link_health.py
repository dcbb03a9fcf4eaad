"""Link health over HTTP (issue 20): /-/links/broken lists missing pages, sections (with the
closest heading) and files by page and line; "Fix" opens the editor at the section and a
saved fix leaves the list; bad filters answer 400; the admin dashboard counts them."""
import re

import pytest
from sqlalchemy import select

from tests.blueprints.test_pages import save
from tests.conftest import csrf_token, post_form
from wiki.extensions import db
from wiki.models import BrokenLink, Page

TARGET = "# Caching\n\n## Cache invalidation\n\nHow.\n\n## Eviction\n\nWhy.\n"
LINKER = """Intro: [[Nowhere]].

## Reading

See [[Caching#Cache invalidations]] and [[Caching#Eviction]].

## Pictures

![diagram](diagram.png)
"""


def broken_html(client, query=""):
    response = client.get("/-/links/broken" + query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def rows(app):
    with app.app_context():
        return sorted((r.kind, r.target_title, r.section, r.line, r.section_number, r.suggestion)
                      for r in db.session.scalars(select(BrokenLink)))


@pytest.fixture
def wiki(client, editor, make_page):
    make_page("Caching", TARGET)
    make_page("Linker", LINKER)


def test_each_kind_is_listed_with_its_line_section_and_suggestion(app, client, wiki):
    assert rows(app) == [
        ("file", "Linker", "diagram.png", 9, 2, None),
        ("page", "Nowhere", None, 1, None, None),
        ("section", "Caching", "Cache invalidations", 5, 1, "Cache invalidation"),
    ]
    html = broken_html(client)
    assert "3 broken links on 1 page." in html
    assert 'href="/wiki/Linker/-/edit?section=1">Fix line 5<' in html  # the section holding the link
    assert 'href="/wiki/Linker/-/edit">Fix line 1<' in html  # before any heading: the whole page
    assert 'Did you mean <a href="/wiki/Caching#cache-invalidation">“Cache invalidation”</a>?' in html
    assert 'href="/wiki/Nowhere/-/edit">Create it<' in html
    assert 'href="/wiki/Linker/-/files?name=diagram.png#upload">Upload it<' in html


def test_fix_one_from_the_list_and_it_disappears(app, client, wiki):
    html = broken_html(client, "?kind=section")
    fix = re.search(r'href="(/wiki/Linker/-/edit\?section=(\d+))">Fix line 5<', html)
    editor = client.get(fix.group(1)).get_data(as_text=True)
    assert "[[Caching#Cache invalidations]]" in editor and "Intro" not in editor  # just that section
    response = post_form(client, "/wiki/Linker/-/edit", {
        "body": "## Reading\n\nSee [[Caching#Cache invalidation]] and [[Caching#Eviction]].\n\n",
        "summary": "fix a section link", "base_revision": "1", "section": fix.group(2)}, form_url="/-/login")
    assert response.status_code == 303
    assert "Cache invalidations" not in broken_html(client)
    assert "2 broken links on 1 page." in broken_html(client)


def test_a_target_changing_state_updates_the_list(app, client, wiki, make_page):
    make_page("Nowhere", "Now it exists.\n")  # a missing page created: its links are fine
    assert [r[0] for r in rows(app)] == ["file", "section"]
    make_page("Caching", TARGET.replace("## Eviction", "## Evictions"))  # a heading renamed
    assert ("section", "Caching", "Eviction", 5, 1, "Evictions") in rows(app)
    with app.app_context():  # the linking page deleted: its links are no longer listed
        page = db.session.scalar(select(Page).where(Page.title_key == "linker"))
        page.deleted = True
        db.session.commit()
    assert "No broken links: every link leads somewhere." in broken_html(client)


def test_filters_by_kind_and_title_prefix(client, wiki, make_page):
    make_page("Guides/Start", "[[Missing guide]]\n")
    html = broken_html(client, "?kind=page")
    assert "Nowhere" in html and "Missing guide" in html and "diagram.png" not in html
    html = broken_html(client, "?prefix=guides/")
    assert "Missing guide" in html and "Nowhere" not in html
    assert "No broken links match this filter." in broken_html(client, "?prefix=zzz")


@pytest.mark.parametrize("query, message", [
    ("?kind=pages", "“kind” must be one of page, section, file."),
    ("?prefix=" + "x" * 256, "“prefix” is longer than any title"),
    ("?prefix=a%01b", "“prefix” may not contain control characters."),
    ("?page=0", "“page” must be a whole number from 1 to 10,000."),
    ("?page=two", "“page” must be a whole number"),
    ("?page=-1", "“page” must be a whole number"),
    ("?page=99999999999", "“page” must be a whole number"),
])
def test_bad_filters_answer_400_saying_why(client, wiki, query, message):
    response = client.get("/-/links/broken" + query)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_page_number_past_the_end_is_404(client, wiki):
    response = client.get("/-/links/broken?page=2")
    assert response.status_code == 404
    assert "There is no page 2 of broken links" in response.get_data(as_text=True)


def test_pages_of_the_list(app, client, editor, make_page, monkeypatch):
    from wiki.services import linkhealth
    monkeypatch.setattr(linkhealth, "PAGES_PER_SCREEN", 2)
    for name in "abc":
        make_page(f"P {name}", f"[[Missing {name}]]\n")
    first = broken_html(client)
    assert "P a" in first and "P b" in first and "P c" not in first
    assert 'href="/-/links/broken?page=2">Next' in first
    second = broken_html(client, "?page=2")
    assert "P c" in second and 'href="/-/links/broken?page=1">' in second


def test_the_admin_dashboard_counts_broken_links_for_admins_only(app, client, make_user, login, make_page):
    make_page("Linker", LINKER)
    login(make_user("root", role="admin"))
    html = client.get("/-/admin").get_data(as_text=True)
    assert "<strong class=\"dashboard-alert\">4</strong> to fix" in html  # Caching is missing too
    assert 'href="/-/links/broken">Broken links<' in html
    assert 'href="/-/admin" aria-current="page">Dashboard<' in html
    login(make_user("ed", role="editor"))
    assert client.get("/-/admin").status_code == 403
