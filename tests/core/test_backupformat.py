"""The export format's pure parts: portable folder names, reading a hand-written export."""
import hashlib
import json
from datetime import datetime, timezone

import pytest

from wiki.core.backupformat import MANIFEST, InvalidExport, format_time, page_folder, read_export

ROLES = ("reader", "editor", "admin")


@pytest.mark.parametrize("title, folder", [
    ("Home", "pages/000007-home"),
    ("Café/Überblick", "pages/000007-cafe-uberblick"),
    ("日本語", "pages/000007"),
    ("CON", "pages/000007-con"),
    ("a" * 300, "pages/000007-" + "a" * 40),
    ("Emoji 🚀 launch", "pages/000007-emoji-launch"),
])
def test_page_folders_are_portable(title, folder):
    assert page_folder(7, title) == folder


def test_read_export_reads_a_hand_written_export(tmp_path):
    """The documented format is enough to write an export by hand (docs/backup.md)."""
    (tmp_path / "pages" / "p1" / "revisions").mkdir(parents=True)
    sources = [b"# Hello\n", b"# Hello again\n", b"# Fresh start\n"]
    revisions = []
    for number, source in enumerate(sources, start=1):
        (tmp_path / "pages" / "p1" / "revisions" / f"{number}.md").write_bytes(source)
        revisions.append({"number": number, "author": "ann", "created_at": "2026-01-01T00:00:00.5Z",
                          "file": f"revisions/{number}.md", "sha256": hashlib.sha256(source).hexdigest()})
    revisions[2]["parent"] = None  # said outright: not made from revision 2
    (tmp_path / MANIFEST).write_text(json.dumps({
        "format": "nexus-export", "version": 1, "exported_at": "2026-01-01T00:00:00Z",
        "users": [{"username": "ann", "role": "editor", "created_at": "2026-01-01T00:00:00+02:00"}],
        "pages": [{"folder": "pages/p1"}],
    }))
    (tmp_path / "pages" / "p1" / "page.json").write_text(json.dumps({
        "title": "Home", "created_at": "2026-01-01T00:00:00Z", "revisions": revisions}))
    export = read_export(tmp_path, ROLES)
    assert export.users[0].created_at == datetime(2025, 12, 31, 22, tzinfo=timezone.utc)
    assert export.users[0].active is True and export.users[0].password_hash is None
    page = export.pages[0]
    assert page.revisions[0].created_at.microsecond == 500000
    assert page.current == 3 and page.deleted is False and page.protection == "none"
    assert [r.parent for r in page.revisions] == [None, 1, None]
    assert [(r.summary, r.minor) for r in page.revisions] == [("", False)] * 3


def test_times_are_written_in_utc_with_microseconds():
    from datetime import timedelta

    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert format_time(moment) == "2026-01-02T01:04:05.000000+00:00"


def test_a_folder_that_is_not_an_export_is_refused(tmp_path):
    with pytest.raises(InvalidExport, match="nexus-export.json is missing"):
        read_export(tmp_path, ROLES)
