"""No URL the wiki emits carries a host it was not configured with (issue 24): redirects are
relative, feeds and invitation links use PUBLIC_URL (or SERVER_NAME, or a host TRUSTED_HOSTS
allows), and a request for a host outside TRUSTED_HOSTS is refused."""
import re
import uuid
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import post_form
from wiki import create_app
from wiki.extensions import db
from wiki.web import hosts

EVIL = {"Host": "evil.example"}
ATOM = "{http://www.w3.org/2005/Atom}"
# Everything a visitor, an editor or an admin can GET, with the ways Werkzeug and Flask-Login redirect.
URLS = ["/", "/wiki/Home", "/wiki//Home", "/wiki/home", "/wiki/Home/", "/wiki/Home/-/history", "/wiki/Home/-/history.atom",
        "/wiki/Home/-/revisions/1", "/wiki/Home/-/diff?from=1&to=2", "/wiki/Home/-/edit", "/wiki/Home/-/rename",
        "/-/recent", "/-/recent.atom", "/-/recent.atom?hideminor=1", "/-/new?title=X", "/-/login", "/-/account",
        "/-/admin/users", "/-/admin/users/", "/-/admin/invitations", "/healthz", "/static/css/nexus.css", "/nothing"]


@pytest.fixture
def app_config():
    return {"PROPAGATE_EXCEPTIONS": False}


def feed(response):
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.get_data())
    entries = root.findall(f"{ATOM}entry")
    return root, entries


def links(element):
    return {link.get("rel"): link.get("href") for link in element.findall(f"{ATOM}link")}


def assert_no_foreign_host(response, allowed=()):
    text = response.get_data(as_text=True) + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    response.close()
    assert "evil.example" not in text, text[:3000]
    for url in re.findall(r"\bhttps?://[^\s\"'<>]+", text):
        host = re.match(r"https?://([A-Za-z0-9.-]+)", url).group(1)
        assert host in allowed or host.endswith(("w3.org", "example.org")), url


@pytest.fixture
def evil_client(client):
    """A browser on evil.example: every request (logging in too) names that host, so the
    session cookie works there."""
    client.environ_base["HTTP_HOST"] = "evil.example"
    return client


@pytest.fixture
def wiki_with_history(make_user, make_page):
    admin = make_user("root", role="admin")
    make_page("Home", "Welcome", author=admin)
    make_page("Home", "Welcome home", author=admin)
    return admin


def test_nothing_configured_redirects_relatively_and_feeds_name_no_host(app, evil_client, wiki_with_history, login):
    client = evil_client
    for url in URLS:
        assert_no_foreign_host(client.get(url, headers=EVIL))
    response = client.get("/wiki//Home", headers=EVIL)
    assert response.status_code == 308 and response.headers["Location"] == "/wiki/Home"
    root, entries = feed(client.get("/-/recent.atom", headers=EVIL))
    assert root.find(f"{ATOM}id").text.startswith("urn:uuid:")
    assert links(root) == {"self": "/-/recent.atom", "alternate": "/-/recent"}
    ids = [entry.find(f"{ATOM}id").text for entry in entries]
    assert len(ids) == 2 and all(uuid.UUID(i[len("urn:uuid:"):]) for i in ids) and len(set(ids)) == 2
    assert links(entries[0])["alternate"] == "/wiki/Home/-/diff?to=2&from=1"
    again = feed(client.get("/-/recent.atom", headers={"Host": "other.example"}))
    assert [entry.find(f"{ATOM}id").text for entry in again[1]] == ids  # ids never depend on the host
    root, _ = feed(client.get("/wiki/Home/-/history.atom", headers=EVIL))
    assert links(root) == {"self": "/wiki/Home/-/history.atom", "alternate": "/wiki/Home"}
    login("root")
    assert "Log out" in client.get("/-/recent").get_data(as_text=True)
    for url in URLS:
        assert_no_foreign_host(client.get(url))
    response = post_form(client, "/-/admin/invitations", {"role": "editor", "days": "7", "note": "x"})
    page = response.get_data(as_text=True)
    assert re.search(r'value="/-/register\?invite=[0-9a-f]{40}"', page) and "NEXUS_PUBLIC_URL" in page
    assert_no_foreign_host(response)


@pytest.fixture
def public(app):
    app.config["PUBLIC_URL"] = "https://wiki.example.org"
    return app


