"""What the editor's JavaScript asks the server: [[ completions and the inert preview."""
import re

import pytest

from tests.conftest import post_form


@pytest.fixture
def app_config(request):
    return getattr(request, "param", {})


@pytest.fixture
def pages(make_page):
    make_page("concepts/caching-with-redis", "# Caching with Redis\n\n## Cache-aside\n\ntext\n\n## TTLs\n\n### Stampedes\n")
    make_page("Cache invalidation", "x")
    make_page("Broadcast", "no match: 'cach' is inside a word")
    make_page("100%_sure", "y")


def test_titles_complete_by_word_and_path_segment(client, editor, pages):
    data = client.get("/-/complete?title=Cach").get_json()
    assert data["titles"] == ["Cache invalidation", "concepts/caching-with-redis"]  # starts-with first
    assert client.get("/-/complete?title=concepts/ca").get_json()["titles"] == ["concepts/caching-with-redis"]
    assert client.get("/-/complete?title=100%25").get_json()["titles"] == ["100% sure"]  # % is not a wildcard
    assert client.get("/-/complete?title=_").get_json()["titles"] == []
    assert client.get("/-/complete?title=").get_json()["titles"] == []


def test_sections_come_from_the_stored_headings(client, editor, pages):
    data = client.get("/-/complete?title=concepts/Caching-with-Redis&section=").get_json()
    # The opening heading is the page's title (one h1 per page), not a section to link to.
    assert data["sections"] == ["Cache-aside", "TTLs", "Stampedes"]
    assert client.get("/-/complete?title=concepts/caching-with-redis&section=ttl").get_json()["sections"] == ["TTLs"]
    missing = client.get("/-/complete?title=Nope&section=").get_json()
    assert missing == {"title": "Nope", "sections": [], "missing": True}
    assert client.get("/-/complete?title=a|b&section=").get_json()["missing"] is True


@pytest.mark.parametrize("app_config", [{"ANONYMOUS_ACCESS": "none"}], indirect=True)
def test_completions_follow_the_read_rule(client, app_config, pages):
    response = client.get("/-/complete?title=Cach", headers={"Accept": "application/json"})
    assert response.status_code == 302 and "/-/login" in response.headers["Location"]


@pytest.mark.parametrize("app_config", [{"COMPLETIONS_PER_USER": "2 per minute"}], indirect=True)
def test_completions_are_rate_limited(client, editor, app_config, pages):
    assert client.get("/-/complete?title=Cach").status_code == 200
    assert client.get("/-/complete?title=Cach").status_code == 200
    response = client.get("/-/complete?title=Cach", headers={"Accept": "application/json"})
    assert response.status_code == 429 and "Too many link completions" in response.get_json()["message"]
    assert response.headers["Retry-After"]


def test_the_preview_links_are_inert(client, editor, pages):
    body = "# Head\n\n[out](https://example.org/x) and [[Cache invalidation]] and <a href=\"/x\" title=\"a > b\">y</a>\n"
    html = post_form(client, "/wiki/Doc/-/preview", {"body": body}, form_url="/-/login").get_data(as_text=True)
    assert re.search(r"\shref=", html) is None
    assert 'data-href="https://example.org/x"' in html and 'data-href="/wiki/Cache_invalidation"' in html
    assert "¶" not in html and "section-edit" not in html and 'title="a > b"' in html
    # Without JavaScript too: the Preview button's page has no live link in its preview.
    page = post_form(client, "/wiki/Doc/-/edit", {"body": body, "base_revision": "0", "preview": "1"},
                     form_url="/-/login").get_data(as_text=True)
    preview = page[page.index('class="content preview-body"'):page.index("</section>", page.index("preview-body"))]
    assert re.search(r"\shref=", preview) is None and "<span class=\"muted\">Title:</span> Head" in preview


def test_a_new_page_starts_from_a_template(app, client, editor, make_page):
    make_page("templates/Concept", "# Concept: name of the idea\n\n## Common mistakes\n")
    make_page("templates/Challenge", "# Challenge\n\n## Problem\n\n## Solution\n\n## Outcome\n")
    make_page("templatesque", "not a template")
    html = client.get("/-/new").get_data(as_text=True)
    assert 'value="templates/Concept"' in html and 'value="templates/Challenge"' in html
    assert "templatesque" not in html
    response = client.get("/-/new?title=concepts/Queues&template=templates/Concept")
    assert response.status_code == 302
    assert response.headers["Location"] == "/wiki/concepts/Queues/-/edit?template=templates/Concept"
    editor_html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "# Concept: name of the idea\n\n## Common mistakes\n</textarea>" in editor_html
    # A blank page, an unknown template, a page that is not a template.
    assert client.get("/-/new?title=Blank&template=").headers["Location"] == "/wiki/Blank/-/edit"
    for bad in ("templates/Nope", "templatesque", "Home"):
        response = client.get(f"/-/new?title=X&template={bad}")
        assert response.status_code == 400 and "There is no template called" in response.get_data(as_text=True)
    assert client.get("/wiki/X/-/edit?template=templatesque").status_code == 404
    # An existing page is never overwritten by a template: its own text is edited.
    assert "not a template</textarea>" in client.get("/wiki/templatesque/-/edit?template=templates/Concept").get_data(
        as_text=True)
