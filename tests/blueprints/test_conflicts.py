"""The conflict page's resolution form through HTTP: choices per overlapping change, the
editor with markers, and every bad input (forged choices, a stale or forged base, no CSRF
token) answered with a clear 4xx, the user's text kept and nothing saved."""
import re

import pytest

from tests.conftest import csrf_token
from tests.blueprints.test_pages import revisions_of, save

BASE = "# Plan\n\nGoal: learn caching\n\nShared middle\n\nTool: Redis\n"
THEIRS = BASE.replace("learn caching", "learn caching well").replace("Tool: Redis", "Tool: Redis 7")
MINE = BASE.replace("learn caching", "learn caching and queues").replace("Tool: Redis", "Tool: Redis or RabbitMQ")
MINE_EXTRA = MINE.replace("Shared middle", "Shared middle, with a note of mine")


@pytest.fixture
def conflicted(make_user, make_page):
    """Revision 1 by bob, revision 2 by ben; alice (logged in) edited revision 1."""
    bob, ben = make_user("bob"), make_user("ben")
    make_page("Plan", BASE, bob, "start")
    make_page("Plan", THEIRS, ben, "ben sharpens it")


def resolve(client, choices, yours=MINE_EXTRA, base="1", theirs="2", action="save", summary="mine", token=True,
            extra=None):
    data = {"yours": yours, "base_revision": base, "theirs_revision": theirs, "summary": summary, "action": action}
    data |= {f"hunk-{i}": choice for i, choice in enumerate(choices)}
    data |= extra or {}
    if token:
        data["csrf_token"] = csrf_token(client, "/-/login")
    return client.post("/wiki/Plan/-/conflict", data=data)


def raw(client):
    return client.get("/wiki/Plan/-/raw").get_data(as_text=True)


def test_a_conflicting_save_offers_each_overlapping_change(app, client, editor, conflicted):
    response = save(client, "Plan", MINE_EXTRA, 1, "mine")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Overlapping change 1 of 2" in html and "Overlapping change 2 of 2" in html
    assert "Shared middle, with a note of mine" in html  # merged without overlap: shown, not asked
    assert html.count('type="radio"') == 8 and "checked" not in html  # nothing chosen for the user
    assert revisions_of(app, "plan") == [1, 2]


@pytest.mark.parametrize("choices, expected", [
    (["theirs-first", "mine-first"],
     "Goal: learn caching well\nGoal: learn caching and queues\n",),
    (["mine", "theirs"], "Goal: learn caching and queues\n"),
])
def test_choices_are_applied_per_change_and_recorded_in_the_summary(app, client, editor, conflicted, choices,
                                                                     expected):
    response = resolve(client, choices)
    assert response.status_code == 303
    text = raw(client)
    assert expected in text
    assert "Shared middle, with a note of mine" in text  # the non-overlapping change stays merged
    if choices[1] == "mine-first":
        assert "Tool: Redis or RabbitMQ\nTool: Redis 7\n" in text
    else:
        assert "Tool: Redis 7\n" in text and "RabbitMQ" not in text
    history = client.get("/wiki/Plan/-/history").get_data(as_text=True)
    note = "1 × mine, 1 × theirs" if choices[0] == "mine" else "2 × both"
    assert f"mine (resolved a conflict with revision 2: {note})" in history
    assert revisions_of(app, "plan") == [1, 2, 3]


def test_mine_everywhere_is_possible_only_hunk_by_hunk_and_is_recorded(app, client, editor, conflicted):
    response = resolve(client, ["mine"])  # one choice for two changes: not enough
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "no choice yet for 2" in html and 'value="mine" required\n                checked' in html
    assert revisions_of(app, "plan") == [1, 2]
    assert resolve(client, ["mine", "mine"]).status_code == 303
    assert raw(client) == MINE_EXTRA
    assert "resolved a conflict with revision 2: 2 × mine" in client.get("/wiki/Plan/-/history").get_data(as_text=True)


