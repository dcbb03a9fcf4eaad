"""A live wiki in a thread and headless Debian Chromium driven by Playwright.

Chromium is required: a missing browser fails these tests, it never skips them.
"""
import os
import threading
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from tests.conftest import _base_config, _migrate
from wiki import create_app

CHROMIUM = os.environ.get("NEXUS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@contextmanager
def serve(folder, **config):
    """The wiki served over HTTP on a free local port, on its own migrated SQLite file in
    ``folder``; yields its base URL."""
    url = "sqlite:///" + str(folder / "live.db")
    _migrate(url)
    app = create_app(_base_config(url) | {"TESTING": False} | config)
    app.instance_path = str(folder)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture
def live_server(tmp_path):
    with serve(tmp_path) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser():
    assert os.path.exists(CHROMIUM), f"Chromium is missing at {CHROMIUM}: apt-get install -y chromium"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context; console errors (CSP violations included), failed
    stylesheets/scripts/images and dialogs fail the test. A 404 *page* is fine: the wiki
    answers 404 for missing pages on purpose."""
    context = browser.new_context()
    page = context.new_page()
    errors = []

    def on_console(msg):
        # Chromium logs every 4xx, documents included; sub-resources are checked below.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            errors.append(msg.text)

    def on_response(response):
        if response.status >= 400 and response.request.resource_type != "document":
            errors.append(f"{response.status} for {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The editor's "leave this page?" warning: a test that means to leave a changed form sets
    # page.leaving to a list; the warning is then accepted and recorded there.
    page.leaving = None

    def on_dialog(dialog):
        if dialog.type == "beforeunload" and page.leaving is not None:
            page.leaving.append(dialog.type)
            dialog.accept()
        else:
            errors.append(f"dialog: {dialog.type} {dialog.message}")
            dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page
    context.close()
    assert errors == [], f"the browser reported errors: {errors}"


PASSWORD = "correct horse battery"


def register(page, base: str, name: str) -> None:
    """Register (and so log in) ``name`` through the form, as a visitor would."""
    page.goto(base + "/-/register")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    page.click("button:has-text('Register')")
