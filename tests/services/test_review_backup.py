"""Review dates survive export and import (issue 20): the clocks' starts and every verification
(page and section), so what was due before is due after, and what was verified stays verified."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.services.test_backup import other_app  # noqa: F401 - the fixture
from wiki.core.backupformat import InvalidExport
from wiki.extensions import db
from wiki.models import PageEvent, PageReview, SectionReview, User
from wiki.services import backup, review, users
from wiki.services import pages as page_service

BODY = "---\nowner: alice\nreview: 30 days\n---\n# Guide\n\n## Setup\n<!-- review: 7 days -->\n\nSteps.\n"


def build():
    alice = users.create_user("alice", "correct horse battery", role="editor")
    page_service.save_page("Guide", BODY, "", alice, base_revision=0)
    page_service.save_page("Old", "---\nreview: 10 days\n---\nOld text.\n", "", alice, base_revision=0)
    page_service.save_page("Plain", "No review.\n", "", alice, base_revision=0)
    for row in db.session.scalars(select(PageReview)):
        row.started_at -= timedelta(days=40)
        row.due_at -= timedelta(days=40)
        row.first_due_at -= timedelta(days=40)
    for row in db.session.scalars(select(SectionReview)):
        row.started_at -= timedelta(days=40)
        row.due_at -= timedelta(days=40)
    db.session.commit()
    guide = page_service.find_page("Guide")
    review.verify(guide, db.session.get(User, alice.id), anchor="setup")


def state():
    rows = db.session.execute(select(PageReview.interval_days, PageReview.started_at, PageReview.verified_at,
                                     PageReview.due_at, PageReview.first_due_at)).all()
    sections = db.session.execute(select(SectionReview.anchor, SectionReview.started_at, SectionReview.verified_at,
                                         SectionReview.due_at)).all()
    events = db.session.execute(select(PageEvent.kind, PageEvent.anchor, PageEvent.reason, PageEvent.created_at,
                                       User.username).join(User, User.id == PageEvent.actor_id)).all()
    due = [(item.page.title, item.anchor) for item in review.due_items()[0]]
    return sorted(rows), sorted(sections), sorted(events), due


def test_round_trip_keeps_clocks_and_verifications(app, other_app, tmp_path):  # noqa: F811
    target = tmp_path / "export"
    with app.app_context():
        build()
        before = state()
        backup.export_wiki(target)
    assert before[3] == [("Old", None), ("Guide", None)]  # most overdue first; the section was verified
    folders = {json.loads((d / "page.json").read_text())["title"]: d for d in (target / "pages").iterdir()}
    assert (folders["Guide"] / "review.json").exists() and not (folders["Plain"] / "review.json").exists()
    with other_app.app_context():
        backup.import_wiki(target)
        assert state() == before


def test_a_bad_review_file_is_refused(app, tmp_path):
    target = tmp_path / "export"
    with app.app_context():
        build()
        backup.export_wiki(target)
        page_service.find_page("Guide")
    folder = next(d for d in (target / "pages").iterdir() if (d / "review.json").exists())
    data = json.loads((folder / "review.json").read_text())
    data["events"][0]["by"] = "stranger"
    (folder / "review.json").write_text(json.dumps(data))
    with app.app_context():
        with pytest.raises(InvalidExport, match="stranger"):
            backup.read_export(target, ("reader", "editor", "admin"))
