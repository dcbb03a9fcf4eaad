"""Registering, logging in and out."""
import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, csrf_token, post_form
from wiki.extensions import db
from wiki.models import User


def user_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def register(client, username, password=PASSWORD, confirm=None, next_=""):
    return post_form(client, "/-/register", {
        "username": username, "password": password,
        "password_confirm": password if confirm is None else confirm, "next": next_})


def test_register_logs_the_new_user_in(app, client):
    response = register(client, "carol")
    assert response.status_code == 303
    html = client.get("/wiki/Home").get_data(as_text=True)
    assert "Welcome, carol!" in html
    assert '<span class="whoami">carol</span>' in html
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.role == "editor"
        assert user.password_hash.startswith("scrypt:")  # a slow hash, never the password
        assert PASSWORD not in user.password_hash


@pytest.mark.parametrize("username, password, confirm, message", [
    ("Carol", PASSWORD, None, "is taken"),
    ("x", PASSWORD, None, "2 to 32 characters"),
    ("bad name!", PASSWORD, None, "2 to 32 characters"),
    ("dave", "short", None, "at least 10 characters"),
    ("dave123456", "Dave123456", None, "must not be the username"),
    ("dave", PASSWORD, "something else", "The two passwords differ"),
    ("", PASSWORD, None, "Choose a username"),
])
def test_register_refuses_bad_input_clearly(app, client, make_user, username, password, confirm, message):
    make_user("carol")
    response = register(client, username, password, confirm)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert user_count(app) == 1


def test_login_and_logout(client, make_user):
    make_user("alice")
    response = post_form(client, "/-/login", {"username": "ALICE", "password": PASSWORD})
    assert response.status_code == 303
    assert "alice" in client.get("/wiki/Home").get_data(as_text=True)
    assert post_form(client, "/-/logout", {}, form_url="/wiki/Home").status_code == 303
    html = client.get("/wiki/Home").get_data(as_text=True)
    assert "You are logged out." in html
    assert "Log in" in html


def test_logout_needs_a_csrf_token(client, make_user, login):
    login(make_user("alice"))
    assert client.post("/-/logout").status_code == 400
    assert '<span class="whoami">alice</span>' in client.get("/wiki/Home").get_data(as_text=True)


@pytest.mark.parametrize("username, password", [("alice", "wrong password"), ("nobody", PASSWORD)])
def test_wrong_credentials_give_one_message(client, make_user, username, password):
    make_user("alice")
    response = post_form(client, "/-/login", {"username": username, "password": password})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Wrong username or password." in html
    assert "Log in" in html and "whoami" not in html


def test_deactivated_user_cannot_log_in(app, client, make_user):
    make_user("alice")
    with app.app_context():
        db.session.scalar(select(User)).active = False
        db.session.commit()
    response = post_form(client, "/-/login", {"username": "alice", "password": PASSWORD})
    assert "Wrong username or password." in response.get_data(as_text=True)


def test_empty_login_form_says_what_is_missing(client):
    response = post_form(client, "/-/login", {"username": "", "password": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter your username." in html and "Enter your password." in html


def test_login_without_csrf_is_400(client, make_user):
    make_user("alice")
    assert client.post("/-/login", data={"username": "alice", "password": PASSWORD}).status_code == 400


@pytest.mark.parametrize("next_, expected", [
    ("/wiki/Somewhere/-/edit", "/wiki/Somewhere/-/edit"),
    ("//evil.example", "/"),
    ("/\\evil.example", "/"),
    ("https://evil.example/", "/"),
    ("https:evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("/%0D%0Aevil", "/%0D%0Aevil"),
    ("/\t/evil.example", "/"),
    ("%2F%2Fevil.example", "/"),
    ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),  # a local path: browsers keep %2F as is
    ("\\\\evil.example", "/"),
    (" //evil.example", "/"),
    ("http://localhost@evil.example", "/"),
    ("JAVASCRIPT:alert(1)", "/"),
    ("data:text/html,<script>alert(1)</script>", "/"),
])
def test_login_redirects_only_to_local_paths(client, make_user, next_, expected):
    make_user("alice")
    response = post_form(client, "/-/login", {"username": "alice", "password": PASSWORD, "next": next_})
    assert response.status_code == 303
    assert response.headers["Location"] == expected


def test_login_form_carries_next_from_the_query(client):
    html = client.get("/-/login?next=/wiki/X/-/edit").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/wiki/X/-/edit"' in html
