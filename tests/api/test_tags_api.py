"""The API's tags (issue 20): a page's tags, every tag with its count, and a tag's pages, both
lists cursor-paginated; bad tags refused on save as in the editor."""
import pytest


@pytest.fixture
def writer(make_user, make_token, bearer):
    user = make_user("alice", role="editor")
    return bearer(make_token(user, "write"))


def tagged(tags: str, body: str = "Text") -> str:
    return f"---\ntags: {tags}\n---\n{body}\n"


def test_a_page_answers_its_tags(client, make_page, writer):
    make_page("Caching", tagged("Redis, caching"))
    data = client.get("/api/v1/pages/caching", headers=writer).json
    assert data["tags"] == ["redis", "caching"]
    make_page("Plain", "x")
    assert client.get("/api/v1/pages/plain", headers=writer).json["tags"] == []


def test_saving_through_the_api_answers_the_new_tags(client, make_page, writer):
    make_page("Page", "x")
    response = client.put("/api/v1/pages/page", json={"body": tagged("new"), "base_revision": 1}, headers=writer)
    assert response.status_code == 200
    assert response.json["tags"] == ["new"]


def test_a_save_with_bad_tags_is_a_422_and_saves_nothing(client, make_page, writer):
    make_page("Page", "x")
    response = client.put("/api/v1/pages/page", json={"body": tagged("ok, not/ok"), "base_revision": 1},
                          headers=writer)
    assert response.status_code == 422
    assert "not/ok" in response.json["detail"]
    assert client.get("/api/v1/pages/page", headers=writer).json["revision"] == 1
    response = client.post("/api/v1/pages", json={"title": "New", "body": tagged("<x>")}, headers=writer)
    assert response.status_code == 422


def test_list_tags_pages_through_every_tag_with_its_count(client, make_page, writer):
    make_page("One", tagged("a, b, c"))
    make_page("Two", tagged("b, d, e"))
    seen, cursor = [], None
    while True:
        response = client.get("/api/v1/tags", query_string={"limit": 2, **({"cursor": cursor} if cursor else {})},
                              headers=writer)
        assert response.status_code == 200, response.json
        seen += [(item["tag"], item["pages"]) for item in response.json["items"]]
        cursor = response.json["next_cursor"]
        if cursor is None:
            break
    assert seen == [("a", 1), ("b", 2), ("c", 1), ("d", 1), ("e", 1)]


def test_a_tags_pages_are_cursor_paginated(client, make_page, writer):
    for name in ("c", "a", "b"):
        make_page(name, tagged("Shared"))
    make_page("other", tagged("different"))
    seen, cursor = [], None
    while True:
        response = client.get("/api/v1/tags/SHARED", query_string={"limit": 2, **({"cursor": cursor} if cursor else {})},
                              headers=writer)
        assert response.status_code == 200, response.json
        assert response.json["tag"] == "shared" and response.json["pages"] == 3
        seen += [item["title"] for item in response.json["items"]]
        cursor = response.json["next_cursor"]
        if cursor is None:
            break
    assert seen == ["a", "b", "c"]


@pytest.mark.parametrize("tag, says", [("nosuchtag", "No page has the tag"), ("%3Cx%3E", "No page can have this tag")])
def test_an_unknown_or_impossible_tag_is_a_404_problem(client, make_page, writer, tag, says):
    make_page("Page", tagged("redis"))
    response = client.get(f"/api/v1/tags/{tag}", headers=writer)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert says in response.json["detail"]


def test_a_forged_tag_cursor_is_a_422(client, writer):
    assert client.get("/api/v1/tags?cursor=bm9wZQ", headers=writer).status_code == 422


def test_the_spec_declares_the_tag_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "get" in paths["/api/v1/tags"] and "get" in paths["/api/v1/tags/{tag}"]
