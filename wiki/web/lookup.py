"""The edge where request values become domain values, shared by the blueprints.

A URL title is normalized here once (``load``) and handed on as a ``Title`` or a page;
query arguments are parsed here with a clear 400 or 404. Blueprints import these instead
of each other's views, so every blueprint stands alone.
"""
from flask import abort, g, request

from wiki.core.titles import InvalidTitle, Title
from wiki.services import pages as page_service
from wiki.web import outages
from wiki.web.common import canonical_redirect


def find(raw_title: str):
    """(Title, live page or None) for a URL title, looked up once per request (the access
    check and the view both need it); (InvalidTitle, None) for a title no page can have."""
    found = g.setdefault("nexus_titles", {})
    if raw_title not in found:
        try:
            title = Title.parse(raw_title)
        except InvalidTitle as error:
            found[raw_title] = (error, None)
        else:
            page = page_service.find_page(title)
            if page is not None:
                title = Title(page.title, page.title_key)  # the spelling first saved is the one shown
            found[raw_title] = (title, page)
            outages.remember_page(raw_title, title, page)
    return found[raw_title]


def load_title(raw_title: str):
    """(Title, live page or None) for a URL title; 404 for a title no page can have."""
    if "/-/" in f"/{raw_title}/":  # e.g. a GET of a POST-only action such as /-/revert/3
        abort(404, description="There is no such page action.")
    title, page = find(raw_title)
    if isinstance(title, InvalidTitle):
        abort(404, description=f"No page can have this title: {title}")
    return title, page


def load(raw_title: str):
    """(display title, live page or None) for a URL title; 404 for a title no page can have."""
    title, page = load_title(raw_title)
    return title.display, page


def live_page(title: str, endpoint: str, **values):
    """(page, redirect-or-None) for a URL title; 404 if there is no such page."""
    display, page = load(title)
    if page is None:
        abort(404, description=f"There is no page called “{display}”.")
    return page, canonical_redirect(endpoint, title, page.title, **values)


def parse_title(text: str) -> Title | None:
    """The Title for a value typed by a user (a search, a query argument), or None."""
    try:
        return Title.parse(text)
    except InvalidTitle:
        return None


def int_arg(name: str, default: int | None) -> int | None:
    """An integer query argument; 400 with a clear message if it is not one."""
    value = request.args.get(name)
    if value is None or value == "":
        return default
    if not value.isdigit() or len(value) > 9:
        abort(400, description=f"“{name}” must be a revision number.")
    return int(value)
