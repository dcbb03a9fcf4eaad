"""The wiki's own address: absolute URLs come from configuration, never from the Host header.

A client chooses the Host header, so a URL built from it can point anywhere (issue 24: both
Atom feeds, and the redirect of ``/wiki//Home``, carried ``http://evil.example``). Nexus:

- **redirects relatively**: ``Location: /wiki/Home``, with no host at all. Werkzeug's own
  redirects (merged slashes, a missing trailing slash) are built absolute from the request's
  host; ``_relative_location`` takes the host off;
- **builds absolute URLs** (feeds, invitation links, mail to come) with ``absolute(path)``
  from, in this order:
  1. ``PUBLIC_URL`` (``NEXUS_PUBLIC_URL=https://wiki.example.org``), the recommended setting;
  2. Flask's ``SERVER_NAME``, with the request's scheme;
  3. the request's host when Flask's ``TRUSTED_HOSTS`` is set: a request for any other host
     is refused with 400 before a view runs (answered here without a template: URLs cannot
     be built for such a request);
  and with none of them (``make run`` on 127.0.0.1) there is no absolute URL: feeds link
  relatively (readers resolve links against the feed's own URL) and identify themselves and
  their entries with ``urn:uuid:`` ids (``atom_id``), which Atom allows and which never
  change with the host.
"""
import hashlib
import hmac
import uuid
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, current_app, request
from markupsafe import escape
from werkzeug.exceptions import SecurityError
from werkzeug.utils import redirect
from werkzeug.wsgi import get_host


def register(app: Flask) -> None:
    """Check PUBLIC_URL, and make every redirect relative."""
    app.config["PUBLIC_URL"] = check_public_url(app.config.get("PUBLIC_URL"))
    app.after_request(_relative_location)
    app.add_template_global(absolute_or_path)
    app.add_template_global(atom_id)


def check_public_url(value) -> str | None:
    """``https://wiki.example.org`` (no path, query or fragment) without a trailing slash, or
    None; anything else stops the app at start-up."""
    if value in (None, ""):
        return None
    parts = urlsplit(value) if isinstance(value, str) else None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.username
            or parts.password or parts.path not in ("", "/") or parts.query or parts.fragment):
        raise ValueError(f"PUBLIC_URL must be the wiki's address such as https://wiki.example.org (a scheme and a "
                         f"host, no path), not {value!r}")
    return urlunsplit((parts.scheme, parts.netloc.lower(), "", "", ""))


def base_url() -> str | None:
    """``scheme://host`` the wiki may put in an absolute URL, or None when none is configured."""
    config = current_app.config
    if config.get("PUBLIC_URL"):
        return config["PUBLIC_URL"]
    if config.get("SERVER_NAME"):
        return f"{request.scheme}://{config['SERVER_NAME']}"
    if config.get("TRUSTED_HOSTS") is not None:
        return f"{request.scheme}://{request.host}"  # Flask refused the request if it were not trusted
    return None


def absolute(path: str) -> str | None:
    """``path`` (as url_for makes it: starting with ``/``) on the configured host, or None."""
    base = base_url()
    return base + path if base is not None else None


def absolute_or_path(path: str) -> str:
    """An absolute URL when a host is configured, else ``path`` as it is (a relative link)."""
    return absolute(path) or path


def atom_id(path: str, *identity) -> str:
    """An Atom id (RFC 4287 4.2.6: an absolute IRI): the URL of ``path`` on the configured
    host, else a ``urn:uuid:`` named by ``identity`` (what makes the entry itself, such as the
    page id, revision number and time of saving) in a namespace of this wiki's own."""
    url = absolute(path)
    if url is not None:
        return url
    return uuid.uuid5(_namespace(), "\x1f".join(map(str, identity or (path,)))).urn


def _namespace() -> uuid.UUID:
    """Derived from the secret key (which reveals nothing of it): ids differ between wikis."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return uuid.UUID(bytes=hmac.new(key, b"nexus atom ids", hashlib.sha256).digest()[:16])


def _relative_location(response):
    """Take the host off a redirect to this wiki (Werkzeug builds its own ones absolute)."""
    location = response.headers.get("Location")
    if not location or "://" not in location:
        return response
    parts = urlsplit(location)
    if parts.scheme in ("http", "https") and parts.netloc and parts.netloc.lower() in _own_hosts():
        path = "/" + parts.path.lstrip("/")  # never "//host": that would be another site
        relative = urlunsplit(("", "", path, parts.query, parts.fragment))
        response.headers["Location"] = relative
        if response.mimetype == "text/html" and not response.direct_passthrough:
            response.set_data(redirect(relative, response.status_code).get_data())  # its link too
    return response


def _own_hosts() -> set[str]:
    config = current_app.config
    hosts = {request.environ.get("HTTP_HOST", "").lower(), request.environ.get("SERVER_NAME", "").lower()}
    if config.get("SERVER_NAME"):
        hosts.add(config["SERVER_NAME"].lower())
    if config.get("PUBLIC_URL"):
        hosts.add(urlsplit(config["PUBLIC_URL"]).netloc)
    return hosts - {""}


def trusted(environ, config) -> bool:
    """For FastPageViews: would Flask accept this request's host (TRUSTED_HOSTS)?"""
    if config.get("TRUSTED_HOSTS") is None:
        return True
    try:
        get_host(environ, config["TRUSTED_HOSTS"])
    except SecurityError:
        return False
    return True


def refused_host_page() -> tuple[str, int]:
    """400 for a host not in TRUSTED_HOSTS: no template (URLs cannot be built for it), and
    nothing of the host it sent."""
    stylesheet = escape(request.script_root + (current_app.static_url_path or "/static") + "/css/nexus.css")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Unknown host · '
            f'{escape(current_app.config["SITE_NAME"])}</title><link rel="stylesheet" href="{stylesheet}"></head>'
            '<body><main class="main"><section class="narrow error-page"><p class="status-code">400</p>'
            '<h1>That request could not be understood</h1><p>This wiki does not answer to the host name the '
            'request was sent to.</p></section></main></body></html>'), 400
