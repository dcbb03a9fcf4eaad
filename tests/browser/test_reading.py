"""Reading in a real browser (issue 19), at 1280 and 390 px: titles, diagrams, math, dark mode,
phones, code blocks, and axe-core over every page type (0 critical, 0 serious violations).

Screenshots of every page type go to screenshots/reading/ (gitignored; NEXUS_SCREENSHOTS
moves them) for people to look at.
"""
import json
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM_ARGS, PASSWORD, serve  # noqa: F401 (CHROMIUM_ARGS: same browser)
from tests.conftest import _base_config, _migrate
from wiki import create_app
from wiki.extensions import db
from wiki.services import pages as page_service
from wiki.services import users

ROOT = Path(__file__).resolve().parents[2]
AXE = next((ROOT / "static" / "vendor").glob("axe-core-*/axe.min.js"))
SHOTS = Path(os.environ.get("NEXUS_SCREENSHOTS", ROOT / "screenshots" / "reading"))
WIDTHS = {"desktop": 1280, "phone": 390}

LEARNER_PAGE = """---
title: Caching with Redis
---

Caching keeps answers close to the code that needs them. See [[Docker]], [[Docker#Images and containers]],
[[Docker#No such part]] and [[Kubernetes]]. A cache costs $5 a month; run `echo $HOME` in a shell.

[TOC]

## How a request flows

```mermaid
sequenceDiagram
    participant App
    participant Redis
    App->>Redis: GET user:42
    Redis-->>App: miss
    App->>Redis: SET user:42
```

## The hit ratio

The hit ratio is $h = \\frac{hits}{hits + misses}$, and the expected latency is

$$T = h \\cdot t_{cache} + (1 - h) \\cdot t_{db}$$

```math
\\sum_{i=1}^{n} t_i
```

```math
\\frac{a
```

## Code

```python
import redis

client = redis.Redis(host="localhost", port=6379, decode_responses=True)
client.set("user:42", "{\\"name\\": \\"Ada\\", \\"roles\\": [\\"admin\\", \\"editor\\"], \\"very_long_field_name\\": true}")
```

## Diagram with a mistake

```mermaid
flowchart TD
    A[Start --> B{this is not closed
```

## Checklist

- [x] Install Redis
- [ ] Set a TTL on every key

| Command | What it does |
|---|---|
| `GET` | reads a key |
| `SET` | writes a key |
"""

DOCKER = "# Docker\n\nContainers for everything.\n\n## Images and containers\n\nAn image is a template.\n"


@pytest.fixture(scope="module")
def wiki(tmp_path_factory):
    """A live wiki with an admin, an editor and the learner's pages; yields its base URL."""
    folder = tmp_path_factory.mktemp("reading")
    url = "sqlite:///" + str(folder / "live.db")
    _migrate(url)
    app = create_app(_base_config(url))
    with app.app_context():
        admin = users.create_user("ada", PASSWORD, role="admin")
        page_service.save_page("Docker", DOCKER, "first", admin, base_revision=0)
        page_service.save_page("concepts/caching-with-redis", LEARNER_PAGE, "first", admin, base_revision=0)
        page_service.save_page("concepts/caching-with-redis", LEARNER_PAGE + "\nMore.\n", "more", admin, base_revision=1)
        db.engine.dispose()
    with serve(folder) as base:
        yield base


@pytest.fixture(scope="module")
def browser_errors():
    return []


def new_page(browser, width, errors, dark=False):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme="dark" if dark else "light")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()

    def on_console(msg):
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            errors.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


def log_in(page, base, name="ada"):
    page.goto(base + "/-/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def axe_violations(page):
    """Critical and serious violations axe-core finds on the page (WCAG 2.2 A/AA, best practice)."""
    origin = re.match(r"https?://[^/]+", page.url).group(0)
    page.add_script_tag(url=f"{origin}/static/vendor/{AXE.parent.name}/axe.min.js")  # served by us: CSP holds
    result = page.evaluate("""() => axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
        resultTypes: ['violations']})""")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5], "help": v["help"]}
        for v in result["violations"] if v["impact"] in ("critical", "serious")
    ]


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def no_sideways_scroll(page):
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