def test_review_in_the_editor_and_the_text_with_markers(app, client, editor, conflicted):
    response = resolve(client, ["theirs", "theirs"], action="edit")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="base_revision" type="hidden" value="2"' in html
    assert "Goal: learn caching well\n\nShared middle, with a note of mine" in html
    response = resolve(client, [], action="markers")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "&lt;&lt;&lt;&lt;&lt;&lt;&lt; yours" in html
    body = re.search(r'<textarea[^>]*name="body"[^>]*>\r?\n(.*?)</textarea>', html, re.S).group(1)
    marked = body.replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'").replace("&#34;", '"')
    # Saving the markers as they are is refused, with the text kept.
    response = save(client, "Plan", marked, 2, "mine")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "still holds conflict markers" in html and "&lt;&lt;&lt;&lt;&lt;&lt;&lt; yours" in html
    assert revisions_of(app, "plan") == [1, 2]
    # Markers a page already held are not a conflict: they may stay.
    fixed = re.sub(r"<<<<<<< yours\n(.*?)=======\n.*?>>>>>>> theirs\n", r"\1", marked, flags=re.S)
    assert save(client, "Plan", fixed, 2).status_code == 303
    assert raw(client) == MINE_EXTRA


@pytest.mark.parametrize("choices, extra, message", [
    (["mine", "everything-mine"], None, "unknown choice for overlapping change 2"),
    (["mine", "theirs"], {"hunk-2": "mine"}, "does not exist (hunk-2)"),
    (["mine", "theirs"], {"hunk-x": "mine"}, "does not exist (hunk-x)"),
])
def test_forged_choices_are_refused_with_the_text_kept(app, client, editor, conflicted, choices, extra, message):
    response = resolve(client, choices, extra=extra)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and "Nothing was saved" in html
    assert "with a note of mine" in html
    assert revisions_of(app, "plan") == [1, 2]


@pytest.mark.parametrize("base, theirs", [("3", "2"), ("0", "0"), ("2", "2"), ("1", "9"), ("x", "2"), ("1", "")])
def test_a_forged_base_is_refused_with_the_text_kept(app, client, editor, conflicted, base, theirs):
    response = resolve(client, ["mine", "mine"], base=base, theirs=theirs)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The form is damaged" in html and "with a note of mine" in html
    assert revisions_of(app, "plan") == [1, 2]


def test_a_stale_conflict_page_is_shown_again_against_the_newest_revision(app, client, editor, conflicted,
                                                                           make_page, make_user):
    make_page("Plan", THEIRS.replace("Tool: Redis 7", "Tool: Redis 7.2"), make_user("cat"), "cat")
    response = resolve(client, ["mine", "mine"])
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "cat saved revision 3, so your choices were not applied" in html
    assert 'name="theirs_revision" type="hidden" value="3"' in html and "Redis 7.2" in html
    assert "with a note of mine" in html
    assert revisions_of(app, "plan") == [1, 2, 3]


def test_a_missing_csrf_token_is_refused_with_the_text_kept(app, client, editor, conflicted):
    response = resolve(client, ["mine", "mine"], token=False)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "security token" in html and "with a note of mine" in html
    assert revisions_of(app, "plan") == [1, 2]


def test_a_reader_may_not_resolve(app, client, make_user, login, conflicted):
    login(make_user("rita", role="reader"))
    response = resolve(client, ["mine", "mine"])
    assert response.status_code == 403
    assert "with a note of mine" in response.get_data(as_text=True)
    assert revisions_of(app, "plan") == [1, 2]


def test_the_editor_keeps_the_text_when_its_token_is_missing(app, client, editor, conflicted):
    response = client.post("/wiki/Plan/-/edit", data={"body": "my long careful text", "base_revision": "2"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "security token" in html and "my long careful text</textarea>" in html
    assert revisions_of(app, "plan") == [1, 2]


def test_a_resolution_posted_during_an_outage_keeps_the_text(app, client, editor, conflicted):
    from tests.web.test_outages import Faults, assert_outage_page

    token = csrf_token(client, "/-/login")
    faults = Faults(app)
    try:
        faults.cut()
        page = assert_outage_page(client.post("/wiki/Plan/-/conflict", data={
            "csrf_token": token, "yours": MINE_EXTRA, "base_revision": "1", "theirs_revision": "2",
            "hunk-0": "mine", "hunk-1": "mine", "summary": "mine"}), faults)
        assert "with a note of mine" in page and 'name="base_revision" type="hidden" value="1"' in page
    finally:
        faults.close()
    assert revisions_of(app, "plan") == [1, 2]
