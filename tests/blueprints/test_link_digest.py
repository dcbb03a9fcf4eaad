"""The weekly link-health digest (issue 20), through a real SMTP server (aiosmtpd): owners
(front matter ``owner:``) and watchers of pages with broken links get one mail a week, queued
by the sweeper's tick on Monday at the digest hour; nothing broken, no mail. ``now`` is
passed in: nothing sleeps."""
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from tests.blueprints.test_notifications import client_for, give_email, watch
from tests.conftest import post_form
from tests.mailbox import PUBLIC_URL, mail_config, mailbox, parts, smtp  # noqa: F401 - fixtures
from wiki.extensions import db
from wiki.jobqueue import queue_of
from wiki.models import Notification, ScheduledRun, utcnow
from wiki.services import linkhealth


@pytest.fixture
def app_config(smtp):  # noqa: F811
    return mail_config(smtp[1])


def next_monday(hour: int):
    now = utcnow()
    return (now + timedelta(days=(7 - now.weekday()) % 7 or 7)).replace(hour=hour, minute=5, second=0, microsecond=0)


@pytest.fixture
def people(app, make_user, make_page):
    alice, bob, carol, dave = (make_user(name) for name in ("alice", "bob", "carol", "dave"))
    for user in (alice, bob, carol, dave):
        give_email(app, user, f"{user.username}@example.org")
    make_page("Linker", "---\nowner: Alice\n---\nSee [[Nowhere]] and [[Elsewhere]].\n")  # owned by alice
    make_page("Watched", "Also [[Nowhere]].\n")
    make_page("Fine", "---\nowner: carol\n---\nNo broken links here.\n")  # carol owns nothing broken
    watch(client_for(app, bob), "Watched")
    return alice, bob, carol, dave


def test_owners_and_watchers_get_one_digest_a_week(app, people, mailbox):  # noqa: F811
    options = queue_of(app).settings.options["notifications"]
    monday = next_monday(options.digest_hour)
    with app.app_context():
        assert linkhealth.tick(options, monday - timedelta(hours=1)) == []  # before the hour
        assert linkhealth.tick(options, monday + timedelta(days=1)) == []  # not a Monday
        assert linkhealth.tick(options, monday) == ["link_digest"]
        assert linkhealth.tick(options, monday + timedelta(hours=3)) == []  # once that week
    [to_alice] = mailbox.to("alice@example.org")
    assert to_alice["Subject"] == "[Nexus] Weekly link health: 2 broken links"
    text, html = parts(to_alice)
    assert "2 broken links on 1 page you own or watch." in text and "“Linker”: 2 broken links." in text
    assert f"{PUBLIC_URL}/-/links/broken" in text and to_alice["List-Unsubscribe"]
    [to_bob] = mailbox.to("bob@example.org")  # bob watches "Watched" (and, auto-watching, nothing else)
    assert "“Watched”: 1 broken link." in parts(to_bob)[0]
    assert mailbox.to("carol@example.org") == [] and mailbox.to("dave@example.org") == []
    with app.app_context():  # in the app too, leading to the list
        note = db.session.scalar(select(Notification).where(Notification.user_id == people[0].id))
        assert (note.kind, note.mail, note.summary) == ("broken_links", "sent", "2 broken links on 1 page")
    as_alice = client_for(app, people[0])
    assert as_alice.get(f"/-/notifications/{note.id}").headers["Location"] == "/-/links/broken"

    with app.app_context():  # the slot claimed again (say, pruned): nobody is told twice that week
        db.session.execute(delete(ScheduledRun))
        db.session.commit()
        assert linkhealth.tick(options, monday + timedelta(hours=5)) == ["link_digest"]
    assert len(mailbox.to("alice@example.org")) == 1
    with app.app_context():  # the next week: told again
        assert linkhealth.tick(options, monday + timedelta(days=7)) == ["link_digest"]
    assert len(mailbox.to("alice@example.org")) == 2


def test_a_prefix_watcher_is_told_and_nothing_broken_means_no_mail(app, make_user, make_page, mailbox):  # noqa: F811
    dave = make_user("dave")
    give_email(app, dave, "dave@example.org")
    make_page("Guides/One", "Fine text.\n")
    as_dave = client_for(app, dave)
    assert post_form(as_dave, "/-/watchlist/prefix", {"prefix": "Guides/"}, form_url="/-/watchlist").status_code == 303
    options = queue_of(app).settings.options["notifications"]
    monday = next_monday(options.digest_hour)
    with app.app_context():
        assert linkhealth.tick(options, monday) == ["link_digest"]
    assert mailbox.to("dave@example.org") == []  # nothing is broken: no mail
    make_page("Guides/Two", "[[Missing guide]]\n")
    with app.app_context():
        assert linkhealth.tick(options, monday + timedelta(days=7)) == ["link_digest"]
    [mail] = [m for m in mailbox.to("dave@example.org") if "link health" in m["Subject"]]  # (the other: the new page)
    assert "“Guides/Two”: 1 broken link." in parts(mail)[0]
