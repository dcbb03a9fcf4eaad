"""HTTP caching: validators and 304 answers for page views, cache headers for static files.

Page HTML differs per viewer (name, role, edit links, the CSRF token of the logout form,
flashed messages) and changes without a new revision when its links are rendered again
(a linked page was created or deleted). So a page's validator is a hash of everything its
bytes depend on: the revision, a hash of its stored HTML, the page's title, the viewer
(user id, role, name and a hash of the session's CSRF token) and the application version
(a hash of the code, templates and static files, computed once at start-up). A response
that carries a flashed message gets no validator and is never answered with 304.

The ETag is weak: a logged-in viewer's page embeds a freshly signed (timestamped) CSRF
token, so two equivalent responses need not be byte-identical.

Static URLs made by ``url_for('static', ...)`` carry ``?v=<hash of the file>``; a request
with the current hash is cached for a year (``immutable``), any other for a few minutes.
"""
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask, current_app, g, request, session
from flask_login import current_user
from sqlalchemy import func, select

from wiki.extensions import db
from wiki.models import Revision

IMMUTABLE = "public, max-age=31536000, immutable"
STATIC_SHORT = "public, max-age=300"
PAGE_CACHE_CONTROL = "private, no-cache"
EXTENSION = "nexus.caching"


@dataclass(frozen=True)
class Versions:
    app: str  # hash of code, templates and static files: changes with every deployment
    built: datetime  # newest modification time among those files
    static: dict[str, str]  # static file path (as in url_for) -> hash of its content


def register(app: Flask) -> None:
    """Compute the versions once, version static URLs, add cache headers to responses."""
    app.extensions[EXTENSION] = _versions(app)
    app.url_defaults(_static_version)
    app.after_request(_cache_headers)


def _digest(data: bytes, size: int = 16) -> str:
    return hashlib.blake2b(data, digest_size=size).hexdigest()


def _files(folder: str | None):
    if not folder or not os.path.isdir(folder):
        return
    for root, _dirs, names in os.walk(folder):
        for name in names:
            yield Path(root) / name


def _versions(app: Flask) -> Versions:
    static, whole, newest = {}, hashlib.blake2b(digest_size=16), 0.0
    static_root = Path(app.static_folder) if app.static_folder else None
    for path in sorted(_files(app.static_folder)):
        content = path.read_bytes()
        static[path.relative_to(static_root).as_posix()] = _digest(content, 6)
    code_root = Path(__file__).resolve().parent
    for path in sorted([*_files(app.template_folder), *_files(app.static_folder), *code_root.rglob("*.py")]):
        whole.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
        newest = max(newest, path.stat().st_mtime)
    whole.update(str(app.config.get("SITE_NAME")).encode())
    built = datetime.fromtimestamp(int(newest), timezone.utc)
    return Versions(app=whole.hexdigest(), built=built, static=static)


def versions() -> Versions:
    return current_app.extensions[EXTENSION]


def _static_version(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "v" not in values:
        version = current_app.extensions[EXTENSION].static.get(values.get("filename", ""))
        if version:
            values["v"] = version


def _viewer() -> str:
    """Who is looking, as far as the page's bytes depend on it."""
    if not current_user.is_authenticated:
        return "anonymous"
    token = session.get("csrf_token") or ""
    return f"{current_user.get_id()}:{current_user.role}:{current_user.username}:{_digest(token.encode(), 8)}"


def not_modified(kind: str, page, revision, *extra):
    """A 304 response if the client's copy of this page view is current, else None.

    ``kind`` names the view ("view", "revision"); ``extra`` is anything else the view
    shows (e.g. the page it was redirected from). Call it just before rendering; the
    response then gets the validators from an after-request hook.
    """
    if request.method not in ("GET", "HEAD") or session.get("_flashes"):
        return None  # a flashed message is shown once: always render, never validate
    author = revision.author.username if revision.author_id is not None and revision.author else ""
    parts = (
        kind, versions().app, page.id, page.title, page.protection, page.current_revision_id,
        revision.id, revision.number, _digest(revision.html.encode()), _digest((revision.toc or "").encode()),
        author, _viewer(), *extra,
    )
    etag = _digest("\x1f".join(map(str, parts)).encode())
    modified = max(revision.created_at, versions().built).replace(microsecond=0)
    g.nexus_validators = (etag, modified)
    if request.if_none_match:
        fresh = request.if_none_match.contains_weak(etag)
    elif request.if_modified_since is not None:
        fresh = _unchanged_since(request.if_modified_since, modified)
    else:
        fresh = False
    return current_app.response_class(status=304) if fresh else None


def _unchanged_since(since: datetime, modified: datetime) -> bool:
    """If-Modified-Since alone (clients that keep no ETag): dates cannot say who is looking,
    nor when stored HTML was rendered again, so only an anonymous viewer is answered, and
    only if nothing at all was saved in the wiki since (a save elsewhere may have turned
    one of this page's links blue). Deleting or restoring a linked page records no time:
    such a change shows in the ETag, not here."""
    if current_user.is_authenticated or modified > since:
        return False
    newest = db.session.scalar(select(func.max(Revision.created_at)))
    return newest is None or newest.replace(microsecond=0) <= since


def _cache_headers(response):
    validators = g.pop("nexus_validators", None)
    if validators is not None and response.status_code in (200, 304):
        etag, modified = validators
        response.set_etag(etag, weak=True)
        response.last_modified = modified
        response.headers["Cache-Control"] = PAGE_CACHE_CONTROL
    elif request.endpoint == "static" and response.status_code in (200, 304):
        filename = (request.view_args or {}).get("filename", "")
        version = request.args.get("v")
        current = versions().static.get(filename)
        response.headers["Cache-Control"] = IMMUTABLE if version and version == current else STATIC_SHORT
    elif response.mimetype == "text/html" and "Cache-Control" not in response.headers:
        # Any other page is per viewer too: a shared cache must not keep it.
        response.headers["Cache-Control"] = PAGE_CACHE_CONTROL
    return response
