"""Error pages: clear messages, no stack traces, headers on every response."""
import pytest

from tests.conftest import PASSWORD
from wiki.web import access


@pytest.fixture
def app_config():
    return {"PROPAGATE_EXCEPTIONS": False}


def test_a_crash_shows_a_plain_500_page_without_a_traceback(app, client, monkeypatch):
    monkeypatch.setitem(access.RULES, "boom", "public")  # every route needs an access rule

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    response = client.get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html
    assert "Traceback" not in html and "hunter2" not in html and "RuntimeError" not in html


def test_wrong_method_is_405_page(client):
    response = client.post("/wiki/Home")
    assert response.status_code in (400, 405)  # CSRF check may answer first
    assert "Traceback" not in response.get_data(as_text=True)
    assert client.delete("/wiki/Home").status_code == 405


def test_unknown_url_is_404_page(client):
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)


def test_security_headers_on_every_response(client):
    for url in ("/wiki/Home", "/-/login", "/static/css/nexus.css", "/nothing"):
        with client.get(url) as response:
            headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    make_user("alice")
    from tests.conftest import post_form

    response = post_form(client, "/-/login", {"username": "alice", "password": PASSWORD})
    cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_secure_when_configured(app, client):
    app.config["SESSION_COOKIE_SECURE"] = True
    response = client.get("/-/login", base_url="https://localhost")  # the form's token starts a session
    cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")][0]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_a_405_names_the_methods_the_url_allows(client):
    response = client.delete("/wiki/Home")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    assert response.mimetype == "text/html" and "Method not allowed" in response.get_data(as_text=True)
    response = client.put("/-/login")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS", "POST"}


def test_a_405_in_json_names_the_methods_too(client):
    response = client.delete("/wiki/Home", headers={"Accept": "application/json"})
    assert response.status_code == 405 and response.json["code"] == 405
    assert "GET" in response.headers["Allow"]
