"""History listing and blame of long histories: ranges by number, incremental cached blame."""
import random

import pytest
from sqlalchemy import select

from wiki.core.diff.blame import blame
from wiki.extensions import db
from wiki.models import Revision
from wiki.services import blame as blame_service
from wiki.services import pages


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def save_revisions(title, count, seed=3):
    rng = random.Random(seed)
    lines = [f"line {i}" for i in range(30)]
    for n in range(count):
        for _ in range(rng.randint(1, 3)):
            where = rng.randrange(len(lines) + 1)
            if rng.random() < 0.3 and len(lines) > 5:
                del lines[min(where, len(lines) - 1)]
            else:
                lines.insert(where, f"revision {n + 1} wrote this {rng.random():.4f}")
        pages.save_page(title, "\n".join(lines) + "\n", f"edit {n + 1}", None, n)


def expected_blame(page):
    rows = db.session.execute(
        select(Revision.number, Revision.source).where(Revision.page_id == page.id).order_by(Revision.number)
    ).all()
    return [(line.text, rows[line.origin].number) for line in blame([source for _n, source in rows])]


def actual_blame(page):
    return [(row.line.text, row.revision.number) for row in blame_service.blame_page(page)]


def test_history_pages_are_ranges_of_revision_numbers(ctx):
    save_revisions("Long", 23)
    page = pages.find_page("Long")
    first, total = pages.history(page, 1, 10)
    assert total == 23
    assert [r.number for r in first] == list(range(23, 13, -1))
    last, _ = pages.history(page, 3, 10)
    assert [r.number for r in last] == [3, 2, 1]
    assert pages.history(page, 4, 10)[0] == []


def test_incremental_blame_matches_a_full_one(ctx):
    save_revisions("Doc", 3)
    for n in range(12):
        page = pages.find_page("Doc")
        assert actual_blame(page) == expected_blame(page)  # after each save: one diff from the parent
        pages.save_page("Doc", page.current_revision.source + f"added by {n}\n", "", None,
                        page.current_revision.number)
    blame_service.BLAME_CACHE.entries.clear()
    page = pages.find_page("Doc")
    assert actual_blame(page) == expected_blame(page)  # from scratch, streaming the sources


def test_blame_of_a_long_history_from_scratch(ctx):
    save_revisions("Long", 120, seed=9)
    blame_service.BLAME_CACHE.entries.clear()
    page = pages.find_page("Long")
    assert actual_blame(page) == expected_blame(page)
