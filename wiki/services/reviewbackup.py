"""Review dates in backups (issue 20): each page's ``review.json`` (wiki.core.backupreview)
written by the export and read back by the import, so an imported wiki has the same clocks,
verifications and list of pages due. Called by wiki.services.backup."""
from pathlib import Path

from sqlalchemy import select

from wiki.core import review as core
from wiki.core.backupformat import dump_json, format_time
from wiki.core.backupreview import REVIEW_FILE
from wiki.extensions import db
from wiki.models import Page, PageEvent, PageReview, SectionReview, User
from wiki.services.review import first_due, sync_page


def export_state() -> dict[int, dict]:
    """Per page id: its review dates and verification events, for ``review.json``."""
    names = dict(db.session.execute(select(User.id, User.username)).all())
    state: dict[int, dict] = {}
    for row in db.session.scalars(select(PageReview)):
        state.setdefault(row.page_id, {"started_at": None, "sections": [], "events": []})["started_at"] = row.started_at
    for section in db.session.scalars(select(SectionReview).order_by(SectionReview.page_id, SectionReview.anchor)):
        state.setdefault(section.page_id, {"started_at": None, "sections": [], "events": []})["sections"].append(
            {"anchor": section.anchor, "started_at": section.started_at})
    for event in db.session.scalars(select(PageEvent).where(PageEvent.kind == "verify")
                                    .order_by(PageEvent.page_id, PageEvent.created_at, PageEvent.id)):
        state.setdefault(event.page_id, {"started_at": None, "sections": [], "events": []})["events"].append(
            {"by": names.get(event.actor_id), "at": event.created_at, "section": event.anchor,
             "heading": event.reason})
    return state


def import_state(page: Page, source: str, record, users: dict[str, int]) -> None:
    """Restore one imported page's schedules from its source and ``record`` (a
    wiki.core.backupreview.ReviewRecord, or None): start dates, verifications and their events."""
    started = page.created_at
    sync_page(page, source, now=record.started_at if record and record.started_at else started)
    if record is None:
        return
    row = db.session.get(PageReview, page.id)
    sections = {s.anchor: s for s in db.session.scalars(select(SectionReview).where(SectionReview.page_id == page.id))}
    for item in record.sections:
        if item.anchor in sections:
            sections[item.anchor].started_at = item.started_at
    for event in record.events:
        actor = users.get(event.by.casefold()) if event.by else None
        db.session.add(PageEvent(page_id=page.id, kind="verify", title=page.title, actor_id=actor,
                                 reason=event.heading[:300], anchor=event.section, created_at=event.at))
        targets = ([sections[event.section]] if event.section in sections else []) if event.section \
            else list(sections.values())
        if not event.section and row is not None:
            row.verified_at, row.verified_by_id = event.at, actor
        for section in targets:
            section.verified_at, section.verified_by_id = event.at, actor
    if row is not None:
        if row.interval_days is not None:
            row.due_at = core.due_at(row.started_at, row.verified_at, row.interval_days)
        for section in sections.values():
            section.due_at = core.due_at(section.started_at, section.verified_at, section.interval_days)
        row.first_due_at = first_due(row, list(sections.values()))


def export_reviews(target: Path, folders: dict[int, str]) -> None:
    """Each page's review dates (issue 20) as its folder's review.json: when its clocks started
    and its verifications (the settings themselves are in the source)."""
    for page_id, state in export_state().items():
        if page_id not in folders:
            continue  # a page made after the page list was read
        (target / folders[page_id] / REVIEW_FILE).write_bytes(dump_json({
            "started_at": format_time(state["started_at"]) if state["started_at"] else None,
            "sections": [{"anchor": s["anchor"], "started_at": format_time(s["started_at"])} for s in state["sections"]],
            "events": [{"by": e["by"], "at": format_time(e["at"]), "section": e["section"], "heading": e["heading"]}
                       for e in state["events"]]}))


def write_reviews(export, imported, users: dict[str, User]) -> None:
    """Review schedules from each current source, with the clocks' starts and the verifications
    of review.json (issue 20); a page without that file starts its clocks at its creation."""
    ids = {key: user.id for key, user in users.items()}
    for record, item in zip(export.pages, imported):
        import_state(item.page, item.current.source, record.review, ids)
    db.session.flush()
