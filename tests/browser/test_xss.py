"""Hostile Markdown (tests/xss_corpus.py) in every view that shows it, in headless Chromium.

One live wiki for the module. Each payload is saved through the edit form as revision 2 of
its own page (revision 1 is benign, so there is a diff), with a hostile edit summary. Then
Chromium opens the page, the old revision, the diff, the history, the page's Atom feed
(diffs, history, blame and feed for one page holding all payloads, as they show sources as
text line by line, and for a sample of the others), search results, recent changes and the
recent-changes feed (Chromium shows feeds as plain text), and the editor's live preview.
A test fails if anything could have run: a dialog, ``window.__xss`` set, a request for the
marker URL, a script error, a Content-Security-Policy violation (other than img-src: an
image from a plain-http site is allowed by the sanitizer and blocked by the CSP, and is not
script), or, in the browser's own DOM after parsing (so mutation XSS counts too), an event
handler attribute, a script/javascript:/vbscript:/data: URL, or an element that can run or
load active content. The page view is also checked with the CSP header stripped, so the
sanitizer is proven on its own, not only behind the CSP.
"""
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import PASSWORD, serve
from tests.xss_corpus import MARKER, PAYLOADS, SEARCH_WORD

# A page cannot store NUL (PostgreSQL text cannot hold it; the edit form refuses it with a
# message, tests/http/test_escaping.py). Saved pages carry U+FFFD instead, which is what a
# browser's HTML parser makes of a NUL anyway; the preview still gets the NUL payloads as is.
STORED = [payload.replace("\x00", "\ufffd") for payload in PAYLOADS]

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "static"
HOSTILE_SUMMARY = "<script>alert(1)</script><img src=x onerror=alert(1)>"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

# Records CSP violations before any page script runs (init scripts are not subject to CSP).
WATCH_SCRIPT = """
document.addEventListener("securitypolicyviolation", function (e) {
  if (e.effectiveDirective === "img-src") return;
  (window.__csp = window.__csp || []).push(e.effectiveDirective + " " + e.blockedURI);
}, true);
"""

# Problems in the DOM as the browser built it.
DOM_CHECK = """() => {
  const problems = [];
  const bad = /^(?:javascript|vbscript|data|livescript):/i;
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) problems.push(`${el.tagName} ${name}=${attr.value}`);
      if (["href", "src", "action", "formaction", "data", "xlink:href", "srcdoc", "background",
           "poster", "codebase"].includes(name)) {
        const value = attr.value.replace(/[\\u0000-\\u0020\\u007f-\\u00a0\\u2028\\u2029\\ufeff]/g, "");
        if (bad.test(value) || name === "srcdoc") problems.push(`${el.tagName} ${name}=${attr.value}`);
      }
      // Chromium shows a feed as text in a <pre> styled by itself; pages of ours have no style.
      if (name === "style" && document.contentType === "text/html") problems.push(`${el.tagName} style=${attr.value}`);
    }
  }
  for (const s of document.scripts) {
    if (!s.src.startsWith(location.origin + "/static/js/")) problems.push("script " + (s.src || s.text));
  }
  // MathML is allowed (issue 19), but only MathML inside it; the copy buttons and the sandboxed
  // diagram frame are made by our scripts.
  const mathml = "math, mrow, mi, mn, mo, ms, mtext, mspace, mfrac, msqrt, mroot, msub, msup, msubsup, " +
                 "munder, mover, munderover, mtable, mtr, mtd, mstyle, mpadded, mphantom, menclose";
  for (const el of document.querySelectorAll("math, math *")) {
    if (el.namespaceURI !== "http://www.w3.org/1998/Math/MathML" || !el.matches(mathml)) {
      problems.push("element in math " + el.outerHTML.slice(0, 120));
    }
  }
  const active = "iframe:not(.diagram-renderer[sandbox=allow-scripts]), frame, frameset, object, embed, applet, " +
                 "base, meta[http-equiv], svg, " +
                 "style, link:not([rel=stylesheet]):not([rel=icon]):not([rel=alternate]), " +
                 ".content template, .content noscript, .content textarea, .content select, " +
                 ".content button:not(.copy-button), " +
                 ".content form, .content input:not([type=checkbox][disabled]), .toc ul *:not(ul, li, a)";
  for (const el of document.querySelectorAll(active)) problems.push("element " + el.outerHTML.slice(0, 120));
  return {xss: window.__xss || null, csp: window.__csp || [], problems};
}"""


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    """The wiki over HTTP for this module, on its own migrated SQLite file."""
    # 300 saves and 150 previews by one user: far beyond the per-user limits, not under test here
    with serve(tmp_path_factory.mktemp("xss"), SAVES_PER_USER="100000 per minute",
               PREVIEWS_PER_USER="100000 per minute") as url:
        yield url


