"""A learner's first visit, in a real browser: register, create a page, edit it, read the diff."""
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def test_register_create_edit_and_diff(live_server, page):
    page.goto(live_server + "/")
    assert page.locator("h1.page-title").inner_text() == "Home"
    assert "does not exist yet" in page.content()

    page.click("text=Register")
    page.fill("#username", "learner")
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    page.click("button:has-text('Register')")
    assert "Welcome, learner!" in page.content()

    page.goto(live_server + "/wiki/concepts/Caching")
    page.click("text=Create this page")
    page.fill("#body", "# Caching\n\nKeep hot data close.\n\n## Redis\n\nAn in-memory store.\n\nSee [[REST API design]].\n")
    page.fill("#summary", "first draft")
    page.click("button:has-text('Create page')")
    assert page.url == live_server + "/wiki/concepts/Caching"
    assert page.locator("h1").inner_text().startswith("Caching")  # the opening heading is the page title
    assert page.locator(".toc a[href='#redis']").count() == 1
    assert page.locator("a.wikilink.new").inner_text() == "REST API design"

    page.click(".tabs >> text=Edit")
    body = page.input_value("#body")
    page.fill("#body", body.replace("Keep hot data close.", "Keep frequently read data close."))
    page.fill("#summary", "clearer wording")
    page.click("button:has-text('Save changes')")
    assert "Saved revision 2." in page.content()

    page.click(".tabs >> text=History")
    assert page.locator("table.history tbody tr").count() == 2
    page.click("button:has-text('Compare selected revisions')")
    page.wait_for_url("**/-/diff?**")
    page.locator("td.insert mark").first.wait_for()  # a loaded machine may still be rendering
    url = urlsplit(page.url)
    assert url.path == "/wiki/concepts/Caching/-/diff"
    assert parse_qs(url.query) == {"from": ["1"], "to": ["2"]}
    marks = page.locator("td.insert mark").all_inner_texts()
    assert any("frequently read" in m for m in marks), marks
    assert page.locator("td.delete mark").all_inner_texts() == ["hot"]