PAGE = "/wiki/concepts/caching-with-redis"
LOGGED_OUT = {
    "view": PAGE,
    "history": PAGE + "/-/history",
    "diff": PAGE + "/-/diff?from=1&to=2",
    "revision": PAGE + "/-/revisions/1",
    "blame": PAGE + "/-/blame",
    "backlinks": "/wiki/Docker/-/backlinks",
    "search": "/-/search?q=redis+cache",
    "recent": "/-/recent",
    "all-pages": "/-/pages",
    "wanted": "/-/wanted",
    "orphans": "/-/orphans",
    "contributions": "/-/user/ada",
    "login": "/-/login",
    "register": "/-/register",
    "missing-page": "/wiki/No_such_page",
    "not-found": "/-/no-such-thing",
}
LOGGED_IN = {
    "edit": PAGE + "/-/edit",
    "account": "/-/account",
    "admin-users": "/-/admin/users",
    "admin-invitations": "/-/admin/invitations",
    "admin-audit": "/-/admin/audit",
    "admin-jobs": "/-/admin/jobs",
    "rename": PAGE + "/-/rename",
    "delete": PAGE + "/-/delete",
    "new-page": "/-/new?title=Kubernetes",
    "section-edit": "/wiki/Docker/-/edit?section=2",
}


