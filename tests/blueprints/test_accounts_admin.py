"""Issue 6 as users meet it: registration modes, invitations, roles, deactivation,
protection, the audit log, passwords and rate limits."""
from datetime import timedelta

import pytest
from werkzeug.security import generate_password_hash

from tests.conftest import PASSWORD, csrf_token, post_form
from wiki.extensions import db
from wiki.models import AuditEvent, Invitation, User, utcnow


def register(client, name, password=PASSWORD, invite=None):
    data = {"username": name, "password": password, "password_confirm": password}
    if invite:
        data["invite"] = invite
    return post_form(client, "/-/register", data, form_url="/-/login")  # a refused invite has no form


def user_row(app, name) -> User:
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == name))
        if user is not None:
            db.session.expunge(user)
        return user


def audit(app):
    with app.app_context():
        return [(e.actor.username if e.actor else None, e.action, e.target, e.detail)
                for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]


# --- registration modes ----------------------------------------------------------------

@pytest.fixture
def app_config(request):
    return getattr(request, "param", {})


@pytest.mark.parametrize("app_config", [{"NEW_ACCOUNT_ROLE": "reader"}], indirect=True)
def test_new_accounts_can_start_as_readers(app, client):
    response = register(client, "newbie")
    assert response.status_code == 303
    assert user_row(app, "newbie").role == "reader"
    html = client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "an administrator can let you edit" in html
    assert client.get("/wiki/Home/-/edit").status_code == 403
    assert "New page" not in client.get("/-/recent").get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"REGISTRATION": "closed"}], indirect=True)
def test_closed_registration_refuses_and_says_so(app, client):
    response = client.get("/-/register")
    assert response.status_code == 403
    assert "Registration is closed" in response.get_data(as_text=True)
    assert 'href="/-/register"' not in client.get("/-/login").get_data(as_text=True)
    token = csrf_token(client, "/-/login")
    response = client.post("/-/register", data={"csrf_token": token, "username": "sneaky",
                                                "password": PASSWORD, "password_confirm": PASSWORD})
    assert response.status_code == 403
    assert user_row(app, "sneaky") is None


