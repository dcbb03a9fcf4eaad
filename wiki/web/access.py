"""Who may do what, decided in one place for every route.

Every endpoint (and, where they differ, every method of it) has an access level in RULES.
A ``before_request`` hook looks the level up and refuses the request before any view runs;
``create_app`` fails at start-up when a route has no rule, and
tests/http/test_access_routes.py checks every route for every kind of visitor, so a new
route cannot be added without deciding who may use it.

Levels:
  public      anyone, even when the wiki is closed to anonymous readers (login, health)
  read        anyone who may read: logged-in accounts, and visitors if ANONYMOUS_ACCESS="read"
  account     any logged-in account (its own settings)
  comment     any logged-in account: taking part in discussions (issue 16)
  edit        editors and admins
  edit_page   editors and admins, and only admins when the page in the URL is protected
  admin       admins

A denied anonymous GET is sent to the login form (and back after); any other refusal is
a 403 page saying why.
Deactivated accounts are logged out at their next request (wiki.web._load_user), so they
are judged as anonymous visitors.
"""
from dataclasses import dataclass

from flask import Flask, abort, current_app, g, request
from flask_login import current_user


ROLE_RANK = {"reader": 1, "editor": 2, "admin": 3}
LEVELS = ("public", "read", "account", "comment", "edit", "edit_page", "admin")

# endpoint -> level for every method, or {method: level}.
RULES: dict[str, str | dict[str, str]] = {
    "static": "public",
    "health.healthz": "public",
    "diagrams.frame": "read",  # issue 19: Mermaid's sandboxed frame
    "auth.login": "public",
    "auth.register": "public",
    "auth.logout": "public",
    "auth.account": "account",
    "pages.index": "read",
    "pages.view": "read",
    "pages.raw": "read",
    "pages.new": "edit",
    "pages.edit": "edit_page",
    "pages.conflict": "edit_page",
    "pages.preview": "edit",
    "pages.complete": "read",
    "pages.protect": "admin",
    "history.history": "read",
    "history.revision": "read",
    "history.diff": "read",
    "history.blame": "read",
    "history.revert": "edit_page",
    "links.backlinks": "read",
    "links.all_pages": "read",
    "links.wanted": "read",
    "links.orphans": "read",
    "review.review_list": "read",  # issue 20: pages due for review
    "review.verify": "edit",  # "Mark verified": editors, protected pages too (it changes no text)
    "links.broken": "read",  # issue 20: link health, for everyone who reads (editors fix)
    "changes.recent": "read",
    "changes.recent_feed": "read",
    "changes.page_feed": "read",
    "changes.contributions": "read",
    "search.search": "read",
    "moves.rename": "edit_page",
    "moves.delete": "edit_page",
    "moves.restore": "admin",
    "admin.dashboard": "admin",  # issue 20: counts and links
    "admin.users": "admin",
    "admin.set_role": "admin",
    "admin.set_active": "admin",
    "admin.invitations": "admin",
    "admin.revoke_invitation": "admin",
    "admin.audit": "admin",
    "admin.jobs": "admin",
    "admin.retry_job": "admin",
    # Files follow their page (issue 14): readable with it, changed like it.
    "files.page_files": {"GET": "read", "POST": "edit_page"},
    "files.file": "read",
    "files.version": "read",
    "files.delete": "edit_page",
    "files.restore": "admin",
    "files.all_files": "read",
    # issue 15: watching and notifications are one's own; links mailed to users carry their
    # own signed token (feed key, unsubscribe, verification, reset) and work without a login
    "watch.watch": "account",
    "watch.watchlist": "account",
    "watch.mark_seen": "account",
    "watch.watch_prefix": "account",
    "watch.unwatch": "account",
    "watch.feed_key": "account",
    "watch.watchlist_feed": "public",
    "watch.notifications_list": "account",
    "watch.open_notification": "account",
    "watch.mark_read": "account",
    "watch.preferences_page": "account",
    "watch.unsubscribe": "public",
    # Issue 20: learning paths (progress is per account)
    "paths.index": "read",
    "paths.progress": "account",
    "paths.follow": "account",
    "paths.visibility": "account",
    "auth.verify_email": "public",
    "auth.forgot": "public",
    "auth.reset": "public",
    # Issue 17: the JSON API (a bearer token acts with at most its scope: see _role) and webhooks.
    "api.openapi": "public",
    "api.docs": "public",
    "api.session": "public",
    "api.list_pages": "read",
    "api.create_page": "edit",
    "api.get_page": "read",
    "api.update_page": "edit_page",
    "api.history": "read",
    "api.revision": "read",
    "api.diff": "read",
    "api.backlinks": "read",
    "api.search": "read",
    "api.broken_links": "read",  # issue 20
    "api.changes": "read",
    "api.review_list": "read",  # issue 20
    "api.verify": "edit",
    "api.list_paths": "read",  # issue 20
    "api.get_path": "read",
    "api.mark_step": "account",
    "auth.create_token": "account",
    "auth.revoke_token": "account",
    "admin.webhooks": "admin",
    "admin.webhook": "admin",
    "admin.delete_webhook": "admin",
    # issue 16: reading a discussion is reading the page; any account (readers too) takes
    # part; the views refuse what is not one's own (editing others' comments) or locked
    "discussion.discussion": {"GET": "read", "POST": "comment"},
    "discussion.reply": "comment",
    "discussion.status": "comment",
    "discussion.changes": "read",
    "discussion.edit": "comment",
    "discussion.history": "read",
    "discussion.hide": "admin",
    "discussion.lock": "admin",
    # issue 20: tags are read like the pages that name them
    "tags.all_tags": "read",
    "tags.tag": "read",
    "api.list_tags": "read",
    "api.tag_pages": "read",
}

