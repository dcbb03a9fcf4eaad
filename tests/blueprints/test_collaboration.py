"""Editing together: merges, conflicts, preview, minor edits, recent changes, feeds, blame."""
import xml.etree.ElementTree as ET

import feedparser
import pytest

from tests.conftest import post_form
from tests.blueprints.test_pages import revisions_of, save

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "one\ntwo\nthree\nfour\nfive\n"


@pytest.fixture
def page_two_revisions(make_page, make_user):
    bob = make_user("bob")
    make_page("Shared", BASE, bob, "start")
    make_page("Shared", BASE.replace("five", "FIVE (bob)"), bob, "bob edits the end")
    return bob


def test_non_overlapping_stale_edit_is_merged_and_says_so(app, client, editor, page_two_revisions):
    response = save(client, "Shared", BASE.replace("one", "ONE (alice)"), 1, "alice edits the top")
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved revision 3" in html and "bob saved revision 2" in html
    assert client.get("/wiki/Shared/-/raw").data.decode() == "ONE (alice)\ntwo\nthree\nfour\nFIVE (bob)\n"
    assert revisions_of(app, "shared") == [1, 2, 3]


def test_overlapping_stale_edit_shows_the_conflict_page_with_the_text_intact(app, client, editor, page_two_revisions):
    mine = BASE.replace("five", "five, as alice sees it")
    response = save(client, "Shared", mine, 1)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "some of their changes overlap yours" in html
    assert f">\r\n{mine}</textarea>" in html  # the user's text, intact (WTForms adds the CRLF)
    assert "Overlapping change 1 of 1" in html and 'name="hunk-0" value="mine"' in html
    assert "FIVE (bob)" in html  # their version of the hunk, and their change as a diff
    assert 'name="base_revision" type="hidden" value="1"' in html
    assert 'name="theirs_revision" type="hidden" value="2"' in html
    assert "Save my version" not in html  # no single control replaces their change
    assert revisions_of(app, "shared") == [1, 2]
    # Saving again from an editor based on revision 2 goes through.
    response = save(client, "Shared", mine.replace("five, as", "FIVE (bob) and five, as"), 2)
    assert response.status_code == 303
    assert revisions_of(app, "shared") == [1, 2, 3]


def test_stale_section_edit_is_merged_into_the_whole_page(app, client, editor, make_page):
    make_page("Doc", "# A\n\na\n\n# B\n\nb\n")
    make_page("Doc", "# A\n\na, edited elsewhere\n\n# B\n\nb\n")
    response = post_form(client, "/wiki/Doc/-/edit", {
        "body": "# B\n\nb, edited in a section\n", "base_revision": "1", "section": "2"}, form_url="/-/login")
    assert response.status_code == 303
    assert client.get("/wiki/Doc/-/raw").data.decode() == "# A\n\na, edited elsewhere\n\n# B\n\nb, edited in a section\n"


