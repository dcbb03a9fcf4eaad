"""Small helpers the process-level tests share: free ports, an HTTP client with cookies, and
PostgreSQL databases of a test module's own."""
import http.client
import os
import socket
from urllib.parse import urlencode

import pytest


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_request(port: int, method: str, path: str, cookies: dict, form: dict | None = None,
                 timeout: float = 60, headers: dict | None = None):
    """One request to 127.0.0.1:``port`` as a browser makes it: sends ``cookies``, posts ``form``
    URL-encoded, and keeps the cookies the answer sets. Returns (response, decoded body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    sent = dict(headers or {})
    if cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form)
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        text = response.read().decode()
    finally:
        conn.close()
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            cookies[name] = rest.split(";", 1)[0]
    return response, text


def require_postgresql(url: str, what: str) -> None:
    """Tests that only mean something on PostgreSQL: skipped without ``TEST_DATABASE_URL``,
    except in CI, where they must run."""
    if url:
        return
    if os.environ.get("CI"):
        pytest.fail(f"TEST_DATABASE_URL is not set: CI must run {what} against PostgreSQL.", pytrace=False)
    pytest.skip("TEST_DATABASE_URL is not set (CI sets it and fails without it)")
