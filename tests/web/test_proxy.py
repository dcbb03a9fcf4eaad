"""Behind a reverse proxy: X-Forwarded-* are trusted only when PROXY_FIX says how many proxies."""
import logging
import re

import pytest
from flask import request

from wiki import create_app
from wiki.web import access

FORWARDED = {
    "X-Forwarded-For": "198.51.100.66, 203.0.113.7",  # a client's forgery, then what nginx saw
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "wiki.example.org",
}


@pytest.fixture
def seen(app, monkeypatch):
    """What the app saw of the request (its URL) and what it logged (the ip)."""
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("nexus.request").addHandler(handler)

    monkeypatch.setitem(access.RULES, "url", "public")  # every route needs an access rule

    @app.get("/-/test-url")
    def url():
        return request.url

    def get():
        url_seen = app.test_client().get("/-/test-url", headers=FORWARDED).get_data(as_text=True)
        return url_seen, records[-1].nexus_request["ip"]

    yield get
    logging.getLogger("nexus.request").removeHandler(handler)


def test_forwarded_headers_are_ignored_by_default(seen):
    """A client talking to the app directly must not choose its logged address or scheme."""
    assert seen() == ("http://localhost/-/test-url", "127.0.0.1")


@pytest.mark.parametrize("app_config", [{"PROXY_FIX": 1}])
def test_one_trusted_proxy_supplies_scheme_host_and_client_address(seen):
    # Only the last X-Forwarded-For entry (added by the one proxy) is believed.
    assert seen() == ("https://wiki.example.org/-/test-url", "203.0.113.7")


@pytest.mark.parametrize("app_config", [{"PROXY_FIX": 2}])
def test_two_trusted_proxies_take_the_second_to_last_address(seen):
    assert seen()[1] == "198.51.100.66"


@pytest.mark.parametrize("value", [True, -1, "1", 1.5])
def test_a_wrong_proxy_count_stops_the_app_from_starting(value):
    with pytest.raises(ValueError, match="PROXY_FIX"):
        create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", "PROXY_FIX": value})

