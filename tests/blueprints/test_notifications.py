"""Watching, notifications and their mail, through the HTTP interface and a real SMTP server
(aiosmtpd on a free port): the watch → edit → mail → unsubscribe loop, batching, digests,
mentions, deletes and restores, and that the actor is never told about their own change."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token, post_form
from tests.mailbox import PUBLIC_URL, link, mail_config, mailbox, parts, smtp  # noqa: F401 - fixtures
from wiki.extensions import db
from wiki.jobqueue import queue_of
from wiki.models import AuditEvent, Notification, User, UserPreferences, utcnow
from wiki.services import notifications


@pytest.fixture
def app_config(smtp):  # noqa: F811
    return mail_config(smtp[1])


def give_email(app, user, address, mail="immediate"):
    """A confirmed address (the verification loop itself is tested in test_accounts_mail.py)."""
    with app.app_context():
        db.session.merge(UserPreferences(user_id=user.id, email=address, email_verified_at=utcnow(), mail=mail,
                                         auto_watch=True))
        db.session.commit()


def client_for(app, user):
    client = app.test_client()
    response = post_form(client, "/-/login", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 303
    return client


def edit(client, title, body, summary="", base=None):
    page = client.get(f"/wiki/{title}/-/edit").get_data(as_text=True)
    import re

    if base is None:
        match = re.search(r'name="base_revision"[^>]*value="(\d*)"', page)
        base = match.group(1) if match else ""
    response = client.post(f"/wiki/{title}/-/edit", data={
        "body": body, "summary": summary, "base_revision": base, "csrf_token": csrf_token(client, f"/wiki/{title}/-/edit")})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response


def watch(client, title):
    response = post_form(client, f"/wiki/{title}/-/watch", {}, form_url=f"/wiki/{title}")
    assert response.status_code == 303
    return response


@pytest.fixture
def two(app, make_user, make_page):
    """alice (with a confirmed address) and bob, both logged in; a page "Caching" by nobody."""
    alice, bob = make_user("alice"), make_user("bob")
    give_email(app, alice, "alice@example.org")
    give_email(app, bob, "bob@example.org")
    make_page("Caching", "# Caching\n\nFirst text.\n")
    return alice, bob, client_for(app, alice), client_for(app, bob)


def test_watch_edit_mail_unsubscribe(app, two, mailbox):  # noqa: F811
    alice, bob, as_alice, as_bob = two
    html = as_alice.get("/wiki/Caching").get_data(as_text=True)
    assert "☆ Watch" in html
    watch(as_alice, "Caching")
    assert "★ Unwatch" in as_alice.get("/wiki/Caching").get_data(as_text=True)

    edit(as_bob, "Caching", "# Caching\n\nBetter text.\n", summary="clearer wording")

    # alice is told, in the app and by mail; bob (the actor, who now watches it too) is not
    assert 'aria-label="Notifications: 1 unread"' in as_alice.get("/wiki/Home").get_data(as_text=True)
    assert 'aria-label="Notifications: 0 unread"' in as_bob.get("/wiki/Home").get_data(as_text=True)
    [message] = mailbox.to("alice@example.org")
    assert mailbox.to("bob@example.org") == []
    assert message["To"] == "alice@example.org"
    assert message["From"] == "Nexus <wiki@example.org>"
    assert message["Subject"] == "[Nexus] bob edited “Caching”"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    assert "bob edited “Caching”: clearer wording." in text
    assert "bob edited “Caching”: clearer wording." in html
    assert link(message, "/-/diff") == f"{PUBLIC_URL}/wiki/Caching/-/diff?from=1&to=2"
    unsubscribe = link(message, "/-/unsubscribe/")
    assert message["List-Unsubscribe"].strip() == f"<{unsubscribe}>"  # (folded: the URL is long)
    assert f'href="{unsubscribe}"' in html

    # the notification list links to the diff and marks it read when opened
    page = as_alice.get("/-/notifications").get_data(as_text=True)
    assert "bob edited “Caching”: clearer wording" in page
    with app.app_context():
        item = db.session.scalar(select(Notification).where(Notification.user_id == alice.id))
    response = as_alice.get(f"/-/notifications/{item.id}")
    assert response.headers["Location"] == "/wiki/Caching/-/diff?from=1&to=2"
    assert 'aria-label="Notifications: 0 unread"' in as_alice.get("/wiki/Home").get_data(as_text=True)
    assert as_bob.get(f"/-/notifications/{item.id}").status_code == 404  # not bob's

    # unsubscribing: the link asks first (link scanners open GETs), one click stops the mail
    path = unsubscribe.removeprefix(PUBLIC_URL)
    anonymous = app.test_client()
    assert "Stop the mail" in anonymous.get(path).get_data(as_text=True)
    response = anonymous.post(path)  # no session, no CSRF token: the signed link is the proof
    assert response.status_code == 200 and "no more notification mail" in response.get_data(as_text=True)
    mailbox.clear()
    edit(as_bob, "Caching", "# Caching\n\nEven better text.\n", summary="more")
    assert mailbox.to("alice@example.org") == []
    assert 'aria-label="Notifications: 1 unread"' in as_alice.get("/wiki/Home").get_data(as_text=True)
    assert "checked" in as_alice.get("/-/notifications/preferences").get_data(as_text=True)


def test_a_damaged_unsubscribe_link_changes_nothing(app, two, mailbox):  # noqa: F811
    alice, _bob, _as_alice, _as_bob = two
    client = app.test_client()
    for path in ("/-/unsubscribe/garbage", "/-/unsubscribe/eyJ1IjoxfQ.forged"):
        assert client.get(path).status_code == 400
        response = client.post(path)
        assert response.status_code == 400 and "security token is not valid" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(UserPreferences, alice.id).mail == "immediate"


def test_unwatching_by_query_or_form_field_and_missing_csrf(app, two, mailbox):  # noqa: F811
    _alice, _bob, as_alice, as_bob = two
    watch(as_alice, "Caching")
    assert as_alice.post("/wiki/Caching/-/watch?unwatch").status_code == 400  # no CSRF token
    assert "★ Unwatch" in as_alice.get("/wiki/Caching").get_data(as_text=True)
    response = post_form(as_alice, "/wiki/Caching/-/watch?unwatch", {}, form_url="/wiki/Caching")
    assert response.status_code == 303
    assert "☆ Watch" in as_alice.get("/wiki/Caching").get_data(as_text=True)
    watch(as_alice, "Caching")
    post_form(as_alice, "/wiki/Caching/-/watch", {"unwatch": "1"}, form_url="/wiki/Caching")
    edit(as_bob, "Caching", "# Caching\n\nNobody watches.\n")
    assert mailbox.messages == []
    assert post_form(as_alice, "/wiki/No_such_page/-/watch", {}, form_url="/wiki/Caching").status_code == 404


def test_batching_sends_one_mail_per_page_per_window(app, two, mailbox):  # noqa: F811
    _alice, _bob, as_alice, as_bob = two
    watch(as_alice, "Caching")
    edit(as_bob, "Caching", "# Caching\n\nOne.\n", summary="first")
    edit(as_bob, "Caching", "# Caching\n\nTwo.\n", summary="second")
    edit(as_bob, "Caching", "# Caching\n\nThree.\n", summary="third")
    [first] = mailbox.to("alice@example.org")  # the later two wait for the window's end
    assert "first" in parts(first)[0]
    options = queue_of(app).settings.options["notifications"]
    with app.app_context():
        assert "mail_flush" not in notifications.tick(options, utcnow() + timedelta(minutes=5))  # window not over
        assert db.session.scalar(select(db.func.count()).select_from(Notification).where(Notification.mail == "due")) == 2
    assert len(mailbox.to("alice@example.org")) == 1
    with app.app_context():
        assert "mail_flush" in notifications.tick(options, utcnow() + timedelta(minutes=16))
    first, second = mailbox.to("alice@example.org")
    assert second["Subject"] == "[Nexus] 2 changes to “Caching”"
    text, _html = parts(second)
    assert "bob edited “Caching”: second." in text and "bob edited “Caching”: third." in text
    assert link(second, "/-/diff") == f"{PUBLIC_URL}/wiki/Caching/-/diff?from=2&to=4"
    with app.app_context():  # nothing left: a second flush sends nothing
        notifications.tick(options, utcnow() + timedelta(minutes=40))
    assert len(mailbox.to("alice@example.org")) == 2


def test_the_daily_digest_groups_by_page_and_goes_once_a_day(app, two, make_page, mailbox):  # noqa: F811
    alice, _bob, as_alice, as_bob = two
    make_page("Queues", "Queues.\n")
    with app.app_context():
        db.session.get(UserPreferences, alice.id).mail = "daily"
        db.session.commit()
    watch(as_alice, "Caching")
    watch(as_alice, "Queues")
    edit(as_bob, "Caching", "# Caching\n\nOne.\n", summary="one")
    edit(as_bob, "Queues", "Queues, more.\n", summary="two")
    edit(as_bob, "Caching", "# Caching\n\nThree.\n", summary="three")
    assert mailbox.to("alice@example.org") == []
    options = queue_of(app).settings.options["notifications"]
    morning = utcnow().replace(hour=options.digest_hour, minute=5) + timedelta(days=1)
    with app.app_context():
        assert notifications.tick(options, morning - timedelta(hours=1)) == []  # before the hour
        assert notifications.tick(options, morning) == ["mail_digest"]
        assert notifications.tick(options, morning + timedelta(hours=2)) == []  # once a day
    [digest] = mailbox.to("alice@example.org")
    assert digest["Subject"] == "[Nexus] Your daily digest: 3 changes to 2 pages"
    text, html = parts(digest)
    assert text.index("“Caching”: bob edited “Caching”: one; bob edited “Caching”: three.") < text.index("“Queues”")
    assert f"{PUBLIC_URL}/wiki/Caching/-/diff?from=1&amp;to=3" in html
    assert digest["List-Unsubscribe"]


def test_mentions_and_prefix_watches(app, two, make_user, make_page, mailbox):  # noqa: F811
    alice, bob, as_alice, as_bob = two
    carol = make_user("carol")
    give_email(app, carol, "carol@example.org")
    response = post_form(as_alice, "/-/watchlist/prefix", {"prefix": "Concepts/"}, form_url="/-/watchlist")
    assert response.status_code == 303
    assert post_form(as_alice, "/-/watchlist/prefix", {"prefix": "  "}, form_url="/-/watchlist").status_code == 400
    edit(as_bob, "Concepts/Caching", "New page under a watched prefix.\n", summary="see this @carol and @alice")
    [to_carol] = mailbox.to("carol@example.org")
    assert to_carol["Subject"] == "[Nexus] bob mentioned you in an edit of “Concepts/Caching”"
    [to_alice] = mailbox.to("alice@example.org")  # mentioned and watching: told once
    assert "mentioned you" in to_alice["Subject"]
    assert link(to_alice, "/wiki/") == f"{PUBLIC_URL}/wiki/Concepts/Caching/-/revisions/1"
    assert mailbox.to("bob@example.org") == []
    edit(as_bob, "Elsewhere", "Not under the prefix.\n", summary="hello @bob")  # mentioning oneself: nothing
    assert len(mailbox.messages) == 2


def test_rename_delete_and_restore_tell_watchers_and_leave_a_trace(app, two, make_user, mailbox):  # noqa: F811
    alice, bob, as_alice, as_bob = two
    admin = make_user("root", role="admin")
    as_admin = client_for(app, admin)
    watch(as_alice, "Caching")
    post_form(as_bob, "/wiki/Caching/-/rename", {"new_title": "Caching basics", "leave_redirect": "y"},
              form_url="/wiki/Caching/-/rename")
    response = post_form(as_bob, "/wiki/Caching_basics/-/delete", {"reason": "x" * 301},
                         form_url="/wiki/Caching_basics/-/delete")
    assert response.status_code == 400 and "at most 300 characters" in response.get_data(as_text=True)
    post_form(as_bob, "/wiki/Caching_basics/-/delete", {"reason": "duplicate of Redis caching"},
              form_url="/wiki/Caching_basics/-/delete")
    post_form(as_admin, "/wiki/Caching_basics/-/restore", {}, form_url="/wiki/Home")
    subjects = [m["Subject"] for m in mailbox.to("alice@example.org")]
    assert subjects[0] == "[Nexus] bob renamed a page you watch to “Caching basics”"
    texts = as_alice.get("/-/notifications").get_data(as_text=True)
    assert "bob deleted “Caching basics” (reason: duplicate of Redis caching)" in texts
    assert "root restored “Caching basics”" in texts
    recent = as_alice.get("/-/recent").get_data(as_text=True)
    assert "Deleted the page: duplicate of Redis caching" in recent and "Restored the page" in recent
    with app.app_context():
        actions = {(e.action, e.actor.username, e.detail) for e in db.session.scalars(select(AuditEvent))}
    assert ("page_delete", "bob", "duplicate of Redis caching") in actions
    assert ("page_restore", "root", "") in actions
    audit = as_admin.get("/-/admin/audit").get_data(as_text=True)
    assert "page_delete" in audit and "duplicate of Redis caching" in audit
    assert len(subjects) == 1  # the delete and restore wait for the batching window to end
    with app.app_context():
        notifications.tick(queue_of(app).settings.options["notifications"], utcnow() + timedelta(minutes=16))
    later = mailbox.to("alice@example.org")[1]
    assert later["Subject"] == "[Nexus] 2 changes to “Caching basics”"
    assert "bob deleted “Caching basics” (reason: duplicate of Redis caching)." in parts(later)[0]
    assert all("bob@example.org" not in m["X-Envelope-To"] for m in mailbox.messages)


def test_a_refused_mail_is_retried_by_the_queue(app, two, mailbox):  # noqa: F811
    _alice, _bob, as_alice, as_bob = two
    watch(as_alice, "Caching")
    mailbox.refuse = True
    edit(as_bob, "Caching", "# Caching\n\nRefused first.\n", summary="retry me")  # the save succeeds
    assert mailbox.messages == []
    from wiki.models import Job
    from wiki.services import jobs

    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.kind == "mail_page"))
        assert job.state == "queued" and job.attempts == 1 and "451" in job.error
        mailbox.refuse = False
        assert jobs.run(job.id, queue_of(app).settings) == "done"
    [message] = mailbox.to("alice@example.org")
    assert "retry me" in parts(message)[0]


def test_without_mail_notifications_stay_in_the_app(app, make_user, make_page, mailbox):  # noqa: F811
    app.extensions["nexus.jobqueue"].settings.options["notifications"] = notifications.settings_from(
        {**app.config, "MAIL_URL": None})
    app.config["MAIL_URL"] = None
    alice, bob = make_user("alice"), make_user("bob")
    give_email(app, alice, "alice@example.org")
    make_page("Caching", "text\n")
    as_alice, as_bob = client_for(app, alice), client_for(app, bob)
    watch(as_alice, "Caching")
    edit(as_bob, "Caching", "new text\n", summary="offline")
    assert mailbox.messages == []
    assert "bob edited “Caching”: offline" in as_alice.get("/-/notifications").get_data(as_text=True)
    assert "This wiki sends no mail" in as_alice.get("/-/notifications/preferences").get_data(as_text=True)


def test_watchlist_new_changes_mark_seen_and_private_feed(app, two, mailbox):  # noqa: F811
    _alice, _bob, as_alice, as_bob = two
    watch(as_alice, "Caching")
    edit(as_bob, "Caching", "# Caching\n\nWatched change.\n", summary="watched change")
    page = as_alice.get("/-/watchlist").get_data(as_text=True)
    assert "watched change" in page and "2</strong> new changes" in page
    assert "/wiki/Caching/-/diff?from=1&amp;to=2" in page
    post_form(as_alice, "/-/watchlist/seen", {}, form_url="/-/watchlist")
    assert "0</strong> new changes" in as_alice.get("/-/watchlist").get_data(as_text=True)

    post_form(as_alice, "/-/watchlist/feed", {}, form_url="/-/watchlist")
    page = as_alice.get("/-/watchlist").get_data(as_text=True)
    import re

    feed = re.search(r'value="(http://wiki.test/-/watchlist.atom\?key=[^"]+)"', page).group(1)
    path = feed.removeprefix(PUBLIC_URL).replace("&amp;", "&")
    reader = app.test_client()  # a feed reader: no cookies
    response = reader.get(path)
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    assert "watched change" in response.get_data(as_text=True)
    post_form(as_alice, "/-/watchlist/feed", {"revoke": "1"}, form_url="/-/watchlist")
    assert reader.get(path).status_code == 404
    assert reader.get("/-/watchlist.atom?key=guess").status_code == 404


def test_a_logged_in_page_view_is_not_answered_304_with_a_stale_count(app, two, mailbox):  # noqa: F811
    _alice, _bob, as_alice, as_bob = two
    watch(as_alice, "Caching")
    as_alice.get("/wiki/Caching")  # shows the flashed "You watch" once (such a view gets no validator)
    first = as_alice.get("/wiki/Caching")
    etag = first.headers["ETag"]
    assert as_alice.get("/wiki/Caching", headers={"If-None-Match": etag}).status_code == 304
    edit(as_bob, "Home", "elsewhere\n")  # unrelated: no notification for alice
    edit(as_bob, "Caching", "# Caching\n\nChanged.\n")
    again = as_alice.get("/wiki/Caching", headers={"If-None-Match": etag})
    assert again.status_code == 200 and 'aria-label="Notifications: 1 unread"' in again.get_data(as_text=True)
    anonymous = app.test_client()
    view = anonymous.get("/wiki/Caching").get_data(as_text=True)
    assert "Notifications" not in view and "Watch" not in view


def test_the_actor_gets_nothing_even_when_watching_by_prefix(app, two, mailbox):  # noqa: F811
    _alice, bob, _as_alice, as_bob = two
    post_form(as_bob, "/-/watchlist/prefix", {"prefix": "cach"}, form_url="/-/watchlist")
    edit(as_bob, "Caching", "# Caching\n\nMy own change.\n")
    with app.app_context():
        assert db.session.scalar(select(Notification).where(Notification.user_id == bob.id)) is None
    assert mailbox.messages == []


def test_users_with_no_account_left_are_not_told(app, two, mailbox):  # noqa: F811
    alice, _bob, as_alice, as_bob = two
    watch(as_alice, "Caching")
    with app.app_context():
        db.session.get(User, alice.id).active = False
        db.session.commit()
    edit(as_bob, "Caching", "# Caching\n\nInactive watcher.\n")
    assert mailbox.messages == []


def test_the_mail_tick_command_sends_what_batching_held_back(app, two, runner, mailbox):  # noqa: F811
    alice, _bob, as_alice, as_bob = two
    watch(as_alice, "Caching")
    edit(as_bob, "Caching", "# Caching\n\nOne.\n", summary="first")
    edit(as_bob, "Caching", "# Caching\n\nTwo.\n", summary="second")
    assert len(mailbox.to("alice@example.org")) == 1
    with app.app_context():  # as if the window were over: the first mail went out 20 minutes ago
        for item in db.session.scalars(select(Notification).where(Notification.mail == "sent")):
            item.mailed_at = utcnow() - timedelta(minutes=20)
        db.session.commit()
    result = runner.invoke(args=["mail-tick"])
    assert result.exit_code == 0 and "mail_flush" in result.output
    assert "second" in parts(mailbox.to("alice@example.org")[1])[0]


def test_preferences_save_and_refuse_bad_input(app, two, mailbox):  # noqa: F811
    alice, _bob, as_alice, _as_bob = two
    page = as_alice.get("/-/notifications/preferences").get_data(as_text=True)
    assert "Mail goes to alice@example.org" in page
    response = post_form(as_alice, "/-/notifications/preferences", {"mail": "hourly", "auto_watch": "y"})
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)
    assert as_alice.post("/-/notifications/preferences", data={"mail": "never"}).status_code == 400  # no CSRF
    with app.app_context():
        assert db.session.get(UserPreferences, alice.id).mail == "immediate"
    assert post_form(as_alice, "/-/notifications/preferences", {"mail": "daily"}).status_code == 303
    with app.app_context():
        prefs = db.session.get(UserPreferences, alice.id)
        assert (prefs.mail, prefs.auto_watch) == ("daily", False)
    edit(as_alice, "Own_page", "made without auto-watch\n")
    assert "☆ Watch" in as_alice.get("/wiki/Own_page").get_data(as_text=True)
    assert as_alice.get("/-/notifications?page=x").status_code == 400
    assert post_form(as_alice, "/-/watchlist/unwatch/999", {}, form_url="/-/watchlist").status_code == 404


def test_choosing_never_drops_mail_that_was_waiting(app, two, mailbox):  # noqa: F811
    _alice, _bob, as_alice, as_bob = two
    watch(as_alice, "Caching")
    edit(as_bob, "Caching", "# Caching\n\nOne.\n", summary="first")
    edit(as_bob, "Caching", "# Caching\n\nTwo.\n", summary="held back")
    assert post_form(as_alice, "/-/notifications/preferences", {"mail": "never", "auto_watch": "y"}).status_code == 303
    post_form(as_alice, "/-/notifications/preferences", {"mail": "immediate", "auto_watch": "y"})
    with app.app_context():
        notifications.tick(queue_of(app).settings.options["notifications"], utcnow() + timedelta(minutes=16))
    assert len(mailbox.to("alice@example.org")) == 1  # "held back" was never mailed


def test_old_read_notifications_are_pruned_once_a_day(app, two, mailbox):  # noqa: F811
    alice, _bob, as_alice, as_bob = two
    watch(as_alice, "Caching")
    edit(as_bob, "Caching", "# Caching\n\nOne.\n", summary="read long ago")
    edit(as_bob, "Caching", "# Caching\n\nTwo.\n", summary="still unread")
    with app.app_context():
        first, _second = db.session.scalars(select(Notification).order_by(Notification.id)).all()
        first.read_at = utcnow() - timedelta(days=200)
        db.session.commit()
        notifications.tick(queue_of(app).settings.options["notifications"], utcnow() + timedelta(days=1))
        assert [n.summary for n in db.session.scalars(select(Notification))] == ["still unread"]
