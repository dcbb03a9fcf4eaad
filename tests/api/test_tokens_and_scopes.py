"""Personal access tokens: made on the account page (shown once, stored hashed), used as
bearer tokens within their scope, expired, revoked; the CLI; sessions and CSRF on the API;
a scope test for every API route; rate limits per token; CORS."""
import re
from datetime import timedelta

import pytest

from tests.conftest import csrf_token, post_form
from wiki import create_app
from wiki.extensions import db
from wiki.models import ApiToken, Page, utcnow
from wiki.services import apitokens as token_service

# Every API route, with what a request to it needs, and the level it must have.
ROUTES = {
    ("GET", "/api/v1/pages"): "read",
    ("POST", "/api/v1/pages"): "edit",
    ("GET", "/api/v1/pages/Some_page"): "read",
    ("PUT", "/api/v1/pages/Some_page"): "edit_page",
    ("PUT", "/api/v1/pages/Locked_page"): "edit_page, protected",
    ("GET", "/api/v1/pages/Some_page/-/history"): "read",
    ("GET", "/api/v1/pages/Some_page/-/revisions/1"): "read",
    ("GET", "/api/v1/pages/Some_page/-/diff"): "read",
    ("GET", "/api/v1/pages/Some_page/-/backlinks"): "read",
    ("GET", "/api/v1/search?q=text"): "read",
    ("GET", "/api/v1/changes"): "read",
    ("GET", "/api/v1/session"): "public",
    ("GET", "/api/v1/openapi.json"): "public",
    ("GET", "/api/v1/paths"): "read",  # issue 20
    ("GET", "/api/v1/paths/Path_page"): "read",
    ("PUT", "/api/v1/paths/Path_page/-/progress"): "account",
    ("GET", "/api/v1/tags"): "read",
    ("GET", "/api/v1/tags/python"): "read",
    ("GET", "/api/v1/links/broken"): "read",
    ("GET", "/api/v1/review"): "read",
    ("POST", "/api/v1/pages/Some_page/-/verify"): "edit",
}
BODIES = {"POST": {"title": "Brand new", "body": "made"}, "PUT": {"body": "changed", "base_revision": 1},
          "/api/v1/paths/Path_page/-/progress": {"page": "Some page"}, "/api/v1/pages/Some_page/-/verify": {}}


@pytest.fixture
def app_config():
    return {"ANONYMOUS_ACCESS": "none"}


@pytest.fixture
def world(app, make_user, make_page, make_token):
    users = {role: make_user(f"{role}_user", role=role) for role in ("reader", "editor", "admin")}
    make_page("Some page", "text\n", users["admin"])
    make_page("Locked page", "text\n", users["admin"])
    make_page("Path page", "```path\n- [[Some page]]\n```\n", users["admin"])
    with app.app_context():
        db.session.execute(db.update(Page).where(Page.title == "Locked page").values(protection="admin"))
        db.session.commit()
    return {(role, scope): make_token(user, scope) for role, user in users.items() for scope in ("read", "write")}


def expected(level: str, role: str, scope: str) -> bool:
    if level in ("public", "read"):
        return True
    if scope == "read":
        return False
    if level == "edit_page, protected":
        return role == "admin"
    if level == "account":  # issue 20: the caller's own progress, any role with a write token
        return True
    return role in ("editor", "admin")


def test_the_scope_table_names_every_api_route(app):
    documented = {re.sub(r"<[^>]+>", "X", rule.rule) for rule in app.url_map.iter_rules()
                  if rule.rule.startswith("/api/v1/")}
    tested = {re.sub(r"\?.*", "", re.sub(r"/(pages|paths)/(Some|Locked|Path)_page", r"/\1/X", path))
              for _method, path in ROUTES}
    tested = {re.sub(r"/revisions/1", "/revisions/X", re.sub(r"/tags/python$", "/tags/X", path)) for path in tested}
    assert documented == tested


