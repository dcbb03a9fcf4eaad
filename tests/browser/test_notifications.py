"""The whole loop in Chromium, with the default background work (the SQLite job queue run by
a thread in the server) and a real SMTP server: register with an address and confirm it,
watch, another user edits, the count appears, the notification opens the diff, the mail
arrives and unsubscribes; then forgot password → mail → new password."""
import threading

import pytest
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from tests.browser.conftest import PASSWORD, register
from tests.conftest import TEST_DATABASE_URL, _base_config, _migrate, ensure_postgresql_database, reset_postgresql
from tests.mailbox import link, mailbox, smtp  # noqa: F401 - fixtures
from tests.support import free_port, require_postgresql
from wiki import create_app

pytestmark = pytest.mark.browser
NEW_PASSWORD = "another long passphrase"


def _database(kind: str, tmp_path) -> str:
    """A migrated, empty database: a SQLite file, or a PostgreSQL database of this test's own
    beside TEST_DATABASE_URL's (its schema replaced)."""
    if kind == "sqlite":
        url = "sqlite:///" + str(tmp_path / "live.db")
    else:
        require_postgresql(TEST_DATABASE_URL, "the notification loop on PostgreSQL")
        parsed = make_url(TEST_DATABASE_URL)
        url = parsed.set(database=f"{parsed.database}_notify_loop").render_as_string(hide_password=False)
        ensure_postgresql_database(url)
        reset_postgresql(url)
    _migrate(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def mail_server(request, tmp_path, smtp):  # noqa: F811
    """The wiki on a known free port (PUBLIC_URL names it), default job queue, mail on."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    url = _database(request.param, tmp_path)
    config = _base_config(url) | {"TESTING": False, "JOBS_QUEUE_URL": None, "JOBS_WORKER_THREADS": 1,
                                  "JOBS_SWEEP_SECONDS": 1, "MAIL_URL": f"smtp://127.0.0.1:{smtp[1]}",
                                  "MAIL_FROM": "wiki@example.org", "PUBLIC_URL": base}
    app = create_app(config)
    app.instance_path = str(tmp_path)  # instance/jobs.db lives here
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    app.extensions["nexus.jobqueue"].stop.set()
    server.shutdown()
    thread.join()
    with app.app_context():
        from wiki.extensions import db

        db.engine.dispose()


@pytest.fixture
def second_page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_watch_edit_count_notification_mail_unsubscribe_and_reset(mail_server, page, second_page, mailbox):  # noqa: F811
    base, ann, ben = mail_server, page, second_page
    page.goto(base + "/-/register")
    page.fill("#username", "ann")
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    page.fill("#email", "ann@example.org")
    page.click("button:has-text('Register')")
    assert "A link to confirm ann@example.org is on its way" in ann.content()
    [confirm] = mailbox.wait_for("ann@example.org")
    ann.goto(link(confirm, "/-/account/verify/"))
    assert "ann@example.org is confirmed" in ann.content()

    ann.goto(base + "/wiki/Queues/-/edit")
    ann.fill("#body", "# Queues\n\nCelery and RabbitMQ.\n")
    ann.click("button:has-text('Create page')")
    assert ann.locator(".page-watch button").inner_text() == "★ Unwatch"  # created: watched automatically
    ann.click(".page-watch button")
    assert "You no longer watch" in ann.content()
    ann.click(".page-watch button:has-text('Watch')")
    assert "You watch “Queues”" in ann.content()

    register(ben, base, "ben")
    ben.goto(base + "/wiki/Queues/-/edit")
    ben.fill("#body", "# Queues\n\nCelery, RabbitMQ and Redis.\n")
    ben.fill("#summary", "adds Redis")
    ben.click("button:has-text('Save changes')")

    [mail] = mailbox.wait_for("ann@example.org", count=2)[1:]  # sent by the background thread
    assert mail["Subject"] == "[Nexus] ben edited “Queues”"
    ann.goto(base + "/wiki/Home")
    count = ann.locator(".notifications-link .count")
    assert count.inner_text() == "1"
    ann.click(".notifications-link")
    ann.click("text=ben edited “Queues”: adds Redis")
    assert "/wiki/Queues/-/diff?from=1&to=2" in ann.url
    assert "Redis" in ann.locator("main").inner_text()
    assert ann.locator(".notifications-link .count").count() == 0  # read now

    ann.goto(link(mail, "/-/unsubscribe/"))
    ann.click("button:has-text('Stop the mail')")
    assert "no more notification mail" in ann.content()
    ann.goto(base + "/-/notifications/preferences")
    assert ann.locator("input[value=never]").is_checked()

    # Forgot password: ann logs out, asks for a link, sets a new password, logs in with it.
    ann.click("button:has-text('Log out')")
    ann.goto(base + "/-/login")
    ann.click("text=Forgot password?")
    ann.fill("#account", "ann")
    ann.click("button:has-text('Mail me a link')")
    assert "If an account with a confirmed mail address matches" in ann.content()
    reset = mailbox.wait_for("ann@example.org", count=3)[2]
    ann.goto(link(reset, "/-/reset/"))
    ann.fill("#password", NEW_PASSWORD)
    ann.fill("#password_confirm", NEW_PASSWORD)
    ann.click("button:has-text('Set the new password')")
    assert "Log in with the new password" in ann.content()
    ann.fill("#username", "ann")
    ann.fill("#password", NEW_PASSWORD)
    ann.click("main button:has-text('Log in')")
    assert "Welcome back, ann." in ann.content()
