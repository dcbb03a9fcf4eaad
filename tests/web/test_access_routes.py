"""Every route and method, for every kind of visitor: the access rule holds.

The expected levels are written out here, independently of wiki/web/access.py, and the first
test fails when the route map has a route this table does not know: a new route cannot
ship without someone deciding (twice) who may use it.
"""
import re

import pytest

from tests.conftest import PASSWORD, csrf_token
from wiki.extensions import db
from wiki.models import DiscussionComment, Invitation, Page, User, utcnow

EXPECTED = {
    ("static", "GET"): "public",
    ("health.healthz", "GET"): "public",
    ("diagrams.frame", "GET"): "read",
    ("auth.login", "GET"): "public",
    ("auth.login", "POST"): "public",
    ("auth.register", "GET"): "public",
    ("auth.register", "POST"): "public",
    ("auth.logout", "POST"): "public",
    ("auth.account", "GET"): "account",
    ("auth.account", "POST"): "account",
    ("pages.index", "GET"): "read",
    ("pages.view", "GET"): "read",
    ("pages.raw", "GET"): "read",
    ("pages.new", "GET"): "edit",
    ("pages.edit", "GET"): "edit_page",
    ("pages.edit", "POST"): "edit_page",
    ("pages.conflict", "POST"): "edit_page",
    ("pages.preview", "POST"): "edit",
    ("pages.complete", "GET"): "read",
    ("pages.protect", "POST"): "admin",
    ("history.history", "GET"): "read",
    ("history.revision", "GET"): "read",
    ("history.diff", "GET"): "read",
    ("history.blame", "GET"): "read",
    ("history.revert", "POST"): "edit_page",
    ("links.backlinks", "GET"): "read",
    ("links.all_pages", "GET"): "read",
    ("links.wanted", "GET"): "read",
    ("links.orphans", "GET"): "read",
    ("review.review_list", "GET"): "read",
    ("review.verify", "POST"): "edit",
    ("links.broken", "GET"): "read",  # issue 20
    ("admin.dashboard", "GET"): "admin",
    ("api.broken_links", "GET"): "read",
    ("changes.recent", "GET"): "read",
    ("changes.recent_feed", "GET"): "read",
    ("changes.page_feed", "GET"): "read",
    ("changes.contributions", "GET"): "read",
    ("search.search", "GET"): "read",
    ("moves.rename", "GET"): "edit_page",
    ("moves.rename", "POST"): "edit_page",
    ("moves.delete", "GET"): "edit_page",
    ("moves.delete", "POST"): "edit_page",
    ("moves.restore", "POST"): "admin",
    ("admin.users", "GET"): "admin",
    ("admin.set_role", "POST"): "admin",
    ("admin.set_active", "POST"): "admin",
    ("admin.invitations", "GET"): "admin",
    ("admin.invitations", "POST"): "admin",
    ("admin.revoke_invitation", "POST"): "admin",
    ("admin.audit", "GET"): "admin",
    ("admin.jobs", "GET"): "admin",
    ("admin.retry_job", "POST"): "admin",
    ("files.page_files", "GET"): "read",
    ("files.page_files", "POST"): "edit_page",
    ("files.file", "GET"): "read",
    ("files.version", "GET"): "read",
    ("files.delete", "POST"): "edit_page",
    ("files.restore", "POST"): "admin",
    ("files.all_files", "GET"): "read",
    ("auth.verify_email", "GET"): "public",
    ("auth.forgot", "GET"): "public",
    ("auth.forgot", "POST"): "public",
    ("auth.reset", "GET"): "public",
    ("auth.reset", "POST"): "public",
    ("watch.watch", "POST"): "account",
    ("watch.watchlist", "GET"): "account",
    ("watch.mark_seen", "POST"): "account",
    ("watch.watch_prefix", "POST"): "account",
    ("watch.unwatch", "POST"): "account",
    ("watch.feed_key", "POST"): "account",
    ("watch.watchlist_feed", "GET"): "public",
    ("watch.notifications_list", "GET"): "account",
    ("watch.open_notification", "GET"): "account",
    ("watch.mark_read", "POST"): "account",
    ("watch.preferences_page", "GET"): "account",
    ("watch.preferences_page", "POST"): "account",
    ("watch.unsubscribe", "GET"): "public",
    ("watch.unsubscribe", "POST"): "public",
    # Issue 20: learning paths
    ("paths.index", "GET"): "read",
    ("paths.progress", "POST"): "account",
    ("paths.follow", "POST"): "account",
    ("paths.visibility", "POST"): "account",
    # Issue 17: the JSON API, API tokens on the account page, webhooks.
    ("api.openapi", "GET"): "public",
    ("api.docs", "GET"): "public",
    ("api.session", "GET"): "public",
    ("api.list_pages", "GET"): "read",
    ("api.create_page", "POST"): "edit",
    ("api.get_page", "GET"): "read",
    ("api.update_page", "PUT"): "edit_page",
    ("api.history", "GET"): "read",
    ("api.revision", "GET"): "read",
    ("api.diff", "GET"): "read",
    ("api.backlinks", "GET"): "read",
    ("api.search", "GET"): "read",
    ("api.changes", "GET"): "read",
    ("api.review_list", "GET"): "read",
    ("api.verify", "POST"): "edit",
    ("api.list_paths", "GET"): "read",  # issue 20
    ("api.get_path", "GET"): "read",
    ("api.mark_step", "PUT"): "account",
    ("auth.create_token", "POST"): "account",
    ("auth.revoke_token", "POST"): "account",
    ("admin.webhooks", "GET"): "admin",
    ("admin.webhooks", "POST"): "admin",
    ("admin.webhook", "GET"): "admin",
    ("admin.delete_webhook", "POST"): "admin",
    ("discussion.discussion", "GET"): "read",
    ("discussion.discussion", "POST"): "comment",
    ("discussion.reply", "POST"): "comment",
    ("discussion.status", "POST"): "comment",
    ("discussion.changes", "GET"): "read",
    ("discussion.edit", "GET"): "comment",
    ("discussion.edit", "POST"): "comment",
    ("discussion.history", "GET"): "read",
    ("discussion.hide", "POST"): "admin",
    ("discussion.lock", "POST"): "admin",
    ("tags.all_tags", "GET"): "read",
    ("tags.tag", "GET"): "read",
    ("api.list_tags", "GET"): "read",
    ("api.tag_pages", "GET"): "read",
}