@pytest.mark.parametrize("role", ["reader", "editor", "admin"])
@pytest.mark.parametrize("scope", ["read", "write"])
def test_every_api_route_honours_the_token_scope_and_the_role(app, world, role, scope):
    client = app.test_client()
    wrong = []
    for (method, url), level in ROUTES.items():
        response = client.open(url, method=method, json=BODIES.get(url, BODIES.get(method)),
                               headers={"Authorization": f"Bearer {world[(role, scope)]}"})
        allowed = response.status_code not in (401, 403)
        if allowed != expected(level, role, scope):
            wrong.append(f"{method} {url} as {role}/{scope}: {response.status_code}")
        if not allowed:
            assert response.status_code == 403 and response.content_type == "application/problem+json"
            if scope == "read" and role != "reader":
                assert "read scope" in response.json["detail"]
        assert response.status_code < 500, (method, url, response.get_data(as_text=True))
    assert wrong == []


def test_without_a_token_a_closed_wiki_answers_401_problems(app, world):
    client = app.test_client()
    for (method, url), level in ROUTES.items():
        response = client.open(url, method=method, json=BODIES.get(url, BODIES.get(method)))
        if level == "public":
            assert response.status_code == 200
            continue
        assert response.status_code == 401, (method, url)
        assert response.content_type == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_is_made_on_the_account_page_shown_once_and_stored_hashed(app, client, editor):
    response = post_form(client, "/-/account/tokens", {"name": "my editor", "scope": "write", "days": "30"},
                         form_url="/-/account")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    secret = re.search(r'<code class="token-secret">(nexus_[\w-]+)</code>', html).group(1)
    assert "shown only this once" in html
    with app.app_context():
        row = db.session.scalar(db.select(ApiToken))
        assert row.token_hash == token_service.hash_token(secret) and secret not in (row.hint, row.token_hash)
        assert row.expires_at - utcnow() > timedelta(days=29)
    page = client.get("/-/account").get_data(as_text=True)
    assert "my editor" in page and secret not in page and secret[:10] in page  # its start, to recognise it
    api = app.test_client()
    assert api.get("/api/v1/session", headers={"Authorization": f"Bearer {secret}"}).json["user"] == "alice"
    listed = re.search(r'my editor</strong>.*?class="token-last-used">([^<]*)<', client.get("/-/account").get_data(
        as_text=True), re.S).group(1)
    assert listed.endswith("UTC")  # last used: just now (it said "never" before)


def test_a_token_form_without_a_name_is_refused_and_makes_nothing(app, client, editor):
    response = post_form(client, "/-/account/tokens", {"name": "", "scope": "write", "days": "30"},
                         form_url="/-/account")
    assert response.status_code == 400
    assert "Give the token a name." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ApiToken)) == 0


def test_revoking_a_token_stops_it_at_once(app, client, editor, make_token):
    secret = make_token(editor, "write")
    api = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/session", headers=headers).status_code == 200
    with app.app_context():
        token_id = db.session.scalar(db.select(ApiToken.id))
    response = post_form(client, f"/-/account/tokens/{token_id}/revoke", {}, form_url="/-/account")
    assert response.status_code == 303
    assert "revoked" in client.get("/-/account").get_data(as_text=True)
    refused = api.get("/api/v1/pages", headers=headers)
    assert refused.status_code == 401 and "revoked" in refused.json["detail"]


