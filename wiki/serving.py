"""Running behind a reverse proxy: trusted forwarded headers, cache-safe static URLs."""
import hashlib
import os
from functools import lru_cache

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.security import safe_join


def register(app: Flask) -> None:
    """Trust ``PROXY_FIX`` proxies' X-Forwarded-* headers; version static file URLs."""
    proxies = app.config.get("PROXY_FIX", 0)
    # bool is an int too; NEXUS_PROXY_FIX=true is a mistake worth refusing to start over.
    if isinstance(proxies, bool) or not isinstance(proxies, int) or proxies < 0:
        raise ValueError(f"PROXY_FIX must be the number of trusted proxies (0, 1, ...), not {proxies!r}")
    if proxies:
        # X-Forwarded-For/-Proto/-Host from that many proxies; never X-Forwarded-Prefix,
        # which no proxy of ours sets and a client could otherwise forge.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=0)
    app.url_defaults(_static_version)


def _static_version(endpoint: str, values: dict) -> None:
    """``url_for('static', filename=f)`` gains ``?v=<content hash>``: a proxy may then cache
    static files for a year, and an upgrade that changes a file changes its URL."""
    if endpoint != "static" or "v" in values or "filename" not in values:
        return
    from flask import current_app

    path = safe_join(current_app.static_folder, values["filename"])
    try:
        if path is None:
            return  # outside the static folder: the static view answers 404 anyway
        stat = os.stat(path)
    except OSError:
        return  # a missing file answers 404 with or without a version
    values["v"] = _file_hash(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _file_hash(path: str, _mtime_ns: int, _size: int) -> str:
    """The file's content hash, recomputed only when its modification time or size changes."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:12]
