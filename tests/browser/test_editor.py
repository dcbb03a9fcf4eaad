"""The editor in Chromium: toolbar and shortcuts, [[ completion, the live preview, Ctrl+S,
the warning before leaving, the section editor, and the whole path with JavaScript off."""
from pathlib import Path

import pytest

from tests.browser.conftest import PASSWORD, register

pytestmark = pytest.mark.browser

HUB = Path(__file__).resolve().parents[2] / "content" / "hub"
MOD = "Control"  # Chromium on Linux: the editor's shortcuts use Ctrl (Cmd on a Mac)


def create(page, base, title, text):
    page.goto(f"{base}/wiki/{title}/-/edit")
    page.fill("#body", text)
    page.click("button[data-save]")
    assert "Saved revision" in page.content()


def test_typing_double_brackets_offers_titles_then_sections(live_server, page):
    register(page, live_server, "writer")
    create(page, live_server, "concepts/caching-with-redis",
           (HUB / "concepts" / "caching-with-redis.md").read_text(encoding="utf-8"))
    page.goto(live_server + "/wiki/Study_notes/-/edit")
    page.click("#body")
    page.keyboard.type("Read [[Cach")
    option = page.locator("#wikilink-suggestions [role=option]", has_text="concepts/caching-with-redis")
    option.wait_for()
    # A textarea may not carry aria-expanded (axe: aria-allowed-attr); screen readers follow
    # the highlighted suggestion through aria-activedescendant.
    assert (page.get_attribute("#body", "aria-activedescendant") or "").startswith("wikilink-suggestion-")
    page.keyboard.press("Enter")
    assert page.input_value("#body") == "Read [[concepts/caching-with-redis]]"
    page.keyboard.type("#TT")  # the caret stayed before "]]": now that page's sections
    page.locator("#wikilink-suggestions [role=option]", has_text="#Choosing TTLs").wait_for()
    page.keyboard.press("Enter")
    page.keyboard.type(" first.")
    assert page.input_value("#body") == "Read [[concepts/caching-with-redis#Choosing TTLs]] first."
    page.keyboard.press(f"{MOD}+s")
    page.wait_for_url("**/wiki/Study_notes")
    link = page.locator(".content a.wikilink")
    assert link.get_attribute("href") == "/wiki/concepts/caching-with-redis#choosing-ttls"


def test_toolbar_shortcuts_lists_and_live_preview(live_server, page):
    register(page, live_server, "writer")
    page.goto(live_server + "/wiki/Notes/-/edit")
    toolbar = page.get_by_role("toolbar", name="Formatting")
    for name in ("Bold (Ctrl+B)", "Italic (Ctrl+I)", "Heading", "Link (Ctrl+K)", "Wiki link to another page",
                 "Inline code", "Code block", "Bulleted list", "Task list", "Table", "Quote"):
        assert toolbar.get_by_role("button", name=name).is_visible(), name
    assert toolbar.get_by_role("button", name="Image or file: upload and insert").is_hidden()  # no uploads.js
    # One Tab stop for the toolbar; the arrow keys move along it.
    toolbar.get_by_role("button", name="Bold (Ctrl+B)").focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Italic (Ctrl+I)"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "body"
    page.click("#body")
    toolbar.get_by_role("button", name="Heading").click()
    page.keyboard.type("Plan")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.press(f"{MOD}+b")
    page.keyboard.type("key")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    toolbar.get_by_role("button", name="Task list").click()
    page.keyboard.type("first")
    page.keyboard.press("Enter")  # the list continues
    page.keyboard.press("Tab")    # and is indented
    page.keyboard.type("nested")
    assert page.input_value("#body") == "## Plan\n\n**key**\n\n- [ ] first\n  - [ ] nested"
    # The live preview, beside the text, follows the typing without a click.
    preview = page.locator("#preview .preview-body")
    preview.locator("h2", has_text="Plan").wait_for()
    preview.locator("input[type=checkbox]").nth(1).wait_for()
    assert page.locator("#preview").bounding_box()["x"] > page.locator("#body").bounding_box()["x"] + 300
    page.keyboard.type(" [[Elsewhere]]")
    link = preview.locator("a", has_text="Elsewhere")
    link.wait_for()
    assert link.get_attribute("href") is None  # inert: clicking it does not leave the editor
    link.click()
    assert page.url.endswith("/wiki/Notes/-/edit")
    # Ctrl+S saves from anywhere on the page.
    page.click("#summary")
    page.keyboard.type("first plan")
    page.keyboard.press(f"{MOD}+s")
    page.wait_for_url("**/wiki/Notes")
    assert "Saved revision 1." in page.content()