# Endpoints whose POST carries text the user typed: a refusal must come back in the form
# with the text intact, so the view renders it (see access_denied()) instead of a bare 403.
KEEPS_TEXT = {"pages.edit", "pages.conflict"}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    message: str = ""


ALLOWED = Decision(True)


def level_for(endpoint: str, method: str) -> str | None:
    rule = RULES.get(endpoint)
    if isinstance(rule, dict):
        return rule.get(method) or rule.get("*")
    return rule


def decide(level: str, role: str | None, anonymous_access: str, protected: bool = False) -> Decision:
    """The access decision for a visitor with ``role`` (None when not logged in). Pure."""
    rank = ROLE_RANK.get(role or "", 0)
    if level == "public":
        return ALLOWED
    if level == "read":
        if role is not None or anonymous_access == "read":
            return ALLOWED
        return Decision(False, "Log in to read this wiki.")
    if level == "account":
        return ALLOWED if role is not None else Decision(False, "Log in to manage your account.")
    if level == "comment":
        return ALLOWED if role is not None else Decision(False, "Log in to take part in discussions.")
    if level in ("edit", "edit_page"):
        if rank < ROLE_RANK["editor"]:
            if role is None:
                return Decision(False, "Log in to edit pages.")
            return Decision(False, "Your account may read but not edit pages; an administrator can change that.")
        if level == "edit_page" and protected and rank < ROLE_RANK["admin"]:
            return Decision(False, "This page is protected: only administrators may change it.")
        return ALLOWED
    if level == "admin":
        return ALLOWED if rank >= ROLE_RANK["admin"] else Decision(False, "Only administrators may do this.")
    raise ValueError(f"unknown access level {level!r}")


def register(app: Flask) -> None:
    """Check that every route has a rule, and check every request against it."""
    missing = sorted(
        f"{rule.endpoint} {method}"
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
        if level_for(rule.endpoint, method) not in LEVELS
    )
    if missing:
        raise RuntimeError("Routes without an access rule in wiki/web/access.py: " + ", ".join(missing))
    app.before_request(_check_request)


def _page_is_protected() -> bool:
    from wiki.web import lookup  # lookup -> common -> access: imported when first needed

    raw = (request.view_args or {}).get("title")
    if raw is None:
        return False
    _title, page = lookup.find(raw)  # the view reuses this look-up; a bad title is its 404
    return page is not None and page.protection == "admin"


def current_decision(endpoint: str | None = None, method: str | None = None) -> Decision:
    """The decision for the current visitor on ``endpoint`` (default: this request's)."""
    endpoint = endpoint or request.endpoint
    method = method or request.method
    level = level_for(endpoint, "GET" if method == "HEAD" else method)
    if level not in LEVELS:  # a route added after start-up without a rule: closed
        current_app.logger.error("No access rule for %s %s", method, endpoint)
        return Decision(False, "This address is not open to anyone.")
    role = _role()
    protected = level == "edit_page" and ROLE_RANK.get(role or "", 0) >= ROLE_RANK["editor"] and _page_is_protected()
    return decide(level, role, current_app.config["ANONYMOUS_ACCESS"], protected)


def _role() -> str | None:
    """The visitor's role, capped by the scope of the API token they came with: a "read"
    token acts as a reader whatever its user's role; a "write" token with the user's role."""
    if not current_user.is_authenticated:
        return None
    role = current_user.role
    token = g.get("api_token")
    if token is not None and token.scope == "read" and ROLE_RANK.get(role, 0) > ROLE_RANK["reader"]:
        return "reader"
    return role


def _check_request():
    if request.endpoint is None or request.method == "OPTIONS":
        return None  # routing failed: the 404/405 comes from Flask
    decision = current_decision()
    if decision.allowed and request.method not in ("GET", "HEAD") and g.get("api_token") is not None \
            and g.api_token.scope == "read":
        # A read token of a reader passes the "account" level (its own data, issue 20) but writes nothing.
        abort(403, description="This token has the read scope; this needs a token with the write scope.")
    if decision.allowed:
        return None
    if request.path.startswith("/api/"):  # the JSON API: 401 or 403 problem documents, no login form
        from wiki.web.apiauth import TokenRefused  # apiauth -> ratelimit: imported when first needed

        if not current_user.is_authenticated:
            raise TokenRefused(decision.message + " Send a personal access token: “Authorization: Bearer <token>”.")
        if g.get("api_token") is not None and g.api_token.scope == "read" and current_user.role != "reader":
            abort(403, description="This token has the read scope; this needs a token with the write scope.")
        abort(403, description=decision.message)
    if request.endpoint in KEEPS_TEXT and request.method == "POST":
        g.access_denied = decision
        return None
    if not current_user.is_authenticated and request.method == "GET":
        return current_app.login_manager.unauthorized()  # to the login form, and back after
    abort(403, description=decision.message)


def access_denied() -> Decision | None:
    """For KEEPS_TEXT views: the refusal to show with the user's text, if any."""
    return g.get("access_denied")


def may(endpoint: str, method: str = "GET", page=None) -> bool:
    """Template/view helper: may the current visitor use ``endpoint`` (on ``page``)?"""
    level = level_for(endpoint, method)
    role = _role()
    protected = page is not None and getattr(page, "protection", "none") == "admin"
    return decide(level, role, current_app.config["ANONYMOUS_ACCESS"], protected).allowed
