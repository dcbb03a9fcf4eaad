"""Per-user fragments of a page view (issue 21): what one logged-in user sees differently from
another user with the same role.

A logged-in page view is a *frame*, shared by every viewer with the same role and kept per
process (wiki.web.frames), and *fragments*: small pieces of HTML that depend on who is looking
(the header's name, notification count and logout form; the page's watch button). A template
places a fragment with ``{{ viewer_fragment("name", page) }}``; in a frame that is a marker,
replaced by the fragment for each request.

To add a per-user bit to the page view, register a fragment (``add``) instead of reading the
user in the page's template:

- ``name``: what the template passes to ``viewer_fragment``;
- ``state(page)``: everything its bytes depend on besides the user's id, session, name and
  role and the page's id and title (e.g. a count, a flag). It is called on every logged-in
  page view, cached or not, so it must be cheap (one indexed query at most; memoize per
  request in ``flask.g``), and it is part of the page's ETag: a changed state is never
  answered with 304;
- ``template``: renders it, given ``page`` and ``state``. ``page`` may be the ORM page or a
  ``PageRef`` (id, title, title_key, protection): use only those attributes.

Fragments are cached per (name, user, page, state); a CSRF token in them (``csrf_token()``) is
a marker too, replaced by the session's token when the response is assembled.
"""
import re
import secrets
import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Hashable, NamedTuple

from flask import Flask, current_app, g, render_template
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from wiki.web import inbox

# Secret per process: page text cannot contain them (it would have to know this value).
NONCE = secrets.token_hex(12)
CSRF_MARK = f"nexuscsrf{NONCE}"  # letters and digits only: unchanged by HTML escaping
_MARK = "<!--nexus-fragment:" + NONCE + ":{}-->"
MARKS = re.compile("<!--nexus-fragment:" + NONCE + r":([a-z0-9_]+)-->")
CACHE_ENTRIES = 4096


class PageRef(NamedTuple):
    """What a fragment may know of its page (the frames' cached path has no ORM page)."""
    id: int
    title: str
    title_key: str
    protection: str


@dataclass(frozen=True)
class Fragment:
    name: str
    state: Callable[[object], Hashable]
    template: str


FRAGMENTS: dict[str, Fragment] = {}


def add(name: str, state: Callable[[object], Hashable], template: str) -> None:
    """Register a per-user fragment of page views (see the module's docstring)."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"fragment names are lowercase letters, digits and _: {name!r}")
    FRAGMENTS[name] = Fragment(name, state, template)


class _Cache:
    def __init__(self, limit: int):
        self.limit, self.entries, self.lock = limit, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self.lock:
            self.entries[key] = value
            while len(self.entries) > self.limit:
                self.entries.popitem(last=False)


_cache = _Cache(CACHE_ENTRIES)


def register(app: Flask) -> None:
    add("account", lambda page: inbox.unread_notifications(), "_viewer/account.html")
    add("watch", lambda page: inbox.watching_page(page), "_viewer/watch.html")
    app.add_template_global(viewer_fragment)


def viewer_fragment(name: str, page=None) -> Markup:
    """Template global: the fragment for the current user (a marker while a frame renders)."""
    if g.get("nexus_frame"):
        return Markup(_MARK.format(name))
    return Markup(with_token(html(name, page)))


def state_of(name: str, page) -> Hashable:
    return FRAGMENTS[name].state(page)


def viewer_state(page=None) -> str:
    """What a logged-in view's bytes depend on beyond the page, the user and the session."""
    return ":".join(str(_int(state_of(name, page))) for name in FRAGMENTS)


def _int(value):
    return int(value) if isinstance(value, bool) else value


def html(name: str, page) -> str:
    """The fragment ``name`` of ``page`` for the current user, CSRF tokens as markers."""
    fragment = FRAGMENTS[name]
    state = fragment.state(page)
    key = (name, current_user.get_id(), current_user.username, current_user.role,
           getattr(page, "id", None), getattr(page, "title", None), state)
    text = _cache.get(key)
    if text is None:
        with marked_csrf():
            text = render_template(fragment.template, page=page, state=state)
        _cache.put(key, text)
    return text


def cached(name: str, session_id: str, username: str, role: str, page, state) -> str | None:
    """The kept fragment, if any (wiki.web.frames' door in front of Flask: it renders none)."""
    return _cache.get((name, session_id, username, role, page.id, page.title, state))


@contextmanager
def marked_csrf():
    """While rendering, ``csrf_token()`` gives CSRF_MARK (Flask-WTF keeps the request's token
    in ``g``); the real token is put in by ``with_token``."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    saved = g.pop(field, None)
    setattr(g, field, CSRF_MARK)
    try:
        yield
    finally:
        g.pop(field, None)
        if saved is not None:
            setattr(g, field, saved)


def with_token(text: str) -> str:
    """``text`` with the session's CSRF token in place of the markers."""
    return text.replace(CSRF_MARK, generate_csrf()) if CSRF_MARK in text else text
