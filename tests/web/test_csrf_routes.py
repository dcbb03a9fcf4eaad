"""Every POST route refuses a request without a valid CSRF token: enumerated from the
route map, so a new POST route is covered the day it is added."""
import re

import pytest

from tests.conftest import PASSWORD

SAMPLE = {"title": "Some_page", "number": "1", "name": "alice", "user_id": "1", "invitation_id": "1", "job_id": "1",
          "digest": "0" * 16, "token": "not-a-token", "watch_id": "1", "notification_id": "1", "token_id": "1", "webhook_id": "1", "thread_id": "1", "comment_id": "1",
          "tag": "redis"}


def post_routes(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods:
            yield rule


def concrete(rule) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLE[m.group(1)], rule.rule)


def test_there_are_post_routes_to_check(app):
    assert len(list(post_routes(app))) >= 8


@pytest.mark.parametrize("logged_in", [False, True])
def test_every_post_route_refuses_a_missing_or_forged_token(app, client, make_user, make_page, login, logged_in):
    user = make_user("alice", role="admin")
    make_page("Some page", "text", user)
    if logged_in:
        login(user)
    for rule in post_routes(app):
        url = concrete(rule)
        if url.startswith("/api/"):
            # The JSON API: a cookie session needs the token (X-CSRFToken); without a session
            # there is nothing to forge (bearer tokens are never sent by a browser on its own).
            for headers in ({}, {"X-CSRFToken": "forged"}):
                response = client.post(url, json={"title": "Elsewhere", "body": "x"}, headers=headers)
                assert response.status_code == (400 if logged_in else 401), (url, headers, response.status_code)
                assert response.content_type == "application/problem+json"
                if logged_in:
                    assert "CSRF security token" in response.json["detail"]
            continue
        for data in ({}, {"csrf_token": "forged"}):
            response = client.post(url, data={**data, "body": "x", "base_revision": "1", "username": "alice",
                                              "password": PASSWORD, "password_confirm": PASSWORD,
                                              "new_title": "Elsewhere"})
            assert response.status_code == 400, (url, data, response.status_code)
            assert "security token" in response.get_data(as_text=True)
    # Nothing changed: the page is still there, unrenamed, with one revision.
    assert client.get("/wiki/Some_page/-/raw").data == b"text"