@pytest.mark.parametrize("app_config", [{"REGISTRATION": "invite"}], indirect=True)
def test_invitations_are_single_use_and_expire(app, client, make_user, login):
    admin = make_user("boss", role="admin")
    assert "invitation only" in client.get("/-/register").get_data(as_text=True)
    login(admin)
    response = post_form(client, "/-/admin/invitations", {"role": "reader", "days": "3", "note": "Ada"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    link = html.split('id="invitation-link" type="text" readonly value="', 1)[1].split('"', 1)[0]
    token = link.split("invite=", 1)[1]
    post_form(client, "/-/logout", {}, form_url="/wiki/Home")

    assert "invited to join as a reader" in client.get(f"/-/register?invite={token}").get_data(as_text=True)
    assert register(client, "ada", invite=token).status_code == 303
    assert user_row(app, "ada").role == "reader"
    post_form(client, "/-/logout", {}, form_url="/wiki/Home")
    again = register(client, "eve", invite=token)
    assert again.status_code == 403 and "not valid" in again.get_data(as_text=True)
    assert user_row(app, "eve") is None

    with app.app_context():  # an old invitation
        db.session.add(Invitation(token_hash=__import__("hashlib").sha256(b"old").hexdigest(), role="editor",
                                  note="", expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert register(client, "late", invite="old").status_code == 403
    assert ("boss", "invite", "Ada", "role reader, 3 days") in audit(app)
    assert ("ada", "invitation used", "ada", "role reader") in audit(app)


def test_a_revoked_invitation_stops_working(app, client, make_user, login):
    app.config["REGISTRATION"] = "invite"
    login(make_user("boss", role="admin"))
    html = post_form(client, "/-/admin/invitations", {"role": "editor", "days": "7", "note": "Bob"}).get_data(as_text=True)
    token = html.split("invite=", 1)[1].split('"', 1)[0]
    with app.app_context():
        invitation_id = db.session.scalar(db.select(Invitation.id))
    response = post_form(client, f"/-/admin/invitations/{invitation_id}/revoke", {}, form_url="/-/admin/invitations")
    assert response.status_code == 303
    post_form(client, "/-/logout", {}, form_url="/wiki/Home")
    assert register(client, "bob", invite=token).status_code == 403


def test_bad_invitation_form_says_what_is_wrong(client, make_user, login):
    login(make_user("boss", role="admin"))
    response = post_form(client, "/-/admin/invitations", {"role": "emperor", "days": "900", "note": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Between 1 and 365 days" in html and "Not a valid choice" in html


# --- roles, deactivation, the last admin -----------------------------------------------

def test_admin_changes_roles_and_it_is_audited(app, client, make_user, login):
    admin = make_user("boss", role="admin")
    carol = make_user("carol", role="reader")
    login(admin)
    html = client.get("/-/admin/users").get_data(as_text=True)
    assert "carol" in html and "boss" in html
    response = post_form(client, f"/-/admin/users/{carol.id}/role", {"role": "editor"}, form_url="/-/admin/users")
    assert response.status_code == 303
    assert "carol is now an editor" in client.get("/-/admin/users").get_data(as_text=True)
    assert user_row(app, "carol").role == "editor"
    assert ("boss", "role", "carol", "reader → editor") in audit(app)
    log = client.get("/-/admin/audit").get_data(as_text=True)
    assert "reader → editor" in log and "boss" in log


def test_the_last_admin_cannot_demote_or_deactivate_themselves(app, client, make_user, login):
    admin = make_user("boss", role="admin")
    login(admin)
    response = post_form(client, f"/-/admin/users/{admin.id}/role", {"role": "reader"}, form_url="/-/admin/users")
    assert "only active administrator" in client.get(response.headers["Location"]).get_data(as_text=True)
    response = post_form(client, f"/-/admin/users/{admin.id}/active", {"active": "0"}, form_url="/-/admin/users")
    assert "cannot deactivate your own account" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert user_row(app, "boss").role == "admin" and user_row(app, "boss").active
    assert audit(app) == []


def test_bad_role_is_refused_clearly(client, make_user, login):
    login(make_user("boss", role="admin"))
    carol = make_user("carol")
    response = post_form(client, f"/-/admin/users/{carol.id}/role", {"role": "god"}, form_url="/-/admin/users")
    assert response.status_code == 400
    assert "Choose one of the roles" in response.get_data(as_text=True)
    assert client.get("/-/admin/users/99999/role").status_code == 405
    response = post_form(client, "/-/admin/users/99999/role", {"role": "reader"}, form_url="/-/admin/users")
    assert response.status_code == 404


def test_deactivation_ends_sessions_at_once_and_reactivation_allows_login(app, make_user, login, client):
    boss_client = app.test_client()
    admin = make_user("boss", role="admin")
    victim = make_user("victim")
    login(victim)
    assert client.get("/-/account").status_code == 200
    post_form(boss_client, "/-/login", {"username": "boss", "password": PASSWORD})
    post_form(boss_client, f"/-/admin/users/{victim.id}/active", {"active": "0"}, form_url="/-/admin/users")
    assert client.get("/-/account").status_code == 302  # logged out: to the login form
    response = post_form(client, "/-/login", {"username": "victim", "password": PASSWORD})
    assert response.status_code == 200 and "Wrong username or password" in response.get_data(as_text=True)
    post_form(boss_client, f"/-/admin/users/{victim.id}/active", {"active": "1"}, form_url="/-/admin/users")
    assert post_form(client, "/-/login", {"username": "victim", "password": PASSWORD}).status_code == 303
    actions = [(a, t) for _, a, t, _ in audit(app)]
    assert actions == [("deactivate", "victim"), ("activate", "victim")]
    assert admin.username == "boss"


# --- page protection -------------------------------------------------------------------

def test_protected_pages_are_for_admins_only(app, client, make_user, make_page, login):
    admin = make_user("boss", role="admin")
    editor = make_user("ed")
    make_page("Rules", "Be kind.\n", admin)
    login(admin)
    html = client.get("/wiki/Rules").get_data(as_text=True)
    assert "Protect this page" in html
    response = post_form(client, "/wiki/Rules/-/protect", {"protection": "admin"}, form_url="/wiki/Rules")
    assert response.status_code == 303
    html = client.get("/wiki/Rules").get_data(as_text=True)
    assert "This page is protected" in html and "Lift protection" in html
    assert ("boss", "protect", "Rules", "") in audit(app)

    post_form(client, "/-/logout", {}, form_url="/wiki/Home")
    login(editor)
    html = client.get("/wiki/Rules").get_data(as_text=True)
    assert "This page is protected" in html
    assert "/wiki/Rules/-/edit" not in html and "Protect this page" not in html
    assert 'class="can-edit"' not in html  # no section [edit] links either
    assert client.get("/wiki/Rules/-/edit").status_code == 403
    assert client.get("/wiki/Rules/-/rename").status_code == 403
    response = post_form(client, "/wiki/Rules/-/edit", {"body": "Be mean.", "base_revision": "1"},
                         form_url="/wiki/Home/-/edit")
    assert response.status_code == 403
    assert "Be mean." in response.get_data(as_text=True)  # the text comes back
    assert client.get("/wiki/Rules/-/raw").get_data(as_text=True) == "Be kind.\n"
    forged = post_form(client, "/wiki/Rules/-/protect", {"protection": "none"}, form_url="/wiki/Rules")
    assert forged.status_code == 403


def test_bad_protection_value_is_refused(client, make_user, make_page, login):
    admin = make_user("boss", role="admin")
    make_page("Rules", "x", admin)
    login(admin)
    response = post_form(client, "/wiki/Rules/-/protect", {"protection": "everything"}, form_url="/wiki/Rules")
    assert response.status_code == 400
    assert post_form(client, "/wiki/Nope/-/protect", {"protection": "admin"}, form_url="/wiki/Rules").status_code == 404


# --- anonymous access ------------------------------------------------------------------

@pytest.mark.parametrize("app_config", [{"ANONYMOUS_ACCESS": "none"}], indirect=True)
def test_a_private_wiki_sends_visitors_to_log_in(client, make_user, make_page, login):
    make_page("Secret", "the plan")
    response = client.get("/wiki/Secret")
    assert response.status_code == 302 and "/-/login?next=" in response.headers["Location"]
    assert "the plan" not in client.get("/-/search?q=plan", follow_redirects=True).get_data(as_text=True)
    assert client.get("/-/recent.atom").status_code == 302
    assert client.get("/healthz").status_code == 200
    login(make_user("reader", role="reader"))
    assert "the plan" in client.get("/wiki/Secret").get_data(as_text=True)


# --- passwords -------------------------------------------------------------------------

def test_changing_the_password_logs_out_other_sessions(app, client, make_user, login):
    make_user("alice")
    other = app.test_client()
    post_form(other, "/-/login", {"username": "alice", "password": PASSWORD})
    assert other.get("/-/account").status_code == 200
    login("alice")
    new = "a much better passphrase"
    response = post_form(client, "/-/account", {"current_password": PASSWORD, "password": new,
                                                "password_confirm": new})
    assert response.status_code == 303
    assert "Every other session" in client.get("/-/account").get_data(as_text=True)  # this one goes on
    assert other.get("/-/account").status_code == 302  # the other one is logged out
    assert post_form(other, "/-/login", {"username": "alice", "password": PASSWORD}).status_code == 200
    assert post_form(other, "/-/login", {"username": "alice", "password": new}).status_code == 303


@pytest.mark.parametrize("current, new, confirm, message", [
    ("wrong password!", "a much better passphrase", None, "current password is not right"),
    (PASSWORD, "short", None, "at least 10 characters"),
    (PASSWORD, PASSWORD, None, "same as the current one"),
    (PASSWORD, "a much better passphrase", "something else", "The two passwords differ"),
])
def test_bad_password_changes_change_nothing(app, client, make_user, login, current, new, confirm, message):
    user = make_user("alice")
    login(user)
    response = post_form(client, "/-/account", {"current_password": current, "password": new,
                                                "password_confirm": confirm or new})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert user_row(app, "alice").password_hash == user.password_hash


def test_hashes_upgrade_when_the_method_setting_changes(app, client, make_user):
    make_user("alice")
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "alice"))
        user.password_hash = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")
        db.session.commit()
    assert post_form(client, "/-/login", {"username": "alice", "password": PASSWORD}).status_code == 303
    assert user_row(app, "alice").password_hash.startswith("scrypt:")
    app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:600000"
    other = app.test_client()
    assert post_form(other, "/-/login", {"username": "alice", "password": PASSWORD}).status_code == 303
    assert user_row(app, "alice").password_hash.startswith("pbkdf2:sha256:600000$")


# --- rate limits -----------------------------------------------------------------------

@pytest.mark.parametrize("app_config", [{"LOGIN_FAILURES_PER_ACCOUNT": "3 per minute"}], indirect=True)
def test_failed_logins_per_account_are_limited(app, client, make_user):
    make_user("alice")
    for _ in range(3):
        assert post_form(client, "/-/login", {"username": "alice", "password": "nope nope"}).status_code == 200
    response = post_form(client, "/-/login", {"username": "ALICE", "password": PASSWORD})
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    html = response.get_data(as_text=True)
    assert "Too many failed logins for this account" in html and "Too many requests" in html
    assert post_form(client, "/-/login", {"username": "bob", "password": "nope nope"}).status_code == 200


@pytest.mark.parametrize("app_config", [{"LOGIN_FAILURES_PER_IP": "4 per hour"}], indirect=True)
def test_failed_logins_per_address_are_limited(client, make_user):
    for name in ("a1", "a2", "a3", "a4"):
        assert post_form(client, "/-/login", {"username": name, "password": "nope nope"}).status_code == 200
    response = post_form(client, "/-/login", {"username": "a5", "password": "nope nope"})
    assert response.status_code == 429 and "from your network address" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 60
    assert "minutes" in response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"LOGIN_FAILURES_PER_ACCOUNT": "2 per minute"}], indirect=True)
def test_successful_logins_do_not_count(client, make_user):
    make_user("alice")
    for _ in range(4):
        assert post_form(client, "/-/login", {"username": "alice", "password": PASSWORD}).status_code == 303


@pytest.mark.parametrize("app_config", [{"REGISTRATIONS_PER_IP": "2 per hour"}], indirect=True)
def test_registrations_per_address_are_limited(app, client):
    assert register(client, "one1").status_code == 303
    other = app.test_client()
    assert register(other, "two2").status_code == 303
    third = app.test_client()
    response = register(third, "three3")
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert user_row(app, "three3") is None


@pytest.mark.parametrize("app_config", [{"SAVES_PER_USER": "2 per minute"}], indirect=True)
def test_saves_per_user_are_limited_and_keep_the_text(client, editor):
    for n in (1, 2):
        response = post_form(client, "/wiki/Notes/-/edit", {"body": f"version {n}", "base_revision": str(n - 1)})
        assert response.status_code == 303
    response = post_form(client, "/wiki/Notes/-/edit", {"body": "my third thought", "base_revision": "2"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    html = response.get_data(as_text=True)
    assert "Too many saves" in html and "my third thought" in html
    assert client.get("/wiki/Notes/-/raw").get_data(as_text=True) == "version 2"


@pytest.mark.parametrize("app_config", [{"PREVIEWS_PER_USER": "2 per minute"}], indirect=True)
def test_previews_per_user_are_limited_and_keep_the_text(client, editor):
    for _ in range(2):
        assert post_form(client, "/wiki/Notes/-/preview", {"body": "*hi*"}, form_url="/wiki/Notes/-/edit").status_code == 200
    limited = post_form(client, "/wiki/Notes/-/preview", {"body": "*hi*"}, form_url="/wiki/Notes/-/edit")
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    # Without JavaScript the Preview button posts the edit form: the text comes back.
    response = post_form(client, "/wiki/Notes/-/edit", {"body": "draft words", "base_revision": "0", "preview": "1"})
    assert response.status_code == 429
    assert "Too many previews" in response.get_data(as_text=True) and "draft words" in response.get_data(as_text=True)
    # Saving is a separate budget.
    assert post_form(client, "/wiki/Notes/-/edit", {"body": "draft words", "base_revision": "0"}).status_code == 303
