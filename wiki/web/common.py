"""Web-layer glue shared by the blueprints: headers, user loading, template helpers, URLs."""
import hmac
from datetime import datetime
from urllib.parse import urlsplit

from flask import Flask, abort, g, has_request_context, redirect, request, url_for

from wiki.web import outages
from wiki.web.access import may
from wiki.web.requestlog import USER_KEY
from wiki.extensions import db, login_manager
from wiki.core.markup import slugify_heading
from wiki.models import User, utcnow
from wiki.services import links
from wiki.core.titles import leaf_name, title_to_url_path

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# On every response (wiki.web.caching.FastPageViews adds them to the answers it gives itself).
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)


def register(app: Flask) -> None:
    """Attach response headers, the user loader and template helpers to ``app``."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.user_loader(_load_user)
    app.after_request(_security_headers)
    app.before_request(_refuse_nul)
    app.add_template_filter(format_time, "time")
    app.add_template_filter(format_size_change, "size_change")
    app.add_template_filter(slugify_heading, "heading_id")
    app.add_template_global(wiki_url)
    app.add_template_global(can_edit)
    app.add_template_global(breadcrumb_parents)
    app.add_template_global(may)
    app.add_template_global(utcnow, "now")
    app.add_template_global(title_of)


def _load_user(session_id: str) -> User | None:
    """The session's account, unless it was deactivated or its password changed since."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not hmac.compare_digest(user.session_token, token):
        return None
    # Read now, while the database answers: the request log line and the outage page
    # (wiki.web.outages) show who this is without loading the user again (after a commit
    # that would be a query, and it could fail).
    outages.remember_viewer(user)
    if has_request_context():
        request.environ[USER_KEY] = user.username
    return user


# The edit form refuses NUL itself (keeping the user's text); the preview stores nothing.
_NUL_CHECKED_BY_VIEW = {"pages.edit", "pages.preview"}


def _refuse_nul():
    """A NUL in a query or form value is refused with 400: PostgreSQL text cannot hold it, and
    no title, name or search can contain it. Without this, SQLite and PostgreSQL would differ."""
    if request.endpoint in _NUL_CHECKED_BY_VIEW:
        return
    values = list(request.args.values())
    if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
        values += request.form.values()
    if any("\x00" in value for value in values):
        # The JSON API answers 422: the value fits its schema but no wiki value can hold it.
        abort(422 if request.path.startswith("/api/") else 400,
              description="The request contains a NUL character (U+0000), which Nexus cannot store "
                          "or look up. Remove it and try again.")


def _security_headers(response):
    headers = response.headers
    for name, value in SECURITY_HEADERS:
        if name not in headers:
            headers.add(name, value)
    return response


def can_edit(page=None) -> bool:
    """Whether the current user may edit pages (``page``: this one, minding its protection)."""
    return may("pages.edit", "POST", page)


def breadcrumb_parents(title: str) -> tuple:
    """The parents of ``title`` for its breadcrumbs (wiki.services.links.Parent: name, title,
    exists), looked up once per request: the page cache's validator (web.caching) and the
    template both ask."""
    cache = g.setdefault("nexus_parents", {})
    if title not in cache:
        cache[title] = links.parents(title)
    return cache[title]


def wiki_url(endpoint: str, title: str, **values) -> str:
    """url_for a page endpoint, with the title in its canonical URL spelling."""
    return url_for(endpoint, title=title_to_url_path(title), **values)


def canonical_redirect(endpoint: str, raw_title: str, title: str, **values):
    """A 301 to the canonical URL when the title came spelled otherwise, else None."""
    if raw_title == title_to_url_path(title):
        return None
    query = request.query_string.decode("utf-8", "replace")
    url = wiki_url(endpoint, title, **values)
    return redirect(url + ("?" + query if query else ""), code=301)


def is_safe_next(target: str | None) -> bool:
    """True only for a local path: no scheme, no host, no backslash or control tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def title_of(page, revision=None) -> str:
    """What people read as a page's title: the display title (of ``revision`` when given, else
    of the current revision), else the last part of its path."""
    shown = (revision.display_title if revision is not None else getattr(page, "display_title", "")) or ""
    return shown or leaf_name(page.title)


def format_time(value: datetime | None) -> str:
    """A timestamp as readers see it: '2026-11-25 14:03 UTC'."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def format_size_change(delta: int) -> str:
    """A byte count change with its sign: '+120', '−5', '0'."""
    if delta > 0:
        return f"+{delta:,}"
    if delta < 0:
        return f"−{-delta:,}"
    return "0"