def test_the_save_bar_stays_in_view_at_1280_by_800(live_server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    register(page, live_server, "writer")
    page.goto(live_server + "/wiki/Long/-/edit")
    page.fill("#body", "line\n" * 300)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    for selector in ("button[data-save]", "#summary", "a[data-cancel]"):
        box = page.locator(selector).bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= 800, selector
    context.close()


def test_a_changed_form_warns_before_unload(live_server, page):
    register(page, live_server, "writer")
    page.goto(live_server + "/wiki/Notes/-/edit")
    page.get_by_role("link", name="Cancel").click()  # nothing typed: no warning
    page.wait_for_url("**/wiki/Notes")
    page.goto(live_server + "/wiki/Notes/-/edit")
    page.click("#body")
    page.keyboard.type("unsaved words")
    page.leaving = []
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url("**/wiki/Notes")
    assert page.leaving == ["beforeunload"]


def test_ctrl_enter_previews_and_the_section_editor_shows_its_place(live_server, page):
    register(page, live_server, "writer")
    create(page, live_server, "Guide", "# Guide\n\nintro\n\n## Setup\n\n### Redis\n\ninstall it\n\n## Use\n")
    page.goto(live_server + "/wiki/Guide/-/edit?section=3")
    path = page.get_by_role("navigation", name="Where this section is in the page")
    assert " ".join(path.inner_text().split()) == "Guide › Guide › Setup › Redis"
    page.get_by_role("button", name="Live preview").click()  # the live preview off
    assert page.get_attribute("[data-action=toggle-preview]", "aria-pressed") == "false"
    page.click("#body")
    page.keyboard.press("Control+Home")
    for key in ("ArrowDown", "ArrowDown", "End"):
        page.keyboard.press(key)
    page.keyboard.type(" with apt")
    page.keyboard.press(f"{MOD}+Enter")
    page.locator("#preview .preview-body p", has_text="install it").wait_for()
    page.leaving = []
    page.keyboard.press(f"{MOD}+s")
    page.wait_for_url("**/wiki/Guide#redis")
    assert page.leaving == []  # saving is not leaving
    raw = page.request.get(live_server + "/wiki/Guide/-/raw").text()
    assert "### Redis\n\ninstall it with apt\n\n## Use" in raw


def test_without_javascript_the_whole_path_works(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    register(page, live_server, "plain")
    page.goto(live_server + "/wiki/Plain/-/edit")
    assert page.locator(".editor-toolbar").is_hidden()
    page.fill("#body", "# Plain\n\nSee [[Home]] and **this**.\n\n## Part\n\ntext\n")
    page.get_by_role("button", name="Preview", exact=True).click()  # the server renders the preview
    preview = page.locator("#preview")
    assert preview.locator("strong").inner_text() == "this"
    assert preview.locator("a[href]").count() == 0  # no [edit], ¶ or wiki link leaves the form
    assert "[[Home]]" in page.input_value("#body")  # the text is still in the form
    page.fill("#summary", "no script")
    page.click("button[data-save]")
    assert "Saved revision 1." in page.content()

    # A conflict, resolved hunk by hunk, without JavaScript.
    page.goto(live_server + "/wiki/Plain/-/edit")
    other = browser.new_context()
    them = other.new_page()
    them.goto(live_server + "/-/login")
    them.fill("#username", "plain")
    them.fill("#password", PASSWORD)
    them.click("button:has-text('Log in')")
    them.goto(live_server + "/wiki/Plain/-/edit")
    them.fill("#body", "# Plain\n\nSee [[Home]] and **that**.\n\n## Part\n\ntext\n")
    them.click("button[data-save]")
    other.close()
    page.fill("#body", "# Plain\n\nSee [[Home]] and **these**.\n\n## Part\n\ntext, more\n")
    page.click("button[data-save]")
    assert "Overlapping change 1 of 1" in page.content()
    page.get_by_label("Keep both, mine first").check()
    page.click("button:has-text('Save with these choices')")
    assert "is resolved" in page.content()
    raw = page.request.get(live_server + "/wiki/Plain/-/raw").text()
    assert "and **these**.\nSee [[Home]] and **that**." in raw and "text, more" in raw
    context.close()


def test_the_image_button_uploads_a_picked_file_and_inserts_it(live_server, page):
    # uploads.js (issue 14) defines window.nexusUpload only where the user may attach files:
    # a saved page. A new page offers no Image button (see the toolbar test above).
    register(page, live_server, "writer")
    page.goto(live_server + "/wiki/Notes/-/edit")
    page.fill("#body", "Notes\n")
    page.click("button:has-text('Create page')")
    page.goto(live_server + "/wiki/Notes/-/edit")
    image = page.get_by_role("button", name="Image or file: upload and insert")
    assert image.is_visible()
    page.click("#body")
    page.keyboard.press("Control+End")
    page.keyboard.type("See: ")
    with page.expect_file_chooser() as chooser:
        image.click()
    chooser.value.set_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"})
    page.wait_for_function("() => document.querySelector('#body').value.includes('notes.txt')")
    assert "See: " in page.input_value("#body")
    assert "files/notes.txt" in page.input_value("#body")
    page.leaving = []  # the changed form warns; accept it
    page.goto(live_server + "/wiki/Notes/-/files/notes.txt")
    assert page.inner_text("body").strip() == "hello"