@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_serious_violations_on_any_page_type(browser, wiki, width, browser_errors):
    page = new_page(browser, WIDTHS[width], browser_errors)
    found = {}
    for name, path in LOGGED_OUT.items():
        page.goto(wiki + path)
        page.wait_for_load_state("networkidle")
        shoot(page, f"{name}-{width}")
        if violations := axe_violations(page):
            found[name] = violations
        assert page.locator("h1").count() == 1, f"{name}: one h1 per page"
        assert no_sideways_scroll(page), f"{name} scrolls sideways at {WIDTHS[width]} px"
    log_in(page, wiki)
    for name, path in LOGGED_IN.items():
        page.goto(wiki + path)
        page.wait_for_load_state("networkidle")
        shoot(page, f"{name}-{width}")
        if violations := axe_violations(page):
            found[name] = violations
        assert page.locator("h1").count() == 1, f"{name}: one h1 per page"
        assert no_sideways_scroll(page), f"{name} scrolls sideways at {WIDTHS[width]} px"
    page.context.close()
    assert found == {}, json.dumps(found, indent=1)
    assert browser_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_dark_mode_follows_the_system_and_the_toggle_is_remembered(browser, wiki, width, browser_errors):
    page = new_page(browser, WIDTHS[width], browser_errors, dark=True)
    page.goto(wiki + PAGE)
    page.wait_for_load_state("networkidle")
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(20, 23, 28)"
    shoot(page, f"view-dark-{width}")
    assert axe_violations(page) == []
    toggle = page.get_by_role("button", name="Dark mode")
    assert toggle.get_attribute("aria-pressed") == "true"
    toggle.click()
    assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    page.goto(wiki + "/-/recent")  # remembered in this browser, before the first paint
    assert page.evaluate("() => document.documentElement.dataset.theme") == "light"
    assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    page.context.close()
    assert browser_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_a_learner_reads_titles_diagrams_formulas_and_code(browser, wiki, width, browser_errors):
    page = new_page(browser, WIDTHS[width], browser_errors)
    page.goto(wiki + PAGE)
    page.wait_for_load_state("networkidle")
    # The display title: heading, tab, one h1; the path stays the URL.
    assert page.locator("h1").inner_text() == "Caching with Redis"
    assert page.title().startswith("Caching with Redis · ")
    # Links without a label read their target's display title; the section label is stable.
    content = page.locator("article.content")
    assert content.get_by_role("link", name="Docker", exact=True).count() == 1
    assert content.get_by_role("link", name="Docker § Images and containers").count() == 1
    missing_section = content.locator("a.missing-section")
    assert missing_section.inner_text() == "Docker § No such part"
    assert page.evaluate("(el) => getComputedStyle(el).color", missing_section.element_handle()) == \
        page.evaluate("(el) => getComputedStyle(el).color", content.locator("a.wikilink.new").element_handle())
    assert "[TOC]" not in content.inner_text()
    # "Edited by ada · ... ago": relative in the browser, exact on hover.
    edited = page.locator(".edited-by time")
    assert re.fullmatch(r"(just now|\d+ (seconds?|minutes?) ago|now)", edited.inner_text()), edited.inner_text()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", edited.get_attribute("title"))
    assert "Edited by ada" in page.locator(".edited-by").inner_text()
    # The sequence diagram is drawn; the broken one shows its error above its source.
    page.wait_for_selector(".diagram svg", timeout=20000)
    page.wait_for_selector(".diagram-error", timeout=20000)
    shoot(page, f"learner-{width}")
    assert page.locator(".diagram svg").count() == 1
    assert "App" in page.locator(".diagram svg").first.text_content()
    assert page.locator(".diagram-error").count() == 1
    assert "this is not closed" in page.locator(".diagram pre.mermaid").nth(1).inner_text()
    assert page.locator(".diagram pre.mermaid").nth(1).is_visible()
    # Formulas are MathML, laid out by the browser; bad TeX is code with a notice; $5 is text.
    assert page.locator("math").count() == 3
    assert page.locator("math[display=block]").count() == 2
    assert "could not be rendered" in page.locator(".math-error").inner_text()
    assert "A cache costs $5 a month" in content.inner_text()
    # Code: a language label, a copy button that copies, a focusable labelled scroll region.
    block = page.locator(".code-block").filter(has=page.locator(".code-lang", has_text="python"))
    assert block.locator("pre").get_attribute("tabindex") == "0"
    assert block.locator("pre").get_attribute("aria-label") == "Code: python"
    block.get_by_role("button", name="Copy python code").click()
    expect(block.get_by_role("button", name="Copy python code")).to_have_text("Copied")
    assert page.evaluate("() => navigator.clipboard.readText()").startswith("import redis\n\nclient = ")
    # Heading links are named after their heading; task boxes are labelled.
    assert page.locator('a.headerlink[aria-label="Link to section: The hit ratio"]').count() == 1
    assert page.locator('input[type=checkbox][aria-label="Done"]').count() == 1
    shoot(page, f"learner-{width}")
    page.context.close()
    assert browser_errors == []


def test_on_a_phone_the_contents_collapse_and_page_actions_are_a_menu(browser, wiki, browser_errors):
    page = new_page(browser, 390, browser_errors)
    log_in(page, wiki)
    page.goto(wiki + PAGE)
    toc = page.locator("details.toc")
    assert toc.get_attribute("open") is None
    assert not page.get_by_role("link", name="The hit ratio", exact=True).first.is_visible()
    toc.locator("summary").click()
    assert page.locator("details.toc nav").get_by_role("link", name="The hit ratio").is_visible()
    rename = page.locator(".tabs").get_by_role("link", name="Rename")
    assert not rename.is_visible()
    page.locator(".more-actions summary").click()
    assert rename.is_visible() and page.locator(".tabs").get_by_role("link", name="Delete").is_visible()
    shoot(page, "phone-menu-open")
    rename.click()
    assert page.url.endswith("/-/rename")
    page.context.close()
    assert browser_errors == []


