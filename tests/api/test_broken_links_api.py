"""GET /api/v1/links/broken (issue 20): what /-/links/broken lists, by keyset cursor, with
the same filters, and its bad input as problems."""
import pytest



@pytest.fixture
def reader(app, make_user, make_token, bearer):
    return bearer(make_token(make_user("rita", role="reader"), scope="read"))


def test_every_broken_link_comes_page_by_page_with_the_editor_at_its_section(client, make_page, reader):
    make_page("Caching", "# Caching\n\n## Eviction\n\ntext\n")
    make_page("A", "[[Gone]]\n\n## Part\n\n[[Caching#Evictoin]]\n")
    make_page("B", "![x](missing.png)\n")
    seen, cursor = [], None
    while True:
        response = client.get("/api/v1/links/broken", headers=reader,
                              query_string={"limit": 1, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.json
        seen += response.json["items"]
        cursor = response.json["next_cursor"]
        if cursor is None:
            break
    assert [(i["page"], i["kind"], i["target"], i["section"], i["line"]) for i in seen] == [
        ("A", "page", "Gone", None, 1), ("A", "section", "Caching", "Evictoin", 5), ("B", "file", "B", "missing.png", 1)]
    assert seen[1]["suggestion"] == "Eviction"
    assert seen[1]["edit_url"] == "/wiki/A/-/edit?section=1" and seen[0]["edit_url"] == "/wiki/A/-/edit"
    only = client.get("/api/v1/links/broken?kind=file&prefix=b", headers=reader).json["items"]
    assert [i["section"] for i in only] == ["missing.png"]


@pytest.mark.parametrize("query, field, status", [
    ("kind=pages", "kind", 400), ("limit=0", "limit", 400), ("prefix=" + "x" * 300, "prefix", 400),
    ("cursor=bm9wZQ", "cursor", 422), ("cursor=WyJhIiwiYiJd", "cursor", 422),  # ["a","b"]: not (title, id)
])
def test_bad_filters_are_problems_naming_the_field(client, reader, query, field, status):
    response = client.get("/api/v1/links/broken?" + query, headers=reader)
    assert response.status_code == status
    assert response.json["errors"][0]["field"] == field
