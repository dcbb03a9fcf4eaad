"""Everything user-controlled outside page bodies is escaped text, never HTML: titles in every
view and feed, edit summaries, usernames, search queries and flash or error messages that echo
them. Plus: every XSS payload's source comes back byte for byte from /-/raw.
"""
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from markupsafe import escape

from tests.conftest import PASSWORD, post_form
from tests.xss_corpus import PAYLOADS


@pytest.fixture
def app_config():
    return {"SAVES_PER_USER": "100000 per minute"}  # ~150 saves by one user; limits are tested elsewhere
from wiki.core.titles import normalize_title, title_to_url_path

# Valid titles (no #?[]{}|<>) that would do harm if a template printed them unescaped.
HOSTILE_TITLES = [
    "Tom \"the bomb\" O'Neil & co",
    '" onmouseover="alert(1)',
    "' onfocus='alert(1)' autofocus='",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&amp;lt;b&amp;gt; double-escaped",
    "&quot;&gt;&lt;svg onload=alert(1)&gt;",
    "javascript:alert(1)",
    "data:text/html,x",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "\\\\evil.example\\x",
    "evil.example/..x/%2e%2e/x",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "a/b\"c/d'e&f",
    "`alert(1)` \\u003cscript\\u003e",
]
HOSTILE_SUMMARIES = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "&lt;b&gt;entity text&lt;/b&gt;",
]
BODY_WORD = "quokkaword"
# Scripts the wiki itself includes; any other <script is an injection.
INJECTED_SCRIPT = re.compile(r"<script(?! src=\"/static/js/[a-z]+\.js(?:\?v=[0-9a-f]+)?\")", re.I)


def url(title: str, action: str = "") -> str:
    path = "/wiki/" + quote(title_to_url_path(normalize_title(title)), safe="/")
    return path + (f"/-/{action}" if action else "")


def assert_escaped(html: str, *texts: str) -> None:
    """Each text shows as escaped text: its escaped form is there, its raw form is not."""
    assert not INJECTED_SCRIPT.search(html), INJECTED_SCRIPT.search(html)
    for text in texts:
        assert str(escape(text)) in html, f"{text!r} not shown escaped"
        if set(text) & set("<>\"'"):  # ('&' alone: "&lt;" raw is also "<" escaped; harmless)
            assert text not in html, f"{text!r} appears unescaped"
    assert not re.search(r"""\son\w+\s*=\s*["']?alert""", html.replace("&#34;", "").replace("&#39;", "")
                         .replace("&quot;", "")) or all(str(escape(t)) in html for t in texts)


def save(client, title, body, base, summary=""):
    return post_form(client, url(title, "edit"), {"body": body, "base_revision": str(base), "summary": summary})


@pytest.fixture
def hostile_wiki(client, editor):
    """Every hostile title as a page with two revisions, each with a hostile summary."""
    for n, title in enumerate(HOSTILE_TITLES):
        summary = HOSTILE_SUMMARIES[n % len(HOSTILE_SUMMARIES)]
        assert save(client, title, f"First {BODY_WORD}.\n", 0, summary).status_code == 303
        assert save(client, title, f"Second {BODY_WORD}, longer.\n", 1, summary).status_code == 303
    return client


def leaf(title: str) -> str:
    return normalize_title(title).rsplit("/", 1)[-1]


@pytest.mark.parametrize("action", ["", "history", "revisions/1", "diff?from=1&to=2", "diff?from=1&to=2&view=inline",
                                    "blame", "backlinks", "edit"])
def test_titles_and_summaries_in_page_views(hostile_wiki, action):
    for n, title in enumerate(HOSTILE_TITLES):
        response = hostile_wiki.get(url(title, action))
        assert response.status_code == 200, (title, action)
        html = response.get_data(as_text=True)
        texts = [leaf(title)]
        if action in ("history", "revisions/1") or action.startswith("diff"):
            texts.append(" ".join(HOSTILE_SUMMARIES[n % len(HOSTILE_SUMMARIES)].split()))
        assert_escaped(html, *texts)


def test_titles_summaries_and_usernames_in_listings(hostile_wiki):
    for path in ["/-/recent", "/-/recent?page=1&hideminor=1", "/-/user/alice", "/-/pages"]:
        html = hostile_wiki.get(path).get_data(as_text=True)
        assert_escaped(html, *[normalize_title(t) if path != "/-/pages" else leaf(t) for t in HOSTILE_TITLES])
        if path != "/-/pages":
            assert_escaped(html, *HOSTILE_SUMMARIES)


def test_titles_in_search_results(hostile_wiki):
    html = hostile_wiki.get(f"/-/search?q={BODY_WORD}").get_data(as_text=True)
    assert_escaped(html, *[leaf(t) for t in HOSTILE_TITLES])
    assert html.count('class="result-title"') == len(HOSTILE_TITLES)


