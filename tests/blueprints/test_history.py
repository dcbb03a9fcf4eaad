"""History, old revisions, diffs and reverts over HTTP."""
import re

import pytest

from tests.conftest import csrf_token, post_form
from tests.blueprints.test_pages import revisions_of


@pytest.fixture
def app_config():
    return {"HISTORY_PAGE_SIZE": 2}


@pytest.fixture
def three_revisions(make_page, make_user):
    bob = make_user("bob")
    make_page("Doc", "The quick brown fox\njumps over\nthe lazy dog\n", bob, "first")
    make_page("Doc", "The quick red fox\njumps over\nthe lazy dog\nand runs\n", bob, "second")
    make_page("Doc", "The quick red fox\n", bob, "<b>third</b>")
    return bob


def test_history_lists_revisions_newest_first_with_details(client, three_revisions):
    html = client.get("/wiki/Doc/-/history").get_data(as_text=True)
    assert "3 revisions, newest first" in html
    numbers = re.findall(r'/wiki/Doc/-/revisions/(\d+)">#', html)
    assert numbers == ["3", "2"]  # two per page
    assert "bob" in html
    assert "&lt;b&gt;third&lt;/b&gt;" in html  # summaries are text, never HTML
    assert "−33" in html  # size change of revision 3: 51 bytes -> 18 bytes
    assert "Older →" in html


def test_history_second_page_and_out_of_range(client, three_revisions):
    html = client.get("/wiki/Doc/-/history?page=2").get_data(as_text=True)
    assert re.findall(r'/wiki/Doc/-/revisions/(\d+)">#', html) == ["1"]
    assert "← Newer" in html
    assert client.get("/wiki/Doc/-/history?page=3").status_code == 404
    assert client.get("/wiki/Doc/-/history?page=x").status_code == 400


def test_history_of_a_missing_page_is_404(client):
    assert client.get("/wiki/Ghost/-/history").status_code == 404


def test_old_revision_shows_its_own_text_and_a_banner(client, three_revisions):
    html = client.get("/wiki/Doc/-/revisions/1").get_data(as_text=True)
    assert "This is an old revision" in html
    assert "brown fox" in html
    assert "Compare with current" in html


@pytest.mark.parametrize("number", ["4", "0", "99999999999999999999"])
def test_unknown_revision_is_404(client, three_revisions, number):
    assert client.get(f"/wiki/Doc/-/revisions/{number}").status_code == 404


def test_diff_marks_changed_lines_and_words(client, three_revisions):
    html = client.get("/wiki/Doc/-/diff?from=1&to=2").get_data(as_text=True)
    assert "<mark>brown</mark>" in html
    assert "<mark>red</mark>" in html
    assert "and runs" in html
    assert "+2 lines" in html and "−1 line" in html
    assert "diff-side-by-side" in html


def test_inline_diff(client, three_revisions):
    html = client.get("/wiki/Doc/-/diff?from=2&to=3&view=inline").get_data(as_text=True)
    assert "diff-inline" in html
    assert "jumps over" in html


def test_diff_defaults_to_the_latest_change(client, three_revisions):
    html = client.get("/wiki/Doc/-/diff").get_data(as_text=True)
    assert "Revision 2</a>" in html and "Revision 3</a>" in html


def test_diff_of_the_first_revision_is_against_nothing(client, three_revisions):
    html = client.get("/wiki/Doc/-/diff?from=0&to=1").get_data(as_text=True)
    assert "before the page was created" in html


@pytest.mark.parametrize("query, status", [
    ("from=a&to=2", 400), ("from=1&to=-2", 400), ("from=1&to=9", 404), ("from=7&to=1", 404),
])
def test_bad_diff_arguments(client, three_revisions, query, status):
    response = client.get(f"/wiki/Doc/-/diff?{query}")
    assert response.status_code == status
    assert "Traceback" not in response.get_data(as_text=True)


def test_diff_escapes_source_text(client, make_page):
    make_page("X", "plain\n")
    make_page("X", "<img src=x onerror=alert(1)>\n")
    html = client.get("/wiki/X/-/diff?from=1&to=2").get_data(as_text=True)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_revert_makes_a_new_revision_and_keeps_history(app, client, three_revisions, login):
    login("bob")
    response = post_form(client, "/wiki/Doc/-/revert/1", {"base_revision": "3"}, form_url="/wiki/Doc/-/revisions/1")
    assert response.status_code == 303
    assert response.headers["Location"] == "/wiki/Doc"
    assert client.get("/wiki/Doc/-/raw").data == b"The quick brown fox\njumps over\nthe lazy dog\n"
    assert revisions_of(app, "doc") == [1, 2, 3, 4]
    html = client.get("/wiki/Doc/-/history").get_data(as_text=True)
    assert "Reverted to revision 1" in html


def test_revert_to_the_current_text_changes_nothing(app, client, three_revisions, login):
    login("bob")
    response = post_form(client, "/wiki/Doc/-/revert/3", {"base_revision": "3"}, form_url="/wiki/Doc/-/revisions/1")
    assert response.status_code == 303
    assert "nothing to revert" in client.get("/wiki/Doc").get_data(as_text=True)
    assert revisions_of(app, "doc") == [1, 2, 3]


def test_stale_revert_is_refused(app, client, three_revisions, login):
    login("bob")
    response = post_form(client, "/wiki/Doc/-/revert/1", {"base_revision": "2"}, form_url="/wiki/Doc/-/revisions/1")
    assert response.status_code == 303
    assert "Nothing was reverted" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert revisions_of(app, "doc") == [1, 2, 3]


def test_revert_needs_login_and_csrf(app, client, three_revisions, login):
    token = csrf_token(client, "/-/login")
    response = client.post("/wiki/Doc/-/revert/1", data={"base_revision": "3", "csrf_token": token})
    assert response.status_code == 403 and "Log in to edit pages" in response.get_data(as_text=True)
    login("bob")
    assert client.post("/wiki/Doc/-/revert/1", data={"base_revision": "3"}).status_code == 400
    assert revisions_of(app, "doc") == [1, 2, 3]


def test_revert_to_an_unknown_revision_is_404(app, client, three_revisions, login):
    login("bob")
    response = post_form(client, "/wiki/Doc/-/revert/9", {"base_revision": "3"}, form_url="/wiki/Doc")
    assert response.status_code == 404
    assert revisions_of(app, "doc") == [1, 2, 3]


def test_revert_is_a_post_only_action(app, client, three_revisions, login):
    login("bob")
    response = client.get("/wiki/Doc/-/revert/1")
    assert response.status_code == 404
    assert "There is no such page action" in response.get_data(as_text=True)
    assert revisions_of(app, "doc") == [1, 2, 3]