def test_preview_without_javascript_saves_nothing(app, client, editor, make_page):
    make_page("Doc", "old")
    response = post_form(client, "/wiki/Doc/-/edit", {
        "body": "# New *heading*\n\n<script>alert(1)</script>", "base_revision": "1", "preview": "1"},
        form_url="/-/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Preview" in html and '<span class="muted">Title:</span> New heading</p>' in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # still in the editor, as typed
    assert revisions_of(app, "doc") == [1]


def test_preview_endpoint_renders_sanitized_html(client, editor):
    response = post_form(client, "/wiki/Doc/-/preview", {"body": "**x** <img src=x onerror=alert(1)>"},
                         form_url="/-/login")
    assert response.status_code == 200
    assert "<strong>x</strong>" in response.get_data(as_text=True)
    assert "onerror" not in response.get_data(as_text=True)


def test_preview_endpoint_needs_an_editor_and_a_token(client, make_user, login):
    assert post_form(client, "/wiki/Doc/-/preview", {"body": "x"}, form_url="/-/login").status_code == 403
    login(make_user("alice"))
    assert client.post("/wiki/Doc/-/preview", data={"body": "x"}).status_code == 400


def test_recent_changes_with_filters(client, make_user, make_page):
    ann, ben = make_user("ann"), make_user("ben")
    make_page("concepts/Caching", "a", ann, "new concept")
    make_page("challenges/Scale", "b", ben, "new challenge")
    make_page("concepts/Caching", "a!", ben, "typo")
    from wiki.extensions import db
    from wiki.models import Revision
    with client.application.app_context():
        rev = db.session.query(Revision).filter_by(summary="typo").one()
        rev.minor = True
        db.session.commit()
    html = client.get("/-/recent").get_data(as_text=True)
    assert html.index("typo") < html.index("new challenge") < html.index("new concept")
    assert 'title="minor edit"' in html
    assert "typo" not in client.get("/-/recent?hideminor=1").get_data(as_text=True)
    only_ben = client.get("/-/recent?user=BEN").get_data(as_text=True)
    assert "new challenge" in only_ben and "new concept" not in only_ben
    concepts = client.get("/-/recent?prefix=Concepts/").get_data(as_text=True)
    assert "new concept" in concepts and "new challenge" not in concepts
    assert client.get("/-/recent?user=nobody").status_code == 404
    assert "No changes match" in client.get("/-/recent?prefix=%25_%27").get_data(as_text=True)


def test_minor_flag_is_saved_from_the_form(app, client, editor, make_page):
    make_page("Doc", "x")
    post_form(client, "/wiki/Doc/-/edit", {"body": "x.", "base_revision": "1", "minor": "y"}, form_url="/-/login")
    assert 'title="minor edit"' in client.get("/-/recent").get_data(as_text=True)


def test_user_contributions(client, make_user, make_page):
    ann = make_user("ann")
    make_page("One", "1", ann, "ann wrote one")
    make_page("Two", "2", None, "someone wrote two")
    html = client.get("/-/user/ann").get_data(as_text=True)
    assert "Contributions of ann" in html and "ann wrote one" in html and "someone wrote two" not in html
    assert client.get("/-/user/nobody").status_code == 404


def check_atom(data: bytes, entries: int):
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    assert len(parsed.entries) == entries
    root = ET.fromstring(data)
    for element in [root, *root.findall(f"{ATOM}entry")]:
        for required in ("id", "title", "updated"):
            assert element.find(f"{ATOM}{required}") is not None, required
    return parsed


def test_atom_feeds_are_valid_and_escaped(client, make_user, make_page):
    ann = make_user("ann")
    make_page("Feeds & things", "1", ann, "<b>bold</b> & co")
    make_page("Another", "2", ann, "second page")
    response = client.get("/-/recent.atom")
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    parsed = check_atom(response.data, 2)
    assert parsed.entries[1].summary.startswith("<b>bold</b> & co")  # text, not markup
    assert parsed.entries[0].author == "ann"
    page_feed = client.get("/wiki/Feeds_%26_things/-/history.atom")
    check_atom(page_feed.data, 1)
    assert client.get("/wiki/Nope/-/history.atom").status_code == 404


def test_blame_names_the_revision_of_each_line(client, make_user, make_page):
    ann, ben = make_user("ann"), make_user("ben")
    make_page("Doc", "first line\nsecond line\n", ann, "start")
    make_page("Doc", "first line\nsecond line, improved\nthird line\n", ben, "improve")
    html = client.get("/wiki/Doc/-/blame").get_data(as_text=True)
    rows = html.split('<tr class="')[1:]
    assert "#1</a>" in rows[0] and "ann" in rows[0] and "first line" in rows[0]
    assert "#2</a>" in rows[1] and "ben" in rows[1] and "second line, improved" in rows[1]
    assert "third line" in rows[2] and "#2</a>" not in rows[2]  # same run as the line above
    assert client.get("/wiki/Nope/-/blame").status_code == 404
