"""Learning paths in Chromium (issue 20): a learner opens the starter hub's "Backend
foundations", follows it step by step, marks steps done, undoes one, and sees the progress
on the path, in /-/paths and on their profile."""
import pytest

from tests.browser.conftest import register, serve
from tests.conftest import _base_config
from wiki import create_app
from wiki.services import mdimport

pytestmark = pytest.mark.browser

PATH_URL = "/wiki/paths/backend-foundations"


@pytest.fixture
def hub_server(tmp_path):
    with serve(tmp_path) as base_url:
        loader = create_app(_base_config("sqlite:///" + str(tmp_path / "live.db")))
        with loader.app_context():
            mdimport.load_starter(None, loader.config["MAX_PAGE_BYTES"])
        yield base_url


def test_follow_backend_foundations_and_see_progress(hub_server, page):
    register(page, hub_server, "learner")
    page.goto(hub_server + "/-/paths")
    page.get_by_role("link", name="Backend foundations").click()
    page.wait_for_url("**" + PATH_URL)
    panel = page.locator(".path-panel")
    assert "Learning path: 7 steps" in panel.inner_text()
    assert "0 of 7 done" in panel.inner_text()
    assert "REST API design" in panel.locator(".path-steps li").first.inner_text()
    assert page.locator(".path-problems").count() == 0  # every step's page exists

    # Step 1, then "Next" through the path, marking each of the first three done.
    panel.locator(".path-steps li").first.get_by_role("link", name="REST API design").click()
    for expected in ("Step 1 of 7", "Step 2 of 7", "Step 3 of 7"):
        nav = page.locator("nav.path-step-chosen")
        assert expected in nav.inner_text()
        nav.get_by_role("button", name="Mark step").click()
        page.locator("nav.path-step-chosen .path-done-mark").wait_for()
        assert "✓ Done" in page.locator("nav.path-step-chosen").inner_text()
        page.locator("nav.path-step-chosen a[rel=next]").click()
    assert "Step 4 of 7" in page.locator("nav.path-step-chosen").inner_text()
    assert "3 of 7 done" in page.locator("nav.path-step-chosen").inner_text()

    # Back one step and undo it.
    page.locator("nav.path-step-chosen a[rel=prev]").click()
    assert "Step 3 of 7" in page.locator("nav.path-step-chosen").inner_text()
    page.locator("nav.path-step-chosen").get_by_role("button", name="Undo: not done").click()
    page.locator("nav.path-step-chosen").get_by_role("button", name="Mark step 3 done").wait_for()

    page.goto(hub_server + PATH_URL)
    assert "2 of 7 done" in page.locator(".path-panel").inner_text()
    assert page.locator(".path-steps li.is-done").count() == 2
    page.goto(hub_server + "/-/paths")
    assert "2 of 7 done" in page.locator(".path-list").inner_text()
    page.goto(hub_server + "/-/user/learner")
    assert "2 of 7 done" in page.locator(".path-profile").inner_text()
    assert "Only you see this list." in page.locator(".path-profile").inner_text()