KINDS = ("anonymous", "deactivated", "reader", "editor", "admin")
RANK = {"anonymous": 0, "deactivated": 0, "reader": 1, "editor": 2, "admin": 3}


def allowed(level: str, kind: str, anonymous_access: str, protected: bool) -> bool:
    rank = RANK[kind]
    return {
        "public": True,
        "read": rank >= 1 or anonymous_access == "read",
        "account": rank >= 1,
        "comment": rank >= 1,
        "edit": rank >= 2,
        "edit_page": rank >= 3 if protected else rank >= 2,
        "admin": rank >= 3,
    }[level]


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_has_an_expected_rule(app):
    found = {(rule.endpoint, method) for rule, method in routes(app)}
    assert found - EXPECTED.keys() == set(), "routes without an access rule in this test"
    assert EXPECTED.keys() - found == set(), "rules for routes that no longer exist"


@pytest.fixture
def app_config(request):
    return {"ANONYMOUS_ACCESS": getattr(request, "param", "read"), "RATELIMIT_ENABLED": False}


@pytest.fixture
def world(app):
    """Accounts of every kind, a page, a protected page, a deleted page, an invitation."""
    from wiki.services import moves
    from wiki.services import pages as page_service
    from wiki.services import users

    with app.app_context():
        made = {role: users.create_user(role + "_user", PASSWORD, role=role) for role in ("reader", "editor", "admin")}
        gone = users.create_user("gone_user", PASSWORD, role="admin")
        gone.active = False
        target = users.create_user("target_user", PASSWORD, role="editor")
        for title in ("Some page", "Locked page", "Old page"):
            page_service.save_page(title, f"# {title}\n\ntext\n", "", made["admin"], base_revision=0)
        db.session.execute(db.update(Page).where(Page.title == "Locked page").values(protection="admin"))
        moves.delete_page(page_service.find_page("Old page"), made["admin"])
        invitation = Invitation(token_hash="0" * 64, role="editor", note="", expires_at=utcnow(),
                                created_by=made["admin"])
        db.session.add(invitation)
        db.session.commit()
        # issue 16: a thread of each account's own, so that editing one's comment and resolving
        # one's thread are allowed as the route's level says (others' are refused by the view)
        from wiki.services import discussions
        threads = {}
        for kind, user in [*made.items(), ("anonymous", target), ("deactivated", target)]:
            thread = discussions.start_thread(page_service.find_page("Some page"), user, "a comment")
            threads[kind] = (str(thread.id), str(db.session.scalar(
                db.select(DiscussionComment.id).where(DiscussionComment.thread_id == thread.id))))
        sessions = {kind: user.get_id() for kind, user in made.items()}
        sessions["deactivated"] = gone.get_id()
        return {"sessions": sessions, "user_id": str(target.id), "invitation_id": str(invitation.id),
                "threads": threads}


