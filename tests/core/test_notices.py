"""Notifications as values: mentions, sentences, batching, digest grouping, link payloads,
the MAIL_URL setting and the messages built from them."""
from datetime import datetime, timedelta, timezone

import pytest

from wiki.core import notices
from wiki.core.mail import InvalidMailSetting, Link, Mail, build_message, clean_email, parse_mail_url
from wiki.core.notices import Event

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, names", [
    ("thanks @Bob", ["bob"]),
    ("@alice and @bob, @ALICE again", ["alice", "bob"]),
    ("mail bob@example.org", []),
    ("see @carol.", ["carol"]),
    ("@x is too short, @a.b is fine", ["a.b"]),
    ("", []),
])
def test_mentions(text, names):
    assert notices.mentions(text) == names


def test_mentions_are_capped():
    assert len(notices.mentions(" ".join(f"@user{i}" for i in range(50)))) == notices.MAX_MENTIONS


def test_sentences():
    assert notices.describe(Event("edit", "Caching", "bob", "typo")) == "bob edited “Caching”: typo"
    assert notices.describe(Event("delete", "Caching", None, "dup")) == "Someone deleted “Caching” (reason: dup)"
    assert notices.describe(Event("mention", "Caching", "bob")) == "bob mentioned you in an edit of “Caching”"
    events = [Event("edit", "Caching", "bob", "a"), Event("edit", "Caching", "carol", "b")]
    assert notices.subject(events, "Wiki") == "[Wiki] 2 changes to “Caching”"
    assert notices.subject(events[:1], "Wiki") == "[Wiki] bob edited “Caching”"


def test_batching_window():
    assert notices.mail_now(None, NOW, 15)
    assert not notices.mail_now(NOW - timedelta(minutes=14), NOW, 15)
    assert notices.mail_now(NOW - timedelta(minutes=15), NOW, 15)


def test_digest_slot_and_grouping():
    assert notices.digest_slot(NOW.replace(hour=6), 7) is None
    assert notices.digest_slot(NOW.replace(hour=7), 7) == "2026-12-01"
    a1, b1, a2 = Event("edit", "A", "x"), Event("edit", "B", "x"), Event("rename", "A renamed", "x")
    assert notices.group_by_page([(1, a1), (2, b1), (1, a2)]) == [("A renamed", [a1, a2]), ("B", [b1])]


def test_paths():
    assert notices.page_path("Getting started") == "/wiki/Getting_started"
    assert notices.diff_path("A b", 2, 4) == "/wiki/A_b/-/diff?from=1&to=4"
    assert notices.diff_path("A", 1, 1) == "/wiki/A/-/revisions/1"
    assert notices.page_path("100% sure?") == "/wiki/100%25_sure%3F"


def test_payloads():
    assert notices.payload_user(notices.unsubscribe_payload(3)) == 3
    assert notices.payload_user({"u": True}) is None and notices.payload_user("3") is None
    assert notices.reset_payload(1, "hash-a") != notices.reset_payload(1, "hash-b")


@pytest.mark.parametrize("url, expected", [
    ("smtp://mail.example.org", ("mail.example.org", 25, False, False, None, None)),
    ("smtp://mail.example.org:587?starttls=1", ("mail.example.org", 587, False, True, None, None)),
    ("smtps://u%40x:p%3Aw@mail.example.org", ("mail.example.org", 465, True, False, "u@x", "p:w")),
])
def test_mail_urls(url, expected):
    server = parse_mail_url(url)
    assert (server.host, server.port, server.tls, server.starttls, server.username, server.password) == expected


def test_mail_url_settings_override_and_refusals():
    server = parse_mail_url("smtp://u:p@h:25?starttls=1", username="other", password="secret", starttls=False)
    assert (server.username, server.password, server.starttls) == ("other", "secret", False)
    for bad in ("http://h", "smtp://", "smtp://h:notaport", ""):
        with pytest.raises(InvalidMailSetting):
            parse_mail_url(bad)


@pytest.mark.parametrize("value", ["a@b.org", " a.b+c@sub.example.org "])
def test_addresses(value):
    assert clean_email(value) == value.strip()


@pytest.mark.parametrize("value", ["", "a", "a@b", "a b@c.org", "<a@b.org>", "a@b.org, c@d.org", "x" * 250 + "@b.org"])
def test_invalid_addresses(value):
    with pytest.raises(ValueError):
        clean_email(value)


def test_a_message_has_both_parts_escaped_and_the_unsubscribe_headers():
    mail = Mail(to="a@b.org", subject="Hi <there>", paragraphs=("x < y & z",), links=(Link("Diff", "http://w/d?a=1&b=2"),),
                unsubscribe_url="http://w/-/unsubscribe/t", footer="why")
    message = build_message(mail, "wiki@w.org", "Wiki", NOW)
    assert message["From"] == "Wiki <wiki@w.org>" and message["List-Unsubscribe"] == "<http://w/-/unsubscribe/t>"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "x < y & z" in text and "Diff: http://w/d?a=1&b=2" in text
    assert "x &lt; y &amp; z" in html and 'href="http://w/d?a=1&amp;b=2"' in html
    assert "<title>Hi &lt;there&gt;</title>" in html
