"""The header's notification count and the page's watch state, read once per request.

Only for logged-in users: anonymous page views (both cached doors of wiki.web.caching) never
query for them. The count is part of a logged-in page view's validator (``viewer_state``),
so a 304 never brings back a page with yesterday's count.
"""
from flask import Flask, g
from flask_login import current_user

from wiki.services import notifications, viewers, watching
from wiki.web.outages import OfflineUser


def register(app: Flask) -> None:
    app.add_template_global(unread_notifications)
    app.add_template_global(watching_page)


def _offline() -> bool:
    """The database is unreachable (wiki.web.outages): the header shows no count."""
    return isinstance(current_user._get_current_object(), OfflineUser)


def unread_notifications() -> int:
    """The current user's unread notifications (0 for visitors, and during an outage): one
    indexed COUNT, once a request."""
    if not current_user.is_authenticated or _offline():
        return 0
    if "nexus_unread" not in g:
        g.nexus_unread = notifications.unread_count(current_user.id)
    return g.nexus_unread


def watching_page(page) -> bool:
    """Whether the current user watches ``page`` (directly or by a prefix), once a request."""
    if not current_user.is_authenticated or page is None or _offline():
        return False
    cache = g.setdefault("nexus_watching", {})
    if page.id not in cache:
        cache[page.id] = watching.is_watching(current_user.id, page)
    return cache[page.id]


def viewer_state(page=None) -> str:
    """What a logged-in view's bytes depend on beyond the page: the count, the watch button."""
    return f"{unread_notifications()}:{int(watching_page(page))}"


def prime(page) -> None:
    """Read the count and ``page``'s watch state in one query (wiki.web.frames' cached path)."""
    if not current_user.is_authenticated or page is None or _offline():
        return
    cache = g.setdefault("nexus_watching", {})
    if "nexus_unread" in g or page.id in cache:
        return
    g.nexus_unread, cache[page.id] = viewers.header_state(current_user.id, page.id, page.title_key)
