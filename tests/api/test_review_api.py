"""Review dates in the JSON API (issue 20): the due list with its filters, "Mark verified" with a
write token (and refused with a read token or a reader's), and the page's review info."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from wiki.extensions import db
from wiki.models import PageEvent, PageReview

BODY = "---\nowner: alice\nreview: 10 days\n---\nText.\n\n## Setup\n<!-- review: 5 days -->\n\nSteps.\n"


@pytest.fixture
def due(app, make_user, make_page):
    alice = make_user("alice", role="editor")
    make_page("Ops/Deploy", BODY, author=alice)
    make_page("Fresh", "---\nreview: 90 days\n---\nNew.\n", author=alice)
    with app.app_context():
        for row in db.session.scalars(select(PageReview)):
            if row.interval_days == 10:
                row.due_at -= timedelta(days=12)
                row.first_due_at -= timedelta(days=12)
        db.session.commit()
    return alice


def test_the_due_list_and_its_filters(client, due, make_token, bearer):
    headers = bearer(make_token(due, "read"))
    data = client.get("/api/v1/review", headers=headers).json
    assert [(i["title"], i["section"], i["overdue_days"]) for i in data["items"]] == [("Ops/Deploy", None, 2)]
    assert data["items"][0]["owner"] == "alice" and data["next_cursor"] is None
    assert client.get("/api/v1/review?prefix=fresh", headers=headers).json["items"] == []
    assert client.get("/api/v1/review?owner=alice", headers=headers).json["items"]
    unknown = client.get("/api/v1/review?owner=nobody", headers=headers)
    assert unknown.status_code == 422 and "nobody" in unknown.json["detail"]
    assert client.get("/api/v1/review?limit=0", headers=headers).status_code == 400


def test_verify_with_a_write_token_resets_the_clock(app, client, due, make_token, bearer):
    response = client.post("/api/v1/pages/Ops/Deploy/-/verify", json={}, headers=bearer(make_token(due, "write")))
    assert response.status_code == 200, response.json
    assert response.json["due"] is False and response.json["verified_by"] == "alice"
    page = client.get("/api/v1/pages/Ops/Deploy", headers=bearer(make_token(due, "read"))).json
    assert page["review"]["interval_days"] == 10 and page["review"]["overdue_days"] == -1
    assert page["revision"] == 1  # an event, not a revision
    with app.app_context():
        assert db.session.scalar(select(PageEvent.kind)) == "verify"


def test_verify_refusals(client, due, make_user, make_token, bearer):
    read = client.post("/api/v1/pages/Ops/Deploy/-/verify", json={}, headers=bearer(make_token(due, "read")))
    assert read.status_code == 403
    reader = make_user("bob", role="reader")
    assert client.post("/api/v1/pages/Ops/Deploy/-/verify", json={},
                       headers=bearer(make_token(reader, "write"))).status_code == 403
    write = bearer(make_token(due, "write"))
    assert client.post("/api/v1/pages/Nowhere/-/verify", json={}, headers=write).status_code == 404
    assert client.post("/api/v1/pages/Ops/Deploy/-/verify", json={"section": "nope"}, headers=write).status_code == 404
    assert client.post("/api/v1/pages/Ops/Deploy/-/verify", json={"section": 3}, headers=write).status_code == 400
    section = client.post("/api/v1/pages/Ops/Deploy/-/verify", json={"section": "setup"}, headers=write)
    assert section.status_code == 200 and section.json["due_sections"] == []


def test_a_page_without_review_dates_says_so(client, make_page, make_user, make_token, bearer):
    make_page("Plain", "Text.")
    headers = bearer(make_token(make_user("alice"), "read"))
    assert client.get("/api/v1/pages/Plain", headers=headers).json["review"] is None
    refused = client.post("/api/v1/pages/Plain/-/verify", json={}, headers=bearer(make_token(make_user("carol"))))
    assert refused.status_code == 422 and "no review date" in refused.json["detail"]
