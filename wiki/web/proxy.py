"""Running behind a reverse proxy: trusted forwarded headers. (Static URL versions: wiki.web.caching.)"""
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def register(app: Flask) -> None:
    """Trust ``PROXY_FIX`` proxies' X-Forwarded-* headers."""
    proxies = app.config.get("PROXY_FIX", 0)
    # bool is an int too; NEXUS_PROXY_FIX=true is a mistake worth refusing to start over.
    if isinstance(proxies, bool) or not isinstance(proxies, int) or proxies < 0:
        raise ValueError(f"PROXY_FIX must be the number of trusted proxies (0, 1, ...), not {proxies!r}")
    if proxies:
        # X-Forwarded-For/-Proto/-Host from that many proxies; never X-Forwarded-Prefix,
        # which no proxy of ours sets and a client could otherwise forge.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=0)

