"""Discussions in Chromium: the project's XSS corpus posted as comments (and as the earlier
texts of an edited comment), watched as tests/browser/test_xss.py watches pages, with and
without the Content-Security-Policy; and a learner's whole loop without JavaScript help:
start a thread from a heading's "discuss" link, reply, resolve, and see the counts change."""
import re

import pytest

from tests.browser.conftest import PASSWORD, serve
from tests.browser.test_xss import CSRF_RE, STORED, Watched, route_requests

pytestmark = pytest.mark.browser

PAGE = "/wiki/Talk"
DISCUSSION = PAGE + "/-/discussion"
BODY = "# Talk\n\nIntro.\n\n## Keys\n\nKeys are hashes.\n\n## Eviction\n\nLRU by bytes.\n"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("discussion"), COMMENTS_PER_USER="100000 per minute",
               SAVES_PER_USER="100000 per minute") as url:
        yield url


def register(page, base_url, name):
    page.goto(base_url + "/-/register")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    page.click("button:has-text('Register')")
    assert f"Welcome, {name}!" in page.content()


def post(request, url, form_url, data) -> str:
    token = CSRF_RE.search(request.get(form_url).text()).group(1)
    response = request.post(url, form={**data, "csrf_token": token}, max_redirects=0)
    assert response.status == 303, (url, response.status, response.text()[:500])
    return response.headers["location"]


@pytest.fixture(scope="module")
def session(browser, base_url):
    """A logged-in editor who saved the page and posted every payload as a comment: one
    thread per payload (half of them about a section), a reply in each, and one comment
    edited through every payload so that its history shows them all."""
    context = browser.new_context()
    page = context.new_page()
    register(page, base_url, "mallory")
    request = context.request
    post(request, base_url + PAGE + "/-/edit", base_url + PAGE + "/-/edit",
         {"body": BODY, "base_revision": "0", "summary": ""})
    first = None
    for n, payload in enumerate(STORED):
        data = {"body": payload, **({"section": "keys"} if n % 2 else {})}
        location = post(request, base_url + DISCUSSION, base_url + DISCUSSION, data)
        thread = re.search(r"#thread-(\d+)", location).group(1)
        location = post(request, f"{base_url}{DISCUSSION}/{thread}/reply", base_url + DISCUSSION,
                        {"body": f"reply {n}: {payload}"})
        first = first or re.search(r"#comment-(\d+)", location).group(1)
    edit = f"{base_url}{DISCUSSION}/comments/{first}/edit"
    for payload in STORED:
        post(request, edit, edit, {"body": payload})
    state = context.storage_state()
    context.close()
    return state, first


@pytest.fixture(params=[False, True], ids=["csp", "no-csp"])
def watched(request, browser, session):
    context = browser.new_context(storage_state=session[0])
    route_requests(context, strip_csp=request.param)
    watched = Watched(context)
    yield watched
    watched.page.wait_for_timeout(200)
    context.close()
    assert watched.findings == [], "\n".join(watched.findings)


def test_the_xss_corpus_as_comments_runs_nothing(watched, base_url, session):
    watched.visit(base_url + DISCUSSION)
    assert watched.page.locator(".comment").count() == 2 * len(STORED)
    watched.visit(f"{base_url}{DISCUSSION}/comments/{session[1]}/history")
    assert watched.page.locator(".comment-version").count() == len(STORED) + 1
    watched.visit(base_url + PAGE)  # with the comment counts added beside the headings
    assert watched.page.locator("a.discussion-count").count() == 1
    watched.visit(base_url + DISCUSSION + "?section=keys")


def test_anonymous_readers_see_the_corpus_safely_too(browser, base_url, session):
    context = browser.new_context()
    route_requests(context)
    watched = Watched(context)
    watched.visit(base_url + DISCUSSION)
    watched.visit(base_url + PAGE)
    watched.page.wait_for_timeout(200)
    context.close()
    assert watched.findings == [], "\n".join(watched.findings)


def test_start_a_thread_from_a_heading_reply_resolve_and_see_the_counts(browser, tmp_path):
    with serve(tmp_path) as base:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        register(page, base, "learner")
        page.goto(base + PAGE + "/-/edit")
        page.fill("form.edit-form textarea[name=body]", BODY)
        page.click("button:has-text('Create page')")
        assert page.locator("h2#keys").count() == 1
        assert page.locator(".tab-count").count() == 0

        page.click("h2#keys a.section-discuss")
        assert page.url.endswith("/wiki/Talk/-/discussion?section=keys")
        assert "Discuss “Keys”" in page.inner_text("h2")
        page.fill("#new-thread textarea[name=body]", "Why are keys **hashes**?")
        page.click("button:has-text('Start thread')")
        thread = page.locator("article.thread").first
        assert "On “Keys” in revision 1" in thread.inner_text()
        assert thread.locator("strong", has_text="hashes").count() == 1
        thread.locator("textarea[name=body]").fill("So that they have a fixed size.")
        thread.locator("button:has-text('Reply')").click()
        assert "So that they have a fixed size." in page.locator("article.thread").first.inner_text()
        assert page.locator(".tab-count").inner_text() == "1"
        page.screenshot(path=str(tmp_path / "discussion-1280.png"), full_page=True)

        page.click("nav.tabs a:has-text('Read')")
        assert page.locator("h2#keys a.discussion-count").inner_text() == "2 comments"
        assert page.locator(".tab-count").inner_text() == "1"
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(tmp_path / "page-390.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})

        page.click("h2#keys a.discussion-count")
        page.locator("article.thread").first.locator("button:has-text('Resolve')").click()
        assert "Thread resolved." in page.content()
        assert page.locator("article.thread .badge").first.inner_text() == "resolved"
        assert page.locator(".tab-count").count() == 0
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(tmp_path / "discussion-390.png"), full_page=True)
        page.click("nav.tabs a:has-text('Read')")
        assert page.locator(".tab-count").count() == 0  # no open thread
        assert page.locator("h2#keys a.discussion-count").inner_text() == "2 comments"

        page.goto(base + PAGE + "/-/edit?section=2")
        page.fill("form.edit-form textarea[name=body]", "## Keys\n\nKeys are blake2b hashes.\n")
        page.click("button:has-text('Save changes')")
        page.goto(base + DISCUSSION)
        assert "Section changed since revision 1." in page.inner_text("article.thread")
        page.screenshot(path=str(tmp_path / "changed-390.png"), full_page=True)
        page.click("article.thread a:has-text('See how')")
        assert "blake2b" in page.inner_text("table")
        context.close()
