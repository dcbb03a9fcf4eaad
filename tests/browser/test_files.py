"""Files in a real browser: paste an image into the editor and see it in the preview and on
the saved page; hostile uploads run nothing; the files page reads at 390 px."""
import base64

import pytest

from tests.browser.conftest import register
from tests.files_support import png

pytestmark = pytest.mark.browser

PASTE = """(b64) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], "image.png", {type: "image/png"}));
  const area = document.querySelector("#body");
  area.focus();
  area.setSelectionRange(area.value.length, area.value.length);
  area.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
}"""


def _new_page(page, base, title, body):
    page.goto(f"{base}/wiki/{title}/-/edit")
    page.fill("#body", body)
    page.click("button:has-text('Create page')")


def test_paste_an_image_into_the_editor(live_server, page):
    register(page, live_server, "painter")
    _new_page(page, live_server, "Sketches", "# Sketches\n\nThe architecture:\n")
    page.goto(live_server + "/wiki/Sketches/-/edit")
    page.evaluate(PASTE, base64.b64encode(png(120, 80)).decode())
    page.wait_for_function("() => document.querySelector('#body').value.includes('](files/pasted-')")
    assert "Uploaded:" in page.inner_text("#upload-status")
    page.click("button[data-preview]")
    page.wait_for_selector("#preview .preview-body img")
    page.wait_for_function("() => document.querySelector('#preview .preview-body img').naturalWidth === 120")
    page.click("button:has-text('Save changes')")
    img = page.locator(".content img")
    assert img.get_attribute("src").startswith("/wiki/Sketches/-/files/pasted-")
    page.wait_for_function("() => document.querySelector('.content img').naturalWidth === 120")


def test_hostile_uploads_run_nothing_and_the_files_page_reads_at_390px(live_server, page, tmp_path):
    register(page, live_server, "mallory")
    _new_page(page, live_server, "Traps", "[[File:note.txt]] [[File:logo.svg]]")
    hostile = tmp_path / "note.txt"
    hostile.write_bytes(b"hello\n<script>alert(document.domain)</script><img src=x onerror=alert(1)>\n")
    svg = tmp_path / "logo.svg"
    svg.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><rect width="9" height="9"/></svg>')
    for path in (hostile, svg):
        page.goto(live_server + "/wiki/Traps/-/files")
        page.set_input_files("#file", str(path))
        page.click("button:has-text('Upload')")
        assert "Uploaded" in page.content()
    page.goto(live_server + "/wiki/Traps/-/files/note.txt")
    # Shown as text: the script is characters on the page, nothing ran (a dialog fails the test).
    assert "<script>alert(document.domain)</script>" in page.inner_text("body")
    assert page.evaluate("document.querySelectorAll('script, img').length") == 0
    page.goto(live_server + "/wiki/Traps/-/files")
    with page.expect_download() as download:  # an SVG is never rendered in the wiki's origin
        page.evaluate("url => { const a = document.createElement('a'); a.href = url; document.body.append(a); a.click(); }",
                      live_server + "/wiki/Traps/-/files/logo.svg")
    assert download.value.suggested_filename == "logo.svg"

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + "/wiki/Traps/-/files")
    assert page.locator(".file-entry").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "files-390.png"), full_page=True)
