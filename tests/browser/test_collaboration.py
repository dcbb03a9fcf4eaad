"""Two editors in two browser contexts: a real conflict, resolved; drafts and live preview."""
import pytest

from tests.browser.conftest import register

pytestmark = pytest.mark.browser


@pytest.fixture
def second_page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_conflict_between_two_editors_is_resolved_without_losing_text(live_server, page, second_page):
    ann, ben = page, second_page
    register(ann, live_server, "ann")
    register(ben, live_server, "ben")
    ann.goto(live_server + "/wiki/Plan/-/edit")
    ann.fill("#body", "Goal: learn caching\nTool: Redis\n")
    ann.click("button:has-text('Create page')")

    # Both open the editor on revision 1.
    ann.goto(live_server + "/wiki/Plan/-/edit")
    ben.goto(live_server + "/wiki/Plan/-/edit")
    ben.fill("#body", "Goal: learn caching well\nTool: Redis\n")
    ben.fill("#summary", "ben sharpens the goal")
    ben.click("button:has-text('Save changes')")
    assert "Saved revision 2." in ben.content()

    # Ann changes the same line: conflict page, her text intact in the editor.
    ann.fill("#body", "Goal: learn caching and queues\nTool: Redis\n")
    ann.fill("#summary", "ann widens the goal")
    ann.click("button:has-text('Save changes')")
    assert "Your edit overlaps a newer one" in ann.content()
    assert ann.input_value("#body") == "Goal: learn caching and queues\nTool: Redis\n"
    assert "learn caching well" in ann.locator(".conflict-theirs").inner_text()

    # She resolves it by combining both, and saves.
    ann.fill("#body", "Goal: learn caching well, and queues\nTool: Redis\n")
    ann.click("button:has-text('Save my version')")
    assert "Saved revision 3." in ann.content()

    ann.goto(live_server + "/wiki/Plan/-/history")
    history = ann.locator("table.history").inner_text()
    assert "ben sharpens the goal" in history and "ann widens the goal" in history
    assert ann.request.get(live_server + "/wiki/Plan/-/raw").text() == "Goal: learn caching well, and queues\nTool: Redis\n"


def test_draft_survives_a_closed_tab_and_live_preview_updates_in_place(live_server, page, browser):
    register(page, live_server, "drafter")
    page.goto(live_server + "/wiki/Notes/-/edit")
    page.fill("#body", "# Notes\n\nUnsaved **thoughts**")
    page.wait_for_timeout(700)  # the draft is written shortly after typing stops

    page.click("button[data-preview]")
    page.wait_for_selector("#preview:not([hidden]) strong")
    assert page.locator("#preview strong").inner_text() == "thoughts"
    assert page.url.endswith("/wiki/Notes/-/edit")  # no form submit happened

    page.goto(live_server + "/wiki/Notes/-/edit")  # as after a crash or a closed tab
    assert page.input_value("#body") == ""
    page.click("[data-draft-restore]")
    assert page.input_value("#body") == "# Notes\n\nUnsaved **thoughts**"
    page.click("button:has-text('Create page')")
    assert "Saved revision 1." in page.content()

    page.goto(live_server + "/wiki/Notes/-/edit")
    assert page.locator("#draft-notice").is_hidden()  # the saved draft was cleared
