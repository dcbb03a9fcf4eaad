"""Mail addresses on accounts (optional, verified by a signed expiring link, private) and
password reset by mail (same answer for any account, rate-limited, single use, expiring,
ends the account's sessions), with a real SMTP server."""
import json
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token, post_form
from tests.mailbox import PUBLIC_URL, link, mail_config, mailbox, parts, smtp  # noqa: F401 - fixtures
from wiki.core import notices
from wiki.core.backupformat import MANIFEST
from wiki.extensions import db
from wiki.models import User, UserPreferences, utcnow
from wiki.services import backup

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def app_config(smtp):  # noqa: F811
    return mail_config(smtp[1])


def register(client, username, email, password=PASSWORD):
    return post_form(client, "/-/register", {"username": username, "password": password,
                                             "password_confirm": password, "email": email})


def prefs(app, name) -> UserPreferences | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username_key == name))
        found = db.session.get(UserPreferences, user.id) if user else None
        if found is not None:
            db.session.expunge(found)
        return found


def past_token(app, purpose, payload, seconds_ago):
    """A token signed as if made ``seconds_ago`` (for an expired link)."""
    class Past(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - seconds_ago

    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=purpose.salt, signer=Past).dumps(payload)


def path(url: str) -> str:
    return url.removeprefix(PUBLIC_URL)


def test_register_with_an_address_verify_it_and_keep_it_private(app, client, mailbox):  # noqa: F811
    response = register(client, "dora", "dora@example.org")
    assert response.status_code == 303
    assert prefs(app, "dora").email_verified_at is None
    [message] = mailbox.to("dora@example.org")
    assert message["Subject"] == "[Nexus] Confirm your mail address"
    text, html = parts(message)
    verify = link(message, "/-/account/verify/")
    assert f'href="{verify}"' in html
    assert "not confirmed" in client.get("/-/account").get_data(as_text=True)
    page = client.get(path(verify)).get_data(as_text=True)
    assert "dora@example.org is confirmed" in page
    assert prefs(app, "dora").email_verified_at is not None
    assert "confirmed" in client.get("/-/account").get_data(as_text=True)
    # Nobody else ever sees it: not on the user's contributions, recent changes, or admin pages.
    other = app.test_client()
    for url in ("/-/user/dora", "/-/recent"):
        assert "dora@example.org" not in other.get(url).get_data(as_text=True)


def test_registration_refuses_an_invalid_address_and_creates_nothing(app, client, mailbox):  # noqa: F811
    response = register(client, "dora", "not an address")
    assert response.status_code == 400
    assert "That is not a mail address" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username_key == "dora")) is None
    assert register(client, "dora", "").status_code == 303  # optional
    assert prefs(app, "dora") is None and mailbox.messages == []


def test_changing_the_address_verifies_it_again_and_stale_links_fail(app, client, make_user, login, mailbox):  # noqa: F811
    user = make_user("erin")
    login(user)
    assert post_form(client, "/-/account", {"email": "erin@old.example"}).status_code == 303
    old_link = link(mailbox.to("erin@old.example")[0], "/-/account/verify/")
    assert client.get(path(old_link)).status_code == 200
    response = post_form(client, "/-/account", {"email": "erin@new.example"})
    assert response.status_code == 303
    assert prefs(app, "erin").email == "erin@new.example" and prefs(app, "erin").email_verified_at is None
    new_link = link(mailbox.to("erin@new.example")[0], "/-/account/verify/")
    # the old address's link no longer confirms anything
    response = client.get(path(old_link))
    assert response.status_code == 400 and "address changed since" in response.get_data(as_text=True)
    assert prefs(app, "erin").email_verified_at is None
    # an expired link, a forged one
    expired = past_token(app, notices.VERIFY_EMAIL, notices.verify_payload(user.id, "erin@new.example"), 3 * 86400)
    response = client.get(f"/-/account/verify/{expired}")
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert client.get("/-/account/verify/forged.token").status_code == 400
    assert client.get(path(new_link)).status_code == 200
    # bad input on the account page: a clear message, nothing changed
    response = post_form(client, "/-/account", {"email": "erin at example"})
    assert response.status_code == 400 and "That is not a mail address" in response.get_data(as_text=True)
    assert client.post("/-/account", data={"email": "x@example.org"}).status_code == 400  # no CSRF token
    assert prefs(app, "erin").email == "erin@new.example"
    assert post_form(client, "/-/account", {"email": ""}).status_code == 303  # removed
    assert prefs(app, "erin").email is None