def test_public_url_is_the_only_host_in_feeds_and_invitations(public, evil_client, wiki_with_history, login):
    client = evil_client
    for url in URLS:
        assert_no_foreign_host(client.get(url, headers=EVIL), allowed={"wiki.example.org"})
    response = client.get("/wiki//Home", headers=EVIL)
    assert response.headers["Location"] == "/wiki/Home"
    root, entries = feed(client.get("/-/recent.atom?hideminor=1", headers=EVIL))
    assert root.find(f"{ATOM}id").text == "https://wiki.example.org/-/recent.atom?hideminor=1"
    assert links(root) == {"self": "https://wiki.example.org/-/recent.atom?hideminor=1",
                           "alternate": "https://wiki.example.org/-/recent"}
    assert entries[0].find(f"{ATOM}id").text == "https://wiki.example.org/wiki/Home/-/revisions/2"
    assert links(entries[0])["alternate"] == "https://wiki.example.org/wiki/Home/-/diff?to=2&from=1"
    root, _ = feed(client.get("/wiki/Home/-/history.atom", headers=EVIL))
    assert links(root)["alternate"] == "https://wiki.example.org/wiki/Home"
    login("root")
    for url in URLS:
        assert_no_foreign_host(client.get(url), allowed={"wiki.example.org"})
    response = post_form(client, "/-/admin/invitations", {"role": "editor", "days": "7", "note": "x"})
    assert re.search(r'value="https://wiki\.example\.org/-/register\?invite=[0-9a-f]{40}"',
                     response.get_data(as_text=True))


def test_trusted_hosts_refuse_any_other_host_at_both_doors(app, client, make_page):
    app.config["TRUSTED_HOSTS"] = ["wiki.example.org", "127.0.0.1"]
    make_page("Home", "Welcome")
    good = {"Host": "wiki.example.org"}
    assert client.get("/wiki/Home", headers=good).status_code == 200  # now cached for visitors
    for url in ("/wiki/Home", "/-/recent.atom", "/wiki//Home", "/nothing", "/healthz"):
        response = client.get(url, headers=EVIL)
        assert response.status_code == 400, url
        assert_no_foreign_host(response)
        assert "does not answer to the host name" in response.get_data(as_text=True)
        assert response.headers["Content-Security-Policy"]
    assert client.get("/healthz", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    root, _ = feed(client.get("/-/recent.atom", headers=good))
    assert links(root)["alternate"] == "http://wiki.example.org/-/recent"


def test_server_name_answers_with_the_configured_host(app, client, make_page):
    app.config["SERVER_NAME"] = "wiki.example.org"
    make_page("Home", "Welcome")
    root, entries = feed(client.get("/-/recent.atom", base_url="http://evil.example"))
    assert links(root)["alternate"] == "http://wiki.example.org/-/recent"
    assert entries[0].find(f"{ATOM}id").text == "http://wiki.example.org/wiki/Home/-/revisions/1"


def test_forwarded_hosts_are_not_believed_either(app, client, make_page):
    app.config["PROXY_FIX"] = 1  # read at start-up: build an app that trusts one proxy
    proxied = create_app({**app.config, "PROPAGATE_EXCEPTIONS": False})
    make_page("Home", "Welcome")
    response = proxied.test_client().get("/-/recent.atom", headers={"X-Forwarded-Host": "evil.example", **EVIL})
    assert_no_foreign_host(response)
    with proxied.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("value", ["wiki.example.org", "https://wiki.example.org/wiki", "ftp://wiki.example.org",
                                   "https://", "https://user:pw@wiki.example.org", "https://wiki.example.org?x=1", 5])
def test_a_public_url_that_is_not_an_address_stops_the_app(value):
    with pytest.raises(ValueError, match="PUBLIC_URL must be"):
        hosts.check_public_url(value)


def test_a_public_url_is_kept_without_its_trailing_slash():
    assert hosts.check_public_url("https://Wiki.Example.org:8443/") == "https://wiki.example.org:8443"
    assert hosts.check_public_url("") is None and hosts.check_public_url(None) is None


def test_the_app_refuses_to_start_with_a_bad_public_url(database_urls):
    from tests.conftest import _base_config

    with pytest.raises(ValueError, match="PUBLIC_URL"):
        create_app({**_base_config(database_urls["sqlite"]), "PUBLIC_URL": "wiki.example.org"})
