"""Discussion notifications by mail, through a real SMTP server (aiosmtpd): a watcher hears
of a new thread and a mentioned user of the comment, each mail linking to the thread."""
import re

import pytest

from tests.blueprints.test_notifications import client_for, give_email, watch
from tests.conftest import post_form
from tests.mailbox import PUBLIC_URL, link, mail_config, mailbox, parts, smtp  # noqa: F401 - fixtures


@pytest.fixture
def app_config(smtp):  # noqa: F811
    return mail_config(smtp[1])


def test_a_new_thread_mails_the_watcher_and_the_mentioned(app, make_user, make_page, mailbox):  # noqa: F811
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    for user in (alice, bob, carol):
        give_email(app, user, f"{user.username}@example.org")
    make_page("Caching", "# Caching\n\n## Keys\n\nHashes.\n")
    as_alice, as_bob = client_for(app, alice), client_for(app, bob)
    watch(as_alice, "Caching")
    response = post_form(as_bob, "/wiki/Caching/-/discussion", {"body": "Why hashes, @carol?", "section": "keys"},
                         form_url="/wiki/Caching/-/discussion?section=keys")
    tid = re.search(r"#thread-(\d+)$", response.headers["Location"]).group(1)
    [to_alice] = mailbox.to("alice@example.org")
    [to_carol] = mailbox.to("carol@example.org")
    assert mailbox.to("bob@example.org") == []  # never the author
    text, html = parts(to_alice)
    assert "bob started a discussion of “Caching”: Why hashes, @carol?" in text
    assert "<script" not in html
    assert link(to_alice, "/-/discussion") == f"{PUBLIC_URL}/wiki/Caching/-/discussion#thread-{tid}"
    assert "bob mentioned you in the discussion of “Caching”" in parts(to_carol)[0]