def test_one_cannot_revoke_someone_elses_token(app, client, editor, make_user, make_token):
    other = make_user("bob")
    secret = make_token(other, "write")
    with app.app_context():
        token_id = db.session.scalar(db.select(ApiToken.id))
    post_form(client, f"/-/account/tokens/{token_id}/revoke", {}, form_url="/-/account")
    assert "You have no such token." in client.get("/-/account").get_data(as_text=True)
    assert app.test_client().get("/api/v1/session", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_an_expired_token_is_refused(app, make_user, make_token):
    user = make_user("alice")
    secret = make_token(user, "read", days=1)
    with app.app_context():
        db.session.execute(db.update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    response = app.test_client().get("/api/v1/pages", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401 and "expired" in response.json["detail"]


def test_a_token_of_a_deactivated_account_is_refused(app, make_user, make_token):
    user = make_user("alice")
    secret = make_token(user, "write")
    with app.app_context():
        from wiki.models import User
        db.session.get(User, user.id).active = False
        db.session.commit()
    response = app.test_client().get("/api/v1/pages", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401


@pytest.mark.parametrize("header", ["Bearer", "Basic abc", "Bearer nexus_unknown", "Bearer " + "x" * 300])
def test_malformed_or_unknown_tokens_are_401_never_anonymous(app, header):
    response = app.test_client().get("/api/v1/session", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"


def test_the_cli_prints_a_working_token_on_its_last_line(app, runner, make_user):
    make_user("alice", role="editor")
    result = runner.invoke(args=["create-token", "alice", "--scope", "read", "--expires", "7"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    session = app.test_client().get("/api/v1/session", headers={"Authorization": f"Bearer {secret}"}).json
    assert session == {"user": "alice", "role": "reader", "scope": "read", "csrf_token": None}
    with app.app_context():
        row = db.session.scalar(db.select(ApiToken))
        assert timedelta(days=6) < row.expires_at - utcnow() <= timedelta(days=7)


def test_the_cli_refuses_an_unknown_user_and_a_bad_scope(runner, make_user):
    assert "no user called" in runner.invoke(args=["create-token", "nobody", "--scope", "read"]).output
    make_user("alice")
    assert runner.invoke(args=["create-token", "alice", "--scope", "admin"]).exit_code != 0


def test_a_session_cookie_works_and_writes_need_the_csrf_header(app, client, editor):
    assert client.get("/api/v1/pages").status_code == 200
    session = client.get("/api/v1/session").json
    assert session["user"] == "alice" and session["csrf_token"]
    refused = client.post("/api/v1/pages", json={"title": "By JS", "body": "x"})
    assert refused.status_code == 400 and "CSRF" in refused.json["detail"]
    made = client.post("/api/v1/pages", json={"title": "By JS", "body": "x"},
                       headers={"X-CSRFToken": session["csrf_token"]})
    assert made.status_code == 201
    stale = client.put("/api/v1/pages/By_JS", json={"body": "y", "base_revision": 1})
    assert stale.status_code == 400
    assert client.get("/api/v1/pages/By_JS").json["source"] == "x"


def test_rate_limits_count_per_token(app, make_user, make_token):
    app.extensions["nexus_limits"]["API_REQUESTS"] = __import__("limits").parse_many("3 per minute")
    user = make_user("alice")
    first, second = make_token(user, "read"), make_token(user, "read")
    client = app.test_client()
    statuses = [client.get("/api/v1/pages", headers={"Authorization": f"Bearer {first}"}).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/pages", headers={"Authorization": f"Bearer {first}"})
    assert limited.content_type == "application/problem+json" and int(limited.headers["Retry-After"]) >= 1
    assert client.get("/api/v1/pages", headers={"Authorization": f"Bearer {second}"}).status_code == 200


# --- CORS ---

def _cors_app(database_urls, origins):
    from tests.conftest import _base_config
    return create_app({**_base_config(database_urls["sqlite"]), "CORS_ORIGINS": origins})


def test_a_preflight_from_a_configured_origin_is_allowed_without_credentials(database_urls):
    client = _cors_app(database_urls, ["https://app.example.org"]).test_client()
    response = client.options("/api/v1/pages", headers={
        "Origin": "https://app.example.org", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "Authorization, Content-Type, If-Match"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.org"
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    assert "authorization" in response.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in response.headers
    simple = client.get("/api/v1/openapi.json", headers={"Origin": "https://app.example.org"})
    assert simple.headers["Access-Control-Allow-Origin"] == "https://app.example.org"
    assert "ETag" in simple.headers["Access-Control-Expose-Headers"]


def test_other_origins_and_other_paths_get_no_cors_headers(database_urls):
    client = _cors_app(database_urls, ["https://app.example.org"]).test_client()
    preflight = client.options("/api/v1/pages", headers={"Origin": "https://evil.example",
                                                         "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    page = client.get("/wiki/Home", headers={"Origin": "https://app.example.org"})
    assert "Access-Control-Allow-Origin" not in page.headers


def test_without_configured_origins_there_is_no_cors(database_urls):
    client = _cors_app(database_urls, []).test_client()
    response = client.options("/api/v1/pages", headers={"Origin": "https://app.example.org",
                                                        "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_a_wildcard_origin_is_refused_at_start_up(database_urls):
    with pytest.raises(RuntimeError, match="may not contain"):
        _cors_app(database_urls, ["*"])
