"""Review dates as values (wiki.core.review): intervals, owners, the section syntax, due dates."""
from datetime import datetime, timedelta, timezone

import pytest

from wiki.core.markup import slugify_heading
from wiki.core.review import (MAX_DAYS, InvalidReview, ReviewSetting, days_phrase, due_at, interval_phrase, is_due,
                              overdue_days, parse_interval, parse_owner, parse_owner_filter, parse_review, view_state)

T0 = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, days", [
    ("90 days", 90), ("1 day", 1), ("90d", 90), ("90 D", 90), ("12 weeks", 84), ("1w", 7), ("6 months", 180),
    ("1 month", 30), ("2m", 60), ("1 year", 365), ("5 years", MAX_DAYS), ("  30   days ", 30), ("+3 days", 3),
])
def test_intervals(text, days):
    assert parse_interval(text) == days


@pytest.mark.parametrize("text, message", [
    ("-30 days", "at least one day"), ("0 days", "at least one day"), ("0d", "at least one day"),
    ("3 fortnights", "is not a unit"), ("90", "is not a review interval"), ("days", "is not a review interval"),
    ("", "is not a review interval"), ("6 years", "at most five years"), ("99999999999 days", "at most five years"),
    ("1.5 days", "is not a review interval"), ("90 days please", "is not a review interval"),
])
def test_bad_intervals_say_why(text, message):
    with pytest.raises(InvalidReview, match=message):
        parse_interval(text)


def test_owners():
    assert parse_owner("ann") == "ann" and parse_owner("@ann.b") == "ann.b"
    for bad in ("", "a b", "<script>", "x" * 80):
        with pytest.raises(InvalidReview, match="is not a username"):
            parse_owner(bad)
    assert parse_owner_filter("") == "" and parse_owner_filter(" ann ") == "ann"


def test_front_matter_and_sections():
    source = ("---\nowner: ann\nreview: 90 days\n---\n# Title\n\n## Install **now**\n"
              "<!-- review: 6 months, owner: bob -->\n\nText\n\n## Other\n\nText\n## Other\n\n<!-- review: 1w -->\n")
    settings = parse_review(source, slugify_heading)
    assert settings.page == ReviewSetting(90, "ann")
    assert settings.sections == (ReviewSetting(180, "bob", "install-now", "Install now"),
                                 ReviewSetting(7, None, "other-2", "Other"))
    assert settings.problems == () and settings.owners == {"ann", "bob"}


def test_a_review_line_not_under_a_heading_or_inside_code_means_nothing():
    source = "## A\n\nText first.\n<!-- review: 7 days -->\n\n```\n## B\n<!-- review: 1d -->\n```\n"
    assert parse_review(source).sections == ()
    assert parse_review("Just text.\n").empty


def test_problems_are_collected_and_the_setting_left_out():
    source = "---\nreview: -3 days\n---\n## A\n<!-- review: 3 fortnights -->\n## B\n<!-- review: 7 days, color: red -->\n## C\n<!-- an ordinary comment -->\n"
    settings = parse_review(source)
    assert settings.page is None and settings.sections == ()
    assert len(settings.problems) == 3
    assert settings.problems[0].startswith("Front matter: A review interval must be at least one day")
    assert "Section “A”" in settings.problems[1] and "not a review setting" in settings.problems[2]


def test_an_owner_without_an_interval_schedules_nothing():
    assert parse_review("---\nowner: ann\n---\nText").page is None


def test_due_dates():
    assert due_at(T0, None, 10) == T0 + timedelta(days=10)
    verified = T0 + timedelta(days=8)
    assert due_at(T0, verified, 10) == verified + timedelta(days=10)
    due = T0 + timedelta(days=10)
    assert overdue_days(due, due - timedelta(seconds=1)) == -1
    assert overdue_days(due, due) == 0 and overdue_days(due, due + timedelta(days=3, hours=5)) == 3
    assert is_due(due, due) and not is_due(None, due) and not is_due(due, T0)


def test_the_view_state_changes_when_due_and_daily_after():
    due = T0 + timedelta(days=10)
    before, at, later = (view_state(1, due, due - timedelta(hours=1)), view_state(1, due, due),
                         view_state(1, due, due + timedelta(days=1)))
    assert len({before, at, later}) == 3
    assert view_state(1, due, T0) == view_state(1, due, T0 + timedelta(days=5))  # not due: stable
    assert view_state(1, None, T0) != view_state(2, None, T0)


def test_phrases():
    assert [interval_phrase(d) for d in (1, 7, 14, 28, 30, 60, 90, 180, 365, 730)] == [
        "1 day", "1 week", "2 weeks", "4 weeks", "30 days", "2 months", "3 months", "6 months", "1 year", "2 years"]
    assert [days_phrase(d) for d in (0, 1, 12)] == ["today", "1 day", "12 days"]


def test_the_starter_hub_schedules_reviews_without_problems():
    from pathlib import Path

    hub = Path(__file__).resolve().parents[2] / "content" / "hub"
    scheduled = {}
    for path in hub.rglob("*.md"):
        settings = parse_review(path.read_text("utf-8"), slugify_heading)
        assert settings.problems == (), path
        if settings.page is not None:
            scheduled[path.relative_to(hub).as_posix()] = settings.page.days
    assert scheduled["best-practices/security-basics.md"] == 180 and len(scheduled) >= 3
    assert all(setting is not None for setting in scheduled.values())
