"""The pages endpoints: list (cursor, prefix), get, create, update with the editor's merge
rules (base_revision and If-Match), and the read endpoints around them."""
import pytest

from wiki.extensions import db
from wiki.models import Page


@pytest.fixture
def writer(make_user, make_token, bearer):
    user = make_user("alice", role="editor")
    return bearer(make_token(user, "write"))


def test_list_pages_pages_through_every_title_with_a_cursor(client, make_page, writer):
    for n in range(7):
        make_page(f"Notes/{n}", f"text {n}")
    make_page("Other", "x")
    seen, cursor = [], None
    while True:
        response = client.get("/api/v1/pages", query_string={"prefix": "notes/", "limit": 3,
                                                              **({"cursor": cursor} if cursor else {})},
                              headers=writer)
        assert response.status_code == 200, response.json
        data = response.json
        seen += [item["title"] for item in data["items"]]
        cursor = data["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Notes/{n}" for n in range(7)]


def test_a_forged_cursor_is_a_422_problem(client, writer):
    response = client.get("/api/v1/pages?cursor=bm9wZQ", headers=writer)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert response.json["errors"][0]["field"] == "cursor"


def test_get_a_page_gives_source_html_revision_and_etag(client, make_page, writer):
    make_page("Home", "# Hello\n\nSee [[Other]].")
    response = client.get("/api/v1/pages/home", headers=writer)
    data = response.json
    assert response.status_code == 200
    assert data["title"] == "Home" and data["revision"] == 1
    assert data["source"].startswith("# Hello")
    assert data["display_title"] == "Hello"  # the opening heading is the title, not part of the HTML
    assert "<h1" not in data["html"] and "Other" in data["html"]
    assert response.headers["ETag"] == data["etag"]


def test_a_missing_page_is_a_404_problem(client, writer):
    response = client.get("/api/v1/pages/Nowhere", headers=writer)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 404 and "Nowhere" in response.json["detail"]


def test_create_then_update_then_history(client, writer):
    created = client.post("/api/v1/pages", json={"title": "Plan", "body": "one\n", "summary": "start"}, headers=writer)
    assert created.status_code == 201, created.json
    assert created.headers["Location"] == "/api/v1/pages/Plan"
    updated = client.put("/api/v1/pages/Plan", json={"body": "one\ntwo\n", "base_revision": 1}, headers=writer)
    assert updated.status_code == 200, updated.json
    assert updated.json["revision"] == 2 and updated.json["saved"] is True and updated.json["merged_with"] is None
    history = client.get("/api/v1/pages/Plan/-/history", headers=writer).json
    assert [item["number"] for item in history["items"]] == [2, 1]
    assert history["items"][1]["summary"] == "start"


def test_creating_an_existing_page_is_a_409(client, make_page, writer):
    make_page("Plan", "x")
    response = client.post("/api/v1/pages", json={"title": "plan", "body": "y"}, headers=writer)
    assert response.status_code == 409
    assert "already exists" in response.json["detail"]


def test_a_title_no_page_may_have_is_a_422_naming_the_field(client, writer):
    response = client.post("/api/v1/pages", json={"title": "a#b", "body": "y"}, headers=writer)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "title"


def test_a_body_that_breaks_the_schema_is_a_400_naming_the_field(client, writer):
    response = client.post("/api/v1/pages", json={"title": "Plan", "body": 5, "colour": "red"}, headers=writer)
    assert response.status_code == 400
    fields = {error["field"] for error in response.json["errors"]}
    assert fields == {"body", "colour"}
    assert client.get("/api/v1/pages/Plan", headers=writer).status_code == 404