def test_on_a_desktop_contents_and_every_action_show_at_once(browser, wiki, browser_errors):
    page = new_page(browser, 1280, browser_errors)
    log_in(page, wiki)
    page.goto(wiki + PAGE)
    assert page.locator("details.toc nav").get_by_role("link", name="The hit ratio").is_visible()
    for action in ("Read", "Edit", "History", "Source", "Blame", "Links here", "Rename", "Delete"):
        assert page.locator(".tabs").get_by_role("link", name=action, exact=True).is_visible(), action
    assert not page.locator(".more-actions summary").is_visible()
    page.context.close()
    assert browser_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_logged_out_readers_edit_by_logging_in_and_come_back(browser, wiki, width, browser_errors):
    page = new_page(browser, WIDTHS[width], browser_errors)
    page.goto(wiki + "/wiki/Docker")
    page.locator(".tabs").get_by_role("link", name="Edit").click()
    assert "/-/login" in page.url
    page.fill("#username", "ada")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/wiki/Docker/-/edit")
    page.context.close()
    assert browser_errors == []


def test_keyboard_users_skip_to_the_content_and_see_where_focus_is(browser, wiki, browser_errors):
    page = new_page(browser, 1280, browser_errors)
    page.goto(wiki + PAGE)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to content"
    assert skip.is_visible()
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    # Every control shows its focus: tab through the whole page (until focus leaves it).
    reached = 0
    for _ in range(200):
        page.keyboard.press("Tab")
        style = page.evaluate("() => { const s = getComputedStyle(document.activeElement);"
                              " return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth]; }")
        if style[0] == "BODY":
            break
        reached += 1
        assert style[1] == "solid" and style[2] != "0px", style
    assert reached >= 25  # header, tabs, contents, links, copy buttons, code regions, diagram sources
    page.context.close()
    assert browser_errors == []


def test_search_snippets_are_plain_text_with_the_words_marked(browser, wiki, browser_errors):
    page = new_page(browser, 390, browser_errors)
    page.goto(wiki + "/-/search?q=containers")
    result = page.locator(".search-results li").first
    assert result.locator(".result-title").inner_text() == "Docker"
    snippet = result.locator(".snippet")
    assert "[[" not in snippet.inner_text() and "##" not in snippet.inner_text()
    assert snippet.locator("mark").first.inner_text().lower().startswith("container")
    page.context.close()
    assert browser_errors == []


def test_print_leaves_out_the_controls(browser, wiki, browser_errors):
    page = new_page(browser, 1280, browser_errors)
    page.goto(wiki + PAGE)
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".tabs").is_visible()
    assert page.locator("h1").is_visible() and page.locator("article.content").is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SHOTS / "print.pdf"))
    page.context.close()
    assert browser_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_without_javascript_math_shows_and_diagrams_are_their_source(browser, wiki, width):
    context = browser.new_context(viewport={"width": WIDTHS[width], "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.goto(wiki + PAGE)
    assert page.locator("math").count() == 3  # MathML needs no script
    assert page.locator(".diagram svg").count() == 0
    assert "participant App" in page.locator("pre.mermaid").first.inner_text()
    assert not page.locator("[data-theme-toggle]").is_visible()  # it would do nothing
    assert page.locator(".edited-by time").inner_text().endswith(" UTC")  # the absolute time
    assert no_sideways_scroll(page)
    shoot(page, f"no-javascript-{width}")
    context.close()


def test_diagrams_in_old_revisions_and_in_the_preview(browser, wiki, browser_errors):
    page = new_page(browser, 1280, browser_errors)
    page.goto(wiki + PAGE + "/-/revisions/1")
    page.wait_for_selector(".diagram svg", timeout=20000)
    log_in(page, wiki)
    page.goto(wiki + "/wiki/Docker/-/edit")
    page.fill("textarea[name=body]", "# Docker\n\n```mermaid\nflowchart LR\n  Build --> Ship --> Run\n```\n\n$x^2$\n")
    page.click("button[data-preview]")
    page.wait_for_selector(".preview-body .diagram svg", timeout=20000)
    assert "Ship" in page.locator(".preview-body .diagram svg").text_content()
    assert page.locator(".preview-body math").count() == 1
    assert "Title: Docker" in page.locator(".preview-page-title").inner_text()
    shoot(page, "preview-diagram")
    page.context.close()
    assert browser_errors == []