def test_exports_leave_addresses_out_unless_asked(app, make_user, tmp_path):
    user = make_user("fay")
    with app.app_context():
        db.session.add(UserPreferences(user_id=user.id, email="fay@example.org", email_verified_at=utcnow()))
        db.session.commit()
        backup.export_wiki(tmp_path / "plain")
        backup.export_wiki(tmp_path / "full", with_emails=True)
    assert "fay@example.org" not in (tmp_path / "plain" / MANIFEST).read_text()
    [record] = json.loads((tmp_path / "full" / MANIFEST).read_text())["users"]
    assert record["email"] == "fay@example.org" and record["email_verified"] is True


def give_verified(app, user, address):
    with app.app_context():
        db.session.add(UserPreferences(user_id=user.id, email=address, email_verified_at=utcnow()))
        db.session.commit()


def test_forgot_password_mail_new_password_and_other_sessions_end(app, make_user, mailbox):  # noqa: F811
    user = make_user("gil")
    give_verified(app, user, "gil@example.org")
    elsewhere = app.test_client()  # another browser, logged in
    assert post_form(elsewhere, "/-/login", {"username": "gil", "password": PASSWORD}).status_code == 303
    assert "gil" in elsewhere.get("/-/account").get_data(as_text=True)

    client = app.test_client()
    assert "Forgot password?" in client.get("/-/login").get_data(as_text=True)
    known = post_form(client, "/-/forgot", {"account": "gil"}, follow_redirects=True).get_data(as_text=True)
    unknown = post_form(client, "/-/forgot", {"account": "nobody"}, follow_redirects=True).get_data(as_text=True)
    by_mail = post_form(client, "/-/forgot", {"account": "nobody@example.org"}, follow_redirects=True)
    answer = "If an account with a confirmed mail address matches"
    assert answer in known and answer in unknown and answer in by_mail.get_data(as_text=True)
    [message] = mailbox.to("gil@example.org")
    assert message["Subject"] == "[Nexus] Choose a new password"
    reset = path(link(message, "/-/reset/"))

    assert "For the account <strong>gil</strong>" in client.get(reset).get_data(as_text=True)
    response = post_form(client, reset, {"password": "short", "password_confirm": "short"})
    assert response.status_code == 400 and "at least" in response.get_data(as_text=True)
    assert client.post(reset, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}).status_code == 400
    response = post_form(client, reset, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/-/login"

    assert elsewhere.get("/-/account").status_code == 302  # that session ended
    assert post_form(client, "/-/login", {"username": "gil", "password": PASSWORD}).status_code == 200  # old: wrong
    assert post_form(client, "/-/login", {"username": "gil", "password": NEW_PASSWORD}).status_code == 303
    # the link works once
    again = app.test_client().get(reset)
    assert again.status_code == 400 and "used already" in again.get_data(as_text=True)


def test_a_reset_can_be_asked_for_by_confirmed_address_in_any_letter_case(app, make_user, client, mailbox):  # noqa: F811
    give_verified(app, make_user("jo"), "Jo@Example.org")
    give_verified(app, make_user("kim"), "kim@example.org")
    post_form(client, "/-/forgot", {"account": "jo@example.ORG"})
    [message] = mailbox.to("Jo@Example.org")
    assert "Hello jo," in parts(message)[0]
    assert mailbox.to("kim@example.org") == []


def test_reset_links_expire_and_need_a_confirmed_address(app, make_user, client, mailbox):  # noqa: F811
    user = make_user("hal")
    post_form(client, "/-/forgot", {"account": "hal"})
    assert mailbox.messages == []  # no address: no mail, and the same answer
    with app.app_context():
        hash_ = db.session.get(User, user.id).password_hash
    expired = past_token(app, notices.RESET_PASSWORD, notices.reset_payload(user.id, hash_), 2 * 3600)
    response = client.get(f"/-/reset/{expired}")
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    response = post_form(client, f"/-/reset/{expired}", {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
                         form_url="/-/login")
    assert response.status_code == 400
    wrong_purpose = past_token(app, notices.VERIFY_EMAIL, notices.reset_payload(user.id, hash_), 0)
    assert client.get(f"/-/reset/{wrong_purpose}").status_code == 400
    assert post_form(client, "/-/forgot", {"account": ""}).status_code == 400


def test_forgot_password_is_rate_limited(app, client, make_user, mailbox):  # noqa: F811
    user = make_user("ivy")
    give_verified(app, user, "ivy@example.org")
    token = csrf_token(client, "/-/forgot")
    statuses = [client.post("/-/forgot", data={"account": "ivy", "csrf_token": token}).status_code for _ in range(5)]
    assert statuses == [303, 303, 303, 429, 429]
    assert len(mailbox.to("ivy@example.org")) == 3
