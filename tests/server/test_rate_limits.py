"""Rate limits across processes: gunicorn with 2 workers sharing the limits through Redis.

Uses the session's Redis (the ``redis_url`` fixture: a private redis-server, or the one of
NEXUS_TEST_REDIS_URL). A missing Redis fails this test, it never skips it: multi-process
deployments depend on it.
"""
import http.client
import re
import uuid
from urllib.parse import urlencode

import pytest

from tests.server.test_concurrent_saves import server  # noqa: F401 (fixture)

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def server_env(redis_url):
    return {
        "NEXUS_RATELIMIT_STORAGE_URI": redis_url,
        "NEXUS_RATELIMIT_KEY_PREFIX": "nexus-test-" + uuid.uuid4().hex,  # counters of this test only
        "NEXUS_LOGIN_FAILURES_PER_ACCOUNT": "3 per minute",
    }


def attempt(port: int, username: str, password: str):
    """A failed login from a brand-new connection and session (may land on either worker)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/-/login")
    response = conn.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    conn.request("POST", "/-/login", body=urlencode({
        "csrf_token": TOKEN.search(html).group(1), "username": username, "password": password}),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    return response.status, response.getheader("Retry-After"), body


def test_redis_is_there(redis_url):
    import redis

    with redis.Redis.from_url(redis_url) as client:
        assert client.ping(), f"Redis at {redis_url} does not answer"


def test_failed_logins_are_counted_across_workers(make_user, server):  # noqa: F811
    make_user("alice")
    statuses = [attempt(server, "alice", "wrong password")[0] for _ in range(8)]
    # Two workers with their own memory would allow 3 each; the shared store allows 3 in all.
    assert statuses[:3] == [200, 200, 200]
    assert set(statuses[3:]) == {429}
    status, retry_after, body = attempt(server, "alice", "wrong password")
    assert status == 429
    assert retry_after is not None and 1 <= int(retry_after) <= 60
    assert "Too many failed logins for this account" in body
    assert "Traceback" not in body
    # Another account is not locked by alice's attacker.
    make_user("bob")
    assert attempt(server, "bob", "wrong password")[0] == 200
