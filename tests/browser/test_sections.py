"""Sections in a real browser: edit one section of a long page, follow a section link."""
import pytest

from tests.browser.conftest import register

pytestmark = pytest.mark.browser

def long_page() -> str:
    parts = ["# Caching guide", "", "Intro paragraph.", ""]
    for n in range(1, 13):
        parts += [f"## Topic {n}", ""] + [f"Line {i} about topic {n}." for i in range(1, 9)] + [""]
    return "\n".join(parts)


def create(page, base, title, body):
    page.goto(f"{base}/wiki/{title}/-/edit")
    page.fill("#body", body)
    page.click("button:has-text('Create page')")


def test_edit_one_section_and_follow_a_section_link(live_server, page):
    register(page, live_server, "sectioner")
    create(page, live_server, "Guide", long_page())
    create(page, live_server, "Elsewhere", "Read [[Guide#Topic 9]] first.")

    # Following the section link lands on that heading, labelled with its text.
    link = page.locator("a.wikilink")
    assert link.inner_text() == "Caching guide § Topic 9"  # the target page's display title, then the section
    link.click()
    page.wait_for_url(live_server + "/wiki/Guide#topic-9")
    page.wait_for_load_state("load")  # the browser scrolls to the fragment once it has loaded
    page.wait_for_function("document.querySelector(':target') !== null")
    assert page.evaluate("document.querySelector(':target').id") == "topic-9"
    top = page.evaluate("document.getElementById('topic-9').getBoundingClientRect().top")
    assert 0 <= top < 100, top  # scrolled to the heading

    # Edit only section 8 (Topic 7): the form holds just that section.
    page.locator("#topic-7 a.section-edit").click()
    assert "section=8" in page.url
    text = page.input_value("#body")
    assert text.startswith("## Topic 7") and "topic 8" not in text
    page.fill("#body", text.replace("Line 3 about topic 7.", "Line 3, rewritten in a browser."))
    page.click("button:has-text('Save changes')")
    assert page.url == live_server + "/wiki/Guide#topic-7"
    assert "Saved revision 2." in page.content()
    assert "Line 3, rewritten in a browser." in page.locator(".content").inner_text()

    # The rest of the page is untouched.
    raw = page.request.get(live_server + "/wiki/Guide/-/raw").text()
    assert raw == long_page().replace("Line 3 about topic 7.", "Line 3, rewritten in a browser.")