def test_a_body_that_is_not_json_is_a_415(client, writer):
    response = client.post("/api/v1/pages", data="title=Plan", headers=writer,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.content_type == "application/problem+json"


def test_a_stale_base_is_merged_like_the_web_form(client, make_page, writer):
    make_page("Plan", "alpha\nbeta\ngamma\n")
    client.put("/api/v1/pages/Plan", json={"body": "ALPHA\nbeta\ngamma\n", "base_revision": 1}, headers=writer)
    response = client.put("/api/v1/pages/Plan", json={"body": "alpha\nbeta\nGAMMA\n", "base_revision": 1},
                          headers=writer)
    assert response.status_code == 200
    assert response.json["source"] == "ALPHA\nbeta\nGAMMA\n"
    assert response.json["merged_with"] == 2 and response.json["revision"] == 3


def test_overlapping_changes_answer_409_with_the_parts_and_save_nothing(app, client, make_page, writer):
    make_page("Plan", "alpha\nbeta\ngamma\n")
    client.put("/api/v1/pages/Plan", json={"body": "alpha\nTHEIRS\ngamma\n", "base_revision": 1}, headers=writer)
    response = client.put("/api/v1/pages/Plan", json={"body": "alpha\nMINE\ngamma\n", "base_revision": 1},
                          headers=writer)
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"
    problem = response.json
    assert problem["type"].endswith("/edit-conflict")
    assert problem["current_revision"] == 2 and problem["base_revision"] == 1
    assert problem["yours"] == "alpha\nMINE\ngamma\n"
    assert problem["conflicts"] == [{"base": ["beta"], "theirs": ["THEIRS"], "yours": ["MINE"], "start_line": 2}]
    assert "<<<<<<< yours" in problem["text_with_markers"]
    with app.app_context():
        page = db.session.scalar(db.select(Page).where(Page.title == "Plan"))
        assert page.current_revision.number == 2


def test_if_match_names_the_base_revision(client, make_page, writer):
    make_page("Plan", "alpha\nbeta\n")
    first = client.get("/api/v1/pages/Plan", headers=writer).headers["ETag"]
    client.put("/api/v1/pages/Plan", json={"body": "ALPHA\nbeta\n"}, headers={**writer, "If-Match": first})
    response = client.put("/api/v1/pages/Plan", json={"body": "alpha\nBETA\n"}, headers={**writer, "If-Match": first})
    assert response.status_code == 200 and response.json["source"] == "ALPHA\nBETA\n"
    assert response.headers["ETag"] == response.json["etag"]


def test_if_match_of_no_revision_of_this_page_is_412_and_no_base_is_428(client, make_page, writer):
    make_page("Plan", "alpha\n")
    response = client.put("/api/v1/pages/Plan", json={"body": "x"}, headers={**writer, "If-Match": '"999.1"'})
    assert response.status_code == 412
    response = client.put("/api/v1/pages/Plan", json={"body": "x"}, headers=writer)
    assert response.status_code == 428
    assert client.get("/api/v1/pages/Plan", headers=writer).json["source"] == "alpha\n"


def test_revision_diff_backlinks(client, make_page, writer):
    make_page("Target", "one\n")
    make_page("Target", "one\ntwo\n")
    make_page("Linker", "See [[Target]] and [[Target#Part]].")
    revision = client.get("/api/v1/pages/Target/-/revisions/1", headers=writer).json
    assert revision["source"] == "one\n" and revision["current"] is False
    diff = client.get("/api/v1/pages/Target/-/diff?from=1&to=2", headers=writer).json
    assert diff["added"] == 1 and diff["from"] == 1
    assert [line["text"] for line in diff["hunks"][0]["lines"] if line["kind"] == "insert"] == ["two"]
    links = client.get("/api/v1/pages/Target/-/backlinks", headers=writer).json
    assert links["items"] == [{"title": "Linker", "whole_page": True, "sections": ["Part"]}]
    assert client.get("/api/v1/pages/Target/-/revisions/9", headers=writer).status_code == 404


def test_search_and_recent_changes(client, make_page, make_user, writer):
    make_page("Caching", "How caches work")
    make_page("Other", "nothing here")
    hits = client.get("/api/v1/search?q=cache", headers=writer).json
    assert [hit["title"] for hit in hits["items"]] == ["Caching"]
    assert "<mark>" in hits["items"][0]["snippet"]
    changes = client.get("/api/v1/changes?limit=1", headers=writer).json
    assert [item["title"] for item in changes["items"]] == ["Other"]
    following = client.get(f"/api/v1/changes?limit=1&cursor={changes['next_cursor']}", headers=writer).json
    assert [item["title"] for item in following["items"]] == ["Caching"]
    assert client.get("/api/v1/changes?user=nobody", headers=writer).status_code == 404


def test_errors_before_the_view_are_problems(client, writer):
    for method, url, status in (("get", "/api/v1/nothing", 404), ("delete", "/api/v1/pages/Plan", 405)):
        response = getattr(client, method)(url, headers=writer)
        assert response.status_code == status
        assert response.content_type == "application/problem+json"
        assert response.json["status"] == status
    assert "PUT" in client.delete("/api/v1/pages/Plan", headers=writer).headers["Allow"]


def test_a_request_over_max_content_length_is_a_413_problem(app, client, writer):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/api/v1/pages", json={"title": "Big", "body": "x" * 2000}, headers=writer)
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"


def test_a_page_over_max_page_bytes_is_a_413_problem(app, client, writer):
    app.config["MAX_PAGE_BYTES"] = 100
    response = client.post("/api/v1/pages", json={"title": "Big", "body": "x" * 200}, headers=writer)
    assert response.status_code == 413
    assert response.json["errors"][0]["field"] == "body"


def test_the_spec_is_openapi_3_1_and_names_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"] == "3.1.0"
    served = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")
              and rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi"}
    import re
    documented = {re.sub(r"\{(\w+)\}", r"<\1>", path) for path in spec["paths"]}
    normalised = {re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule) for rule in served}
    assert documented == normalised


def test_a_database_outage_is_a_503_problem_with_retry_after(app, client, make_page, writer):
    from tests.web.test_outages import Faults

    make_page("Plan", "x")
    faults = Faults(app)
    try:
        faults.cut()
        for method, url, body in (("get", "/api/v1/pages/Plan", None),
                                  ("put", "/api/v1/pages/Plan", {"body": "y", "base_revision": 1})):
            response = getattr(client, method)(url, json=body, headers=writer)
            assert response.status_code == 503, response.get_data(as_text=True)
            assert response.content_type == "application/problem+json"
            assert response.json["status"] == 503 and response.headers["Retry-After"]
    finally:
        faults.restore()
        faults.close()


def test_a_title_no_page_can_have_in_the_path_is_a_404_problem(client, writer):
    response = client.get("/api/v1/pages/a%23b", headers=writer)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert "No page can have this title" in response.json["detail"]


def test_a_put_on_a_read_only_action_is_a_405_not_an_update(client, make_page, writer):
    make_page("Plan", "x")
    response = client.put("/api/v1/pages/Plan/-/history", json={"body": "y", "base_revision": 1}, headers=writer)
    assert response.status_code == 405
    assert client.get("/api/v1/pages/Plan", headers=writer).json["source"] == "x"