@pytest.mark.parametrize("feed", ["/-/recent.atom", "page"])
def test_titles_and_summaries_in_atom_feeds(hostile_wiki, feed):
    ns = {"a": "http://www.w3.org/2005/Atom"}
    for title in HOSTILE_TITLES if feed == "page" else [None]:
        path = url(title) + "/-/history.atom" if title else feed
        response = hostile_wiki.get(path)
        assert response.status_code == 200 and response.mimetype == "application/atom+xml"
        body = response.get_data(as_text=True)
        assert not INJECTED_SCRIPT.search(body)
        root = ET.fromstring(body)  # well-formed: nothing broke out of its element
        entries = root.findall("a:entry", ns)
        assert entries and all(len(e.findall("a:summary", ns)) == 1 for e in entries)
        titles = {e.find("a:title", ns).text.rsplit(" (revision", 1)[0] for e in entries}
        summaries = {e.find("a:summary", ns).text.rsplit(" (", 1)[0] for e in entries}
        expected = {normalize_title(title)} if title else {normalize_title(t) for t in HOSTILE_TITLES}
        assert titles == expected
        assert summaries <= set(HOSTILE_SUMMARIES) and summaries


def test_flash_and_error_messages_echoing_titles(client, editor):
    title = HOSTILE_TITLES[1]
    assert save(client, title, "x\n", 0).status_code == 303
    # "... already exists; here it is." flashed on the next page.
    response = client.get("/-/new", query_string={"title": title}, follow_redirects=True)
    assert_escaped(response.get_data(as_text=True), title)
    assert "already exists" in response.get_data(as_text=True)
    # Invalid titles are echoed in the error and in the form.
    for bad in ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']:
        response = client.get("/-/new", query_string={"title": bad})
        assert response.status_code == 400
        assert_escaped(response.get_data(as_text=True), bad)
    # 404 descriptions naming the title.
    for missing in ['Gone " onmouseover="alert(1)', "&lt;script&gt;"]:
        for action in ["raw", "history"]:
            response = client.get(url(missing, action))
            assert response.status_code == 404
            assert_escaped(response.get_data(as_text=True), missing)


def test_query_strings_echoed_in_forms_and_messages(client, editor):
    hostile = '"><script>alert(1)</script>'
    for path, args in [("/-/search", {"q": hostile}), ("/-/search", {"q": "nothing", "in": hostile}),
                       ("/-/recent", {"prefix": hostile}), ("/-/recent", {"user": hostile})]:
        response = client.get(path, query_string=args)
        assert response.status_code in (200, 404), (path, args)
        assert_escaped(response.get_data(as_text=True), hostile)
    name = '"><img src=x onerror=alert(1)>'
    response = client.get("/-/user/" + quote(name))
    assert response.status_code == 404
    assert_escaped(response.get_data(as_text=True), name)


@pytest.mark.parametrize("username", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>',
                                      "a'b", "x&y", "javascript:alert(1)", "é", "ab\u202e"])
def test_usernames_with_markup_are_refused_and_echoed_escaped(client, username):
    response = post_form(client, "/-/register",
                         {"username": username, "password": PASSWORD, "password_confirm": PASSWORD})
    assert response.status_code in (200, 400)
    html = response.get_data(as_text=True)
    assert "A username is 2 to 32 characters" in html
    assert_escaped(html, username)


def test_the_most_a_username_can_carry_is_shown_as_text(client, login, make_user):
    # USERNAME_RE: [A-Za-z0-9][A-Za-z0-9_.-]{1,31}: no markup character gets through.
    make_user("a.b-c_d")
    login("a.b-c_d")
    assert save(client, "Page", "x\n", 0).status_code == 303
    assert ">a.b-c_d<" in client.get("/wiki/Page/-/history").get_data(as_text=True)


def test_payload_sources_come_back_byte_for_byte(client, editor):
    for n, payload in enumerate(PAYLOADS):
        if "\x00" in payload:
            continue  # see test_a_nul_character_is_saved_or_refused_cleanly
        response = save(client, f"Payload {n}", payload, 0)
        assert response.status_code == 303, (n, payload, response.status_code)
        raw = client.get(f"/wiki/Payload_{n}/-/raw")
        assert raw.content_type == "text/plain; charset=utf-8"
        assert raw.get_data() == payload.encode("utf-8"), (n, payload)


def test_a_nul_character_is_refused_with_the_text_kept(app, client, editor):
    # A NUL pasted into the textarea is sent as %00. PostgreSQL text cannot hold it, and a
    # browser would turn it into U+FFFD when the text came back into the editor, so the form
    # refuses it by name on every database, keeping the text.
    payloads = [p for p in PAYLOADS if "\x00" in p]
    assert payloads
    for n, payload in enumerate(payloads):
        response = save(client, f"Nul {n}", payload, 0)
        assert response.status_code == 400, response.status_code
        html = response.get_data(as_text=True)
        assert "NUL character" in html
        assert str(escape(payload)) in html  # the text is back in the editor, NUL and all
        assert client.get(f"/wiki/Nul_{n}").status_code == 404
    response = post_form(client, "/wiki/Nul/-/edit", {"body": "fine", "summary": "bad\x00summary",
                                                      "base_revision": "0"})
    assert response.status_code == 400 and "NUL character" in response.get_data(as_text=True)


def test_a_nul_character_elsewhere_is_a_clear_400(client, make_user):
    make_user("alice")
    for url in ("/-/recent?user=al%00ice", "/-/recent?prefix=a%00", "/-/search?q=a%00b", "/-/pages?x=%00"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "NUL character" in response.get_data(as_text=True)
    response = post_form(client, "/-/login", {"username": "ali\x00ce", "password": PASSWORD})
    assert response.status_code == 400 and "NUL character" in response.get_data(as_text=True)