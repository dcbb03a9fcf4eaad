"""The learning-path endpoints (issue 20): list, one path with the token user's progress, and
marking steps done or not done (write scope only)."""
import pytest


@pytest.fixture
def hub(make_page):
    make_page("REST", "Resources and verbs.\n")
    make_page("Docker", "Images and containers.\n\n## Compose\n\nMany containers.\n")
    make_page("Backend", "# Backend basics\n\n```path\n- [[REST]] — start here\n- [[Docker#Compose]]\n"
                         "- [[Missing]]\n```\n")


@pytest.fixture
def alice(make_user):
    return make_user("alice", role="reader")


def test_list_and_get_with_progress(client, hub, alice, make_token, bearer):
    writer = bearer(make_token(alice, "write"))
    listed = client.get("/api/v1/paths", headers=writer).json
    assert listed == {"items": [{"title": "Backend", "display_title": "Backend basics", "steps": 3, "done": 0}]}
    assert client.get("/api/v1/paths").json["items"][0]["done"] is None  # anonymous
    path = client.get("/api/v1/paths/Backend", headers=writer).json
    assert [(s["title"], s["section"], s["exists"], s["done"]) for s in path["steps"]] == [
        ("REST", "", True, False), ("Docker", "Compose", True, False), ("Missing", "", False, False)]
    assert path["steps"][0]["note"] == "start here" and path["steps"][0]["summary"] == "Resources and verbs."
    assert any("“Missing”, which does not exist yet" in p for p in path["problems"])

    done = client.put("/api/v1/paths/Backend/-/progress", json={"page": "Docker", "section": "Compose"},
                      headers=writer)
    assert done.status_code == 200, done.json
    assert done.json["done"] == 1 and done.json["steps"][1]["done"] is True
    assert client.get("/api/v1/paths", headers=writer).json["items"][0]["done"] == 1
    undone = client.put("/api/v1/paths/Backend/-/progress",
                        json={"page": "Docker", "section": "Compose", "done": False}, headers=writer)
    assert undone.json["done"] == 0


def test_bad_marks_are_refused(client, hub, alice, make_token, bearer):
    writer = bearer(make_token(alice, "write"))
    url = "/api/v1/paths/Backend/-/progress"
    not_step = client.put(url, json={"page": "Backend"}, headers=writer)
    assert not_step.status_code == 422 and "not a step of this path" in not_step.json["detail"]
    assert client.put(url, json={"page": "Missing"}, headers=writer).status_code == 422
    assert client.put(url, json={"page": "a|b"}, headers=writer).status_code == 422
    assert client.put(url, json={"page": "REST", "done": "yes"}, headers=writer).status_code == 400
    assert client.put("/api/v1/paths/REST/-/progress", json={"page": "REST"}, headers=writer).status_code == 404
    assert client.get("/api/v1/paths/Nowhere").status_code == 404
    reader = bearer(make_token(alice, "read", name="ro"))
    refused = client.put(url, json={"page": "REST"}, headers=reader)
    assert refused.status_code == 403 and "write scope" in refused.json["detail"]
    assert client.put(url, json={"page": "REST"}).status_code == 401
    assert client.get("/api/v1/paths/Backend", headers=writer).json["done"] == 0


def test_the_spec_declares_them(client):
    spec = client.get("/api/v1/openapi.json").json
    assert {"/api/v1/paths", "/api/v1/paths/{title}", "/api/v1/paths/{title}/-/progress"} <= set(spec["paths"])