ALL = "all"  # the page whose second revision holds every payload at once


def path_of(n) -> str:
    return f"/wiki/Xss_{n:03}" if n != ALL else "/wiki/Xss_all"


def everything() -> str:
    return "\n\n".join(STORED) + f"\n\n{SEARCH_WORD}\n"


def post_edit(request, base_url: str, n: int, body: str, base: int, summary: str = "") -> None:
    url = base_url + path_of(n) + "/-/edit"
    token = CSRF_RE.search(request.get(url).text()).group(1)
    response = request.post(url, form={"body": body, "base_revision": str(base), "summary": summary,
                                       "csrf_token": token}, max_redirects=0)
    assert response.status == 303, (n, response.status, response.text()[:500])


@pytest.fixture(scope="module")
def session(browser, base_url):
    """Storage state of a logged-in editor, after every payload page was saved through the form."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(base_url + "/-/register")
    page.fill("#username", "mallory")
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    page.click("button:has-text('Register')")
    assert "Welcome, mallory!" in page.content()
    request = context.request
    for n, payload in enumerate(STORED):
        post_edit(request, base_url, n, f"A benign first draft about {SEARCH_WORD}.\n", 0)
        post_edit(request, base_url, n, payload + f"\n\n{SEARCH_WORD}\n", 1, summary=HOSTILE_SUMMARY)
        raw = request.get(base_url + path_of(n) + "/-/raw")
        assert raw.body() == (payload + f"\n\n{SEARCH_WORD}\n").encode("utf-8"), n
    post_edit(request, base_url, ALL, "A benign first draft.\n", 0)
    post_edit(request, base_url, ALL, everything(), 1, summary=HOSTILE_SUMMARY)
    state = context.storage_state()
    context.close()
    return state


class Watched:
    """A browser page whose every sign of script execution is recorded, with the URL it came from."""

    def __init__(self, context):
        self.page = context.new_page()
        self.findings: list[str] = []
        context.add_init_script(WATCH_SCRIPT)
        page = self.page
        page.on("dialog", lambda d: (self.findings.append(f"{page.url}: dialog {d.type} {d.message}"), d.dismiss()))
        page.on("pageerror", lambda exc: self.findings.append(f"{page.url}: script error {exc}"))
        page.on("request", lambda r: MARKER in r.url and self.findings.append(f"{page.url}: request {r.url}"))
        page.on("console", self._console)

    def _console(self, msg):
        text = msg.text
        if msg.type == "error" and "Content Security Policy" in text and "img-src" not in text:
            self.findings.append(f"{self.page.url}: {text}")

    def check(self, label: str) -> None:
        state = self.page.evaluate(DOM_CHECK)
        if state["xss"] or state["csp"] or state["problems"]:
            self.findings.append(f"{label} {self.page.url}: {state}")

    def visit(self, url: str) -> None:
        response = self.page.goto(url, wait_until="load")
        assert response.status == 200, (url, response.status)
        self.check("visit")


def route_requests(context, strip_csp: bool = False) -> None:
    """Static files come from disk, not from the live server: hundreds of fast navigations
    abort its file responses, and the dev server then leaves files open (ResourceWarning,
    an error under filterwarnings=error). With ``strip_csp``, documents lose their CSP."""

    def handle(route):
        path = urlsplit(route.request.url).path
        if path.startswith("/static/") and ".." not in path:
            return route.fulfill(path=str(STATIC / path[len("/static/"):]))
        if strip_csp and route.request.resource_type == "document":
            response = route.fetch(max_redirects=0)
            headers = {k: v for k, v in response.headers.items() if k.lower() != "content-security-policy"}
            return route.fulfill(response=response, headers=headers)
        return route.continue_()

    context.route("**/*", handle)


@pytest.fixture
def watched(browser, session):
    context = browser.new_context(storage_state=session)
    route_requests(context)
    watched = Watched(context)
    yield watched
    watched.page.wait_for_timeout(200)  # late image errors and focus events
    context.close()
    assert watched.findings == [], "\n".join(watched.findings)


@pytest.fixture
def watched_without_csp(browser, session):
    """As ``watched``, but every document arrives without its Content-Security-Policy header."""
    context = browser.new_context(storage_state=session)
    route_requests(context, strip_csp=True)
    watched = Watched(context)
    yield watched
    watched.page.wait_for_timeout(200)
    context.close()
    assert watched.findings == [], "\n".join(watched.findings)


def test_page_views_and_old_revisions(watched, base_url):
    for n in range(len(PAYLOADS)):
        watched.visit(base_url + path_of(n))
        watched.visit(base_url + path_of(n) + "/-/revisions/2")


def test_page_views_with_the_csp_stripped(watched_without_csp, base_url):
    first = watched_without_csp.page.goto(base_url + path_of(0))
    assert "content-security-policy" not in first.all_headers()  # the stripping works
    for n in range(len(PAYLOADS)):
        watched_without_csp.visit(base_url + path_of(n))


def test_diffs_histories_and_page_feeds(watched, base_url):
    # These views show sources and summaries as text, line by line: one page holding every
    # payload covers them all (each page of its own was checked above for what renders HTML).
    page = base_url + path_of(ALL)
    watched.visit(page)
    watched.visit(page + "/-/diff?from=1&to=2")
    assert watched.page.locator("td.insert").count() >= len(PAYLOADS)
    watched.visit(page + "/-/diff?from=1&to=2&view=inline")
    watched.visit(page + "/-/diff?from=2&to=1")
    watched.visit(page + "/-/history")
    assert HOSTILE_SUMMARY in watched.page.locator("td.summary").first.inner_text()
    watched.visit(page + "/-/blame")
    watched.visit(page + "/-/history.atom")
    assert "<summary type=\"text\">&lt;script&gt;" in watched.page.inner_text("body")
    for n in range(0, len(PAYLOADS), 10):  # and a sample of the pages of their own
        watched.visit(base_url + path_of(n) + "/-/diff?from=1&to=2")


def test_search_recent_changes_and_feed(watched, base_url):
    seen = set()
    url = f"{base_url}/-/search?q={SEARCH_WORD}"
    while url:
        watched.visit(url)
        seen.update(watched.page.locator("a.result-title").all_inner_texts())
        nxt = watched.page.locator(".pagination a:has-text('Next')")
        url = base_url + nxt.get_attribute("href") if nxt.count() else None
    # Every page but those whose payload swallows the rest of the text (an unclosed <math>
    # is dropped with everything after it): found, so every snippet was shown.
    assert len(seen) >= len(PAYLOADS) - 2
    url = base_url + "/-/recent"
    pages = 0
    while url:
        watched.visit(url)
        pages += 1
        older = watched.page.locator(".pagination a:has-text('Older')")
        url = base_url + older.get_attribute("href") if older.count() else None
    assert pages * 50 >= 2 * len(PAYLOADS) + 2
    watched.visit(base_url + "/-/recent.atom")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in watched.page.inner_text("body")


def test_live_preview(watched, base_url):
    page = watched.page
    watched.visit(base_url + "/wiki/Preview_sandbox/-/edit")
    for n, payload in enumerate(PAYLOADS):
        token = f"previewtoken{n:03}"
        # Not "#body": a payload's "# body" heading in the previous preview has that id too.
        page.fill("form.edit-form textarea[name=body]", f"{token}\n\n{payload}")
        with page.expect_response(lambda r: r.url.endswith("/-/preview")) as response:
            page.click("button[data-preview]")
        assert response.value.status == 200
        page.locator(".preview-body", has_text=token).wait_for()  # (wait_for_function needs eval: CSP)
        watched.check(f"preview of payload {n}")
