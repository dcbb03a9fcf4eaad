"""Two editors in two browser contexts: a real conflict, resolved; drafts and live preview."""
import pytest

from tests.browser.conftest import register

pytestmark = pytest.mark.browser


@pytest.fixture
def second_page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


BASE = "Goal: learn caching\n\nWhy: pages are slow\n\nTool: Redis\n"


def test_conflict_between_two_editors_is_resolved_hunk_by_hunk_and_both_changes_survive(
        live_server, page, second_page):
    ann, ben = page, second_page
    register(ann, live_server, "ann")
    register(ben, live_server, "ben")
    ann.goto(live_server + "/wiki/Plan/-/edit")
    ann.fill("#body", BASE)
    ann.click("button:has-text('Create page')")

    # Both open the editor on revision 1.
    ann.goto(live_server + "/wiki/Plan/-/edit")
    ben.goto(live_server + "/wiki/Plan/-/edit")
    ben.fill("#body", BASE.replace("learn caching", "learn caching well").replace("Redis", "Redis 7"))
    ben.fill("#summary", "ben sharpens the goal")
    ben.click("button:has-text('Save changes')")
    assert "Saved revision 2." in ben.content()

    # Ann changes the same lines and one of her own: a conflict page, one choice per overlap.
    ann.fill("#body", BASE.replace("learn caching", "learn caching and queues")
             .replace("pages are slow", "pages are slow at peak").replace("Redis", "Redis or RabbitMQ"))
    ann.fill("#summary", "ann widens the goal")
    ann.click("button:has-text('Save changes')")
    assert "Your edit overlaps a newer one" in ann.content()
    hunks = ann.locator(".conflict-hunk")
    assert hunks.count() == 2, ann.locator(".merge-pieces").inner_text()
    assert "learn caching well" in hunks.nth(0).locator(".hunk-theirs").inner_text()
    assert "learn caching and queues" in hunks.nth(0).locator(".hunk-mine").inner_text()
    assert "pages are slow at peak" in ann.locator(".merged").nth(0).inner_text()  # merged, not asked

    # Saving without choosing is not possible: the browser asks for a choice first.
    ann.click("button:has-text('Save with these choices')")
    assert "Your edit overlaps a newer one" in ann.content()
    assert ann.evaluate("document.querySelector('input[name=hunk-0]').validity.valueMissing")

    assert ann.locator(".conflict-progress").inner_text() == "2 of 2 overlapping changes still to choose."
    hunks.nth(0).get_by_label("Keep both, theirs first").check()
    assert hunks.nth(0).locator(".hunk-result pre").inner_text() == (
        "Goal: learn caching well\nGoal: learn caching and queues")  # what this part will read
    assert ann.locator(".conflict-progress").inner_text() == "1 of 2 overlapping changes still to choose."
    hunks.nth(1).get_by_label("Keep theirs").check()
    assert ann.locator(".conflict-progress").inner_text().startswith("Every overlapping change has a choice")
    ann.click("button:has-text('Save with these choices')")
    assert "the conflict with revision 2 is resolved" in ann.content()

    text = ann.request.get(live_server + "/wiki/Plan/-/raw").text()
    assert text == ("Goal: learn caching well\nGoal: learn caching and queues\n\nWhy: pages are slow at peak\n\n"
                    "Tool: Redis 7\n")
    ann.goto(live_server + "/wiki/Plan/-/history")
    history = ann.locator("table.history").inner_text()
    assert "ben sharpens the goal" in history
    assert "ann widens the goal (resolved a conflict with revision 2: 1 × theirs, 1 × both)" in history


def test_markers_left_in_the_text_are_refused_and_the_text_kept(live_server, page, second_page):
    ann, ben = page, second_page
    register(ann, live_server, "ann")
    register(ben, live_server, "ben")
    ann.goto(live_server + "/wiki/Plan/-/edit")
    ann.fill("#body", "Goal: learn caching\n")
    ann.click("button:has-text('Create page')")
    ann.goto(live_server + "/wiki/Plan/-/edit")
    ben.goto(live_server + "/wiki/Plan/-/edit")
    ben.fill("#body", "Goal: learn caching well\n")
    ben.click("button:has-text('Save changes')")
    ann.fill("#body", "Goal: learn queues\n")
    ann.click("button:has-text('Save changes')")

    ann.click("button:has-text('Edit both versions with conflict markers')")
    marked = ann.input_value("#body")
    assert marked == "<<<<<<< yours\nGoal: learn queues\n=======\nGoal: learn caching well\n>>>>>>> theirs\n"
    ann.click("button:has-text('Save changes')")
    assert "still holds conflict markers" in ann.locator(".flash-error").inner_text()
    assert ann.input_value("#body") == marked  # kept
    ann.leaving = []  # this text is not saved: leaving asks first, even untouched
    ann.get_by_role("link", name="Cancel").click()
    ann.wait_for_url("**/wiki/Plan")
    assert ann.leaving == ["beforeunload"]
    ann.goto(live_server + "/wiki/Plan/-/edit")
    ann.fill("#body", "Goal: learn caching well, then queues\n")
    ann.click("button:has-text('Save changes')")
    assert "Saved revision 3." in ann.content()


def test_draft_survives_a_closed_tab_and_live_preview_updates_in_place(live_server, page, browser):
    register(page, live_server, "drafter")
    page.goto(live_server + "/wiki/Notes/-/edit")
    page.fill("#body", "# Notes\n\nUnsaved **thoughts**")
    page.wait_for_timeout(700)  # the draft is written shortly after typing stops

    page.click("button[data-preview]")
    page.wait_for_selector("#preview:not([hidden]) strong")
    assert page.locator("#preview strong").inner_text() == "thoughts"
    assert page.url.endswith("/wiki/Notes/-/edit")  # no form submit happened

    page.leaving = []
    page.goto(live_server + "/wiki/Notes/-/edit")  # as after a crash or a closed tab
    assert page.leaving == ["beforeunload"]  # warned first
    assert page.input_value("#body") == ""
    page.click("[data-draft-restore]")
    assert page.input_value("#body") == "# Notes\n\nUnsaved **thoughts**"
    page.click("button:has-text('Create page')")
    assert "Saved revision 1." in page.content()

    page.goto(live_server + "/wiki/Notes/-/edit")
    assert page.locator("#draft-notice").is_hidden()  # the saved draft was cleared