def url_for_rule(rule, world, title: str, kind: str = "anonymous") -> str:
    sample = {"title": title, "number": "1", "name": "target_user", "user_id": world["user_id"],
              "invitation_id": world["invitation_id"], "job_id": "1", "filename": "css/nexus.css",
              "digest": "0" * 16, "token": "not-a-token", "watch_id": "1", "notification_id": "1",
              "token_id": "1", "webhook_id": "1", "tag": "redis",
              "thread_id": world["threads"][kind][0], "comment_id": world["threads"][kind][1]}
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: sample[m.group(1)], rule.rule)


FORM = {"body": "new text", "base_revision": "1", "summary": "", "username": "someone_new",
        "password": PASSWORD + "!", "password_confirm": PASSWORD + "!", "current_password": "wrong password",
        "new_title": "Moved elsewhere", "role": "reader", "active": "1", "days": "7", "note": "",
        "protection": "admin", "yours": "new text", "theirs_revision": "1"}


def request_as(app, world, kind: str, rule, method: str, title: str):
    client = app.test_client()
    token = csrf_token(client)
    if kind != "anonymous":
        with client.session_transaction() as session:
            session["_user_id"] = world["sessions"][kind]
            session["_fresh"] = True
    url = url_for_rule(rule, world, title, kind)
    if method == "GET":
        response = client.get(url)
    elif url.startswith("/api/"):  # the JSON API: JSON bodies, the CSRF token in its header
        body = {"title": "Made by the API", "body": "new text"} if method == "POST" else {"body": "new text",
                                                                                         "base_revision": 1}
        response = client.open(url, method=method, json=body, headers={"X-CSRFToken": token})
    else:
        response = client.post(url, data={**FORM, "csrf_token": token})
    response.get_data()
    response.close()  # static files are streamed from an open file
    return url, response


def refused(response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and "/-/login" in response.headers.get("Location", "")


@pytest.mark.parametrize("app_config", ["read", "none"], indirect=True)
@pytest.mark.parametrize("kind", KINDS)
def test_access_rule_holds_on_every_route(app, world, app_config, kind):
    anonymous_access = app_config["ANONYMOUS_ACCESS"]
    wrong = []
    for rule, method in routes(app):
        level = EXPECTED[(rule.endpoint, method)]
        titles = ["Some_page"] + (["Locked_page"] if level == "edit_page" else [])
        if rule.endpoint == "moves.restore":
            titles = ["Old_page"]
        for title in titles:
            url, response = request_as(app, world, kind, rule, method, title)
            expect = allowed(level, kind, anonymous_access, protected=title == "Locked_page")
            if refused(response) == expect:
                wrong.append(f"{method} {url}: {response.status_code}, expected {'allowed' if expect else 'refused'}")
            elif not expect and url.startswith("/api/"):  # problem documents, never the login form
                assert response.status_code == (401 if RANK[kind] == 0 else 403), (url, response.status_code)
                assert response.content_type == "application/problem+json"
            elif not expect and method == "GET" and RANK[kind] == 0:
                assert response.status_code == 302, (url, response.status_code)  # to the login form
            elif not expect:
                assert response.status_code == 403, (url, response.status_code)
                html = response.get_data(as_text=True)
                if (rule.endpoint, method) in (("pages.edit", "POST"), ("pages.conflict", "POST")):
                    assert "new text" in html  # the editor comes back with the user's text
                else:
                    assert "Not allowed" in html
            assert response.status_code < 500, (url, response.status_code)
    assert wrong == []


def test_a_refused_save_keeps_the_text(app, client, world):
    """An editor whose page got protected while they typed: 403, and the text is in the form."""
    with client.session_transaction() as session:
        session["_user_id"] = world["sessions"]["editor"]
    token = csrf_token(client, "/wiki/Some_page/-/edit")
    response = client.post("/wiki/Locked_page/-/edit", data={
        "body": "my long careful text", "base_revision": "1", "csrf_token": token})
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "only administrators may change it" in html
    assert "my long careful text" in html
    with app.app_context():
        page = db.session.scalar(db.select(Page).where(Page.title == "Locked page"))
        assert "careful" not in page.current_revision.source


def test_a_deactivated_account_is_logged_out_at_its_next_request(app, client, make_user, login):
    from wiki.services import admin as admin_service

    boss = make_user("boss", role="admin")
    victim = make_user("victim", role="editor")
    login(victim)
    assert client.get("/-/new").status_code == 200
    with app.app_context():
        admin_service.set_active(db.session.get(User, boss.id), db.session.get(User, victim.id), False)
    response = client.get("/-/new")
    assert response.status_code == 302 and "/-/login" in response.headers["Location"]
    html = client.get("/wiki/Home").get_data(as_text=True)
    assert "victim" not in html and "Log in" in html
