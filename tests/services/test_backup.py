"""Export and import: a wiki round-trips through an export, between SQLite and PostgreSQL,
with every revision identical; corrupted exports are refused before anything is written."""
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, TEST_DATABASE_URL, _base_config, _migrate, wipe
from wiki import create_app
from wiki.core.backupformat import MANIFEST, InvalidExport, read_export
from wiki.extensions import db
from wiki.models import ROLES, BrokenLink, DiscussionComment, Link, Page, Revision, User
from wiki.services import backup, links, moves, search, users
from wiki.services import pages as page_service
from wiki.services.errors import InvalidInput

UNICODE_TITLES = ["Café/Überblick", "日本語", "Emoji 🚀 launch", "Ünïcödé/Ωmega"]
LONG_PAGE = "Long history"
LONG_REVISIONS = 100


def build_wiki() -> None:
    """A wiki with renames (leaving a redirect), deletions, Unicode titles, a minor edit, a
    revert, an anonymous edit and a 100-revision page. Call inside an app context."""
    alice = users.create_user("alice", PASSWORD, role="admin")
    bob = users.create_user("Bob", PASSWORD)
    carol = users.create_user("carol", PASSWORD, role="reader")
    carol.active = False
    db.session.commit()

    page_service.save_page("Home", "# Welcome\n\nSee [[Café/Überblick]], [[日本語#Grammar]] and [[Missing page]].\n",
                           "first", alice, None)
    page_service.save_page("Café/Überblick", "## Menü\n\nKaffee ☕ and [[Home]].\n", "café", bob, None)
    page_service.save_page("日本語", "## Grammar\n\nParticles: は, が.\n\n## Vocabulary\n\nzebra-crossing\n",
                           "日本語 summary", alice, None)
    page_service.save_page("Emoji 🚀 launch", "Rockets 🚀 go up. Links to [[Home]].", "", None, None)
    page_service.save_page("Ünïcödé/Ωmega", "Omega text.\r\nWith CRLF.\r\n", "crlf", bob, None)
    page_service.save_page("Ünïcödé/Ωmega", "Omega text, minor fix.\r\nWith CRLF.\r\n", "typo", bob, 1, minor=True)
    for number in range(1, LONG_REVISIONS + 1):
        body = f"# Long\n\nRevision {number} of a long history. Links to [[Home]].\n" + "line\n" * number
        page_service.save_page(LONG_PAGE, body, f"step {number}", alice if number % 2 else bob, number - 1)
    page_service.revert_page(page_service.get_page(LONG_PAGE), 50, alice, LONG_REVISIONS)

    page_service.save_page("Old name", "Renamed later. Mentions platypus.\n", "", alice, None)
    moves.rename_page(page_service.get_page("Old name"), "New name", alice, leave_redirect=True)
    page_service.save_page("Doomed", "To be deleted: wombat.\n", "", bob, None)
    moves.delete_page(page_service.get_page("Doomed"), alice)
    page_service.save_page("Links to doomed", "See [[Doomed]] and [[New name]].\n", "", bob, None)
    build_discussions(alice, bob)


def build_discussions(alice, bob) -> None:
    """Issue 16: a section thread with a reply, an edited comment, a hidden one, a resolved
    thread, a thread whose section changed later, and a locked discussion."""
    from wiki.services import discussions

    grammar = discussions.start_thread(page_service.get_page("日本語"), bob, "Why **は** and not が? [[Home]]", "grammar")
    discussions.reply(grammar, alice, "Topic versus subject; see @Bob's notes about capybara.")
    first = db.session.scalar(select(DiscussionComment).where(DiscussionComment.thread_id == grammar.id)
                              .order_by(DiscussionComment.id))
    discussions.edit_comment(first, bob, "Why **は** and not **が**? [[Home]]")
    whole = discussions.start_thread(page_service.get_page("Home"), alice, "A page-wide remark.")
    rude = discussions.reply(whole, bob, "Something rude.")
    discussions.set_hidden(rude, alice, True)
    discussions.set_status(whole, alice, True)
    discussions.set_locked(page_service.get_page("Home"), alice, True)
    page_service.save_page("日本語", "## Grammar\n\nParticles: は, が, を.\n\n## Vocabulary\n\nzebra-crossing\n",
                           "more particles", alice, 1)


def snapshot() -> dict:
    """Everything an export must carry, keyed by title, independent of database ids."""
    pages = {}
    for page in db.session.scalars(select(Page)):
        revisions = db.session.scalars(select(Revision).where(Revision.page_id == page.id)
                                       .order_by(Revision.number)).all()
        by_id = {r.id: r.number for r in revisions}
        pages[page.title] = {
            "deleted": page.deleted, "protection": page.protection, "created_at": page.created_at,
            "current": by_id[page.current_revision_id],
            # rendered as the original's: links, red links, section labels, TOC, headings
            "rendered": next((r.html, r.toc, r.headings) for r in revisions if r.id == page.current_revision_id),
            "revisions": [
                (r.number, by_id.get(r.parent_id), r.author.username if r.author else None, r.created_at,
                 r.summary, r.minor, r.source, r.size, r.parent_size)
                for r in revisions
            ],
        }
    user_rows = {u.username: (u.role, u.active, u.created_at) for u in db.session.scalars(select(User))}
    from wiki.services import discussions
    talk = {}
    for page in db.session.scalars(select(Page)):
        found = discussions.discussion(page)
        talk[page.title] = (found.locked, [
            (t.thread.anchor, t.thread.heading, t.thread.section_text, t.thread.section_hash, t.thread.revision_number,
             t.thread.status, t.thread.author.username if t.thread.author else None, t.thread.created_at,
             t.thread.resolved_by.username if t.thread.resolved_by else None, t.thread.resolved_at,
             t.anchoring.state,
             [(c.author.username if c.author else None, c.body, c.html, c.created_at, c.edited_at, c.edits, c.hidden,
               [(v.number, v.body, v.html, v.created_at) for v in discussions.versions(c)]) for c in t.comments])
            for t in found.threads])
    link_rows = set(db.session.execute(
        select(Page.title, Link.target_title, Link.target_key, Link.section).join(Page, Page.id == Link.source_page_id)
    ).all())
    broken = set(db.session.execute(  # issue 20: import renders every page, so it rebuilds these
        select(Page.title, BrokenLink.kind, BrokenLink.target_title, BrokenLink.section, BrokenLink.line,
               BrokenLink.section_number, BrokenLink.suggestion)
        .join(Page, Page.id == BrokenLink.source_page_id)).all())
    return {"pages": pages, "users": user_rows, "links": link_rows, "discussions": talk, "broken": broken}


@pytest.fixture
def other_app(app, database_urls, tmp_path):
    """A second app on a fresh, empty database: PostgreSQL when the first is SQLite and
    TEST_DATABASE_URL is set, else a new SQLite file migrated under tmp_path."""
    with app.app_context():
        source_dialect = db.engine.dialect.name
    if source_dialect == "sqlite" and TEST_DATABASE_URL:
        url = database_urls["postgresql"]  # not used by this test otherwise; wiped around it
    else:
        url = "sqlite:///" + str(tmp_path / "restored.db")
        _migrate(url)
    target = create_app(_base_config(url))
    target.instance_path = str(tmp_path)
    wipe(target)
    yield target
    wipe(target)


def test_round_trip_keeps_every_revision_and_works_after_import(app, other_app, tmp_path):
    export_dir = tmp_path / "export"
    with app.app_context():
        build_wiki()
        before = snapshot()
        summary = backup.export_wiki(export_dir)
    assert (summary.users, summary.pages) == (3, 10)
    assert summary.revisions == sum(len(p["revisions"]) for p in before["pages"].values())

    with other_app.app_context():
        started = time.perf_counter()
        restored = backup.import_wiki(export_dir)
        elapsed = time.perf_counter() - started
        print(f"import of {restored.revisions} revisions on {db.engine.dialect.name}: {elapsed:.2f} s")
        after = snapshot()
        assert after == before
        long_times = [r[3] for r in after["pages"][LONG_PAGE]["revisions"]]
        assert all(t.tzinfo is not None and t.utcoffset() == timedelta(0) for t in long_times)
        assert len(set(long_times)) == LONG_REVISIONS + 1  # microseconds kept: all distinct

        # users come back without a usable password unless exported with hashes
        assert users.authenticate("alice", PASSWORD) is None
        assert db.session.scalar(select(User.password_hash).where(User.username == "alice")) == users.UNUSABLE_PASSWORD
        # links, backlinks, red links and search work as in the original
        assert sorted(b.page.title for b in links.backlinks("Home")) == sorted(
            ["Café/Überblick", "Emoji 🚀 launch", LONG_PAGE])
        assert [b.page.title for b in links.backlinks("Doomed")] == ["Links to doomed"]
        assert [hit.title for hit in search.search("zebra").hits] == ["日本語"]
        assert [hit.title for hit in search.search("platypus").hits] == ["New name"]
        assert search.search("wombat").hits == []  # deleted pages are not found
        assert ("Missing page", 1) in links.wanted_pages()
        assert any(row[1] == "page" and row[2] == "Missing page" for row in after["broken"])  # issue 20
        # discussions: their threads, comments, history, state, and comment search (issue 16)
        from wiki.services import discussion_index
        assert len(after["discussions"]["日本語"][1]) == 1 and after["discussions"]["Home"][0] is True
        assert after["discussions"]["日本語"][1][0][10] == "changed"  # the section changed after the thread
        assert [(hit.title, hit.heading) for hit in discussion_index.search("capybara")] == [("日本語", "Grammar")]
        assert discussion_index.search("rude") == []  # hidden

    client = other_app.test_client()
    old_url = f"/wiki/{LONG_PAGE.replace(' ', '_')}/-/revisions/7"
    old = client.get(old_url).get_data(as_text=True)
    assert '<pre class="nexus-unrendered"># Long\n\nRevision 7 of a long history.' in old  # source until rendered
    with other_app.app_context():
        assert backup.count_unrendered() == summary.revisions - 10  # all but the current revisions
        started = time.perf_counter()
        assert backup.render_history(batch_size=30) == summary.revisions - 10
        print(f"rendering their {summary.revisions - 10} old revisions: {time.perf_counter() - started:.2f} s")
        assert backup.count_unrendered() == 0
        assert snapshot() == before
    old = client.get(old_url).get_data(as_text=True)
    assert "<p>Revision 7 of a long history." in old and "nexus-unrendered" not in old
    home = client.get("/wiki/Home").get_data(as_text=True)
    assert 'href="/wiki/Caf%C3%A9/%C3%9Cberblick"' in home
    assert 'class="wikilink new"' in home and "Missing_page/-/edit" in home  # a red link
    assert ">Grammar</a>" in home or "日本語 § Grammar" in home
    assert 'class="wikilink missing-section"' not in home  # the section exists in the import
    response = client.get("/wiki/Old_name", follow_redirects=True)
    assert "Mentions platypus" in response.get_data(as_text=True)
    assert client.get("/wiki/Doomed").status_code == 404
    assert "Omega text, minor fix." in client.get("/wiki/Ünïcödé/Ωmega").get_data(as_text=True)

    # and it can be exported again, byte for byte the same apart from the export time
    again = tmp_path / "again"
    with other_app.app_context():
        backup.export_wiki(again)
    first, second = _files(export_dir), _files(again)
    assert sorted(_strip_ids(first)) == sorted(_strip_ids(second))
    m1, m2 = json.loads(first.pop(MANIFEST)), json.loads(second.pop(MANIFEST))
    m1.pop("exported_at"), m2.pop("exported_at")
    assert _strip_folder_ids(m1) == _strip_folder_ids(m2)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _strip_ids(files: dict[str, bytes]) -> list[tuple[str, bytes]]:
    # Page ids may differ between databases; folder names start with them.
    return [(name.split("-", 1)[-1] if name.startswith("pages/") else name, data)
            for name, data in files.items() if name != MANIFEST]


def _strip_folder_ids(manifest: dict) -> dict:
    for entry in manifest["pages"]:
        entry["folder"] = entry["folder"].split("-", 1)[-1]
    return manifest


def test_export_with_password_hashes_keeps_passwords(app, other_app, tmp_path):
    with app.app_context():
        users.create_user("alice", PASSWORD)
        backup.export_wiki(tmp_path / "e", with_password_hashes=True)
    with other_app.app_context():
        backup.import_wiki(tmp_path / "e")
        assert users.authenticate("alice", PASSWORD) is not None


def test_export_format(app, tmp_path):
    with app.app_context():
        alice = users.create_user("alice", PASSWORD)
        page_service.save_page("Café/Überblick", "one\n", "s1", alice, None)
        page_service.save_page("Café/Überblick", "two\n", "s2", alice, 1, minor=True)
        page_id = page_service.get_page("Café/Überblick").id
        backup.export_wiki(tmp_path / "e")
    manifest = json.loads((tmp_path / "e" / MANIFEST).read_text("utf-8"))
    assert manifest["format"] == "nexus-export" and manifest["version"] == 1
    assert manifest["counts"] == {"users": 1, "pages": 1, "revisions": 2, "threads": 0, "comments": 0}
    assert "password_hash" not in manifest["users"][0]
    folder = f"pages/{page_id:06d}-cafe-uberblick"
    assert manifest["pages"] == [{"title": "Café/Überblick", "folder": folder}]
    page = json.loads((tmp_path / "e" / folder / "page.json").read_text("utf-8"))
    assert page["title"] == "Café/Überblick" and page["current_revision"] == 2 and page["deleted"] is False
    second = page["revisions"][1]
    assert {k: second[k] for k in ("number", "parent", "author", "summary", "minor", "file")} == {
        "number": 2, "parent": 1, "author": "alice", "summary": "s2", "minor": True,
        "file": "revisions/000002.md"}
    assert (tmp_path / "e" / folder / "revisions" / "000002.md").read_bytes() == b"two\n"
    assert datetime.fromisoformat(second["created_at"]).tzinfo == timezone.utc


def test_export_refuses_a_non_empty_directory(app, tmp_path):
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "keep.txt").write_text("mine")
    with app.app_context(), pytest.raises(InvalidInput, match="not an empty directory"):
        backup.export_wiki(tmp_path / "e")
    assert [p.name for p in (tmp_path / "e").iterdir()] == ["keep.txt"]


def test_import_refuses_a_database_that_is_not_empty(app, tmp_path):
    with app.app_context():
        users.create_user("alice", PASSWORD)
        backup.export_wiki(tmp_path / "e")
        with pytest.raises(InvalidInput, match=r"not empty \(1 users, 0 pages\)"):
            backup.import_wiki(tmp_path / "e")


# --- Corrupted exports: refused, naming the problem, with nothing written ------------------------

@pytest.fixture
def export_dir(app, tmp_path):
    """An export of a small wiki, and the app on the database it came from, emptied again."""
    target = tmp_path / "e"
    with app.app_context():
        alice = users.create_user("alice", PASSWORD)
        page_service.save_page("Home", "Hello [[Other]].\n", "", alice, None)
        page_service.save_page("Home", "Hello again [[Other]].\n", "", alice, 1)
        page_service.save_page("Other", "Other page.\n", "", alice, None)
        from wiki.services import discussions
        discussions.start_thread(page_service.get_page("Home"), alice, "A comment.")
        backup.export_wiki(target)
    wipe(app)
    return target


def _edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(json.dumps(data), "utf-8")


def _home(root: Path) -> Path:
    return next(root.glob("pages/*-home"))


def _retitle(root: Path, title: str) -> None:
    _edit_json(_home(root) / "page.json", lambda p: p.update(title=title))
    _edit_json(root / MANIFEST, lambda m: m["pages"][0].update(title=title))


def _talk(root: Path, change) -> None:
    _edit_json(_home(root) / "discussion.json", change)


CORRUPTIONS = {
    # issue 16: a page's discussion.json
    "bad discussion JSON": (lambda root: (_home(root) / "discussion.json").write_text("{"),
                            "-home/discussion.json: not valid JSON"),
    "comment by an unknown user": (lambda root: _talk(root, lambda d: d["threads"][0]["comments"][0].update(
        author="mallory")), "author 'mallory' is not one of the users"),
    "thread at a revision the page lacks": (lambda root: _talk(root, lambda d: d["threads"][0].update(revision=9)),
                                            "'revision' 9 is not one of the page's revision numbers"),
    "empty comment": (lambda root: _talk(root, lambda d: d["threads"][0]["comments"][0].update(body=" ")),
                      "'body' must be a non-empty string"),
    "thread without comments": (lambda root: _talk(root, lambda d: d["threads"][0].update(comments=[])),
                                "needs a non-empty 'comments' list"),
    "comments cut short": (lambda root: _edit_json(root / MANIFEST, lambda m: m["counts"].update(comments=5)),
                           "counts.comments is 5 but the export holds 1"),

    "bad manifest JSON": (lambda root: (root / MANIFEST).write_text("{not json"),
                          "nexus-export.json: not valid JSON"),
    "missing manifest": (lambda root: (root / MANIFEST).unlink(), "nexus-export.json is missing"),
    "unknown version": (lambda root: _edit_json(root / MANIFEST, lambda m: m.update(version=2)),
                        "format version 2 is not supported"),
    "not an export": (lambda root: _edit_json(root / MANIFEST, lambda m: m.update(format="other")),
                      "this is not a Nexus export"),
    "bad page JSON": (lambda root: (_home(root) / "page.json").write_text("[1, 2"),
                      "-home/page.json: not valid JSON"),
    "missing page.json": (lambda root: (_home(root) / "page.json").unlink(), "-home/page.json is missing"),
    "missing revision file": (lambda root: (_home(root) / "revisions" / "000002.md").unlink(),
                              "-home/revisions/000002.md is missing"),
    "checksum mismatch": (lambda root: (_home(root) / "revisions" / "000001.md").write_text("Tampered\n"),
                          "-home/revisions/000001.md: checksum mismatch"),
    "unknown author": (lambda root: _edit_json(_home(root) / "page.json",
                                               lambda p: p["revisions"][1].update(author="mallory")),
                       "author 'mallory' is not one of the users"),
    "page list cut short": (lambda root: _edit_json(root / MANIFEST, lambda m: m["pages"].pop()),
                            "counts.pages is 2 but the export holds 1"),
    "folder outside the export": (lambda root: _edit_json(root / MANIFEST,
                                                          lambda m: m["pages"][0].update(folder="../x")),
                                  "must be a relative path inside the export"),
    "naive time": (lambda root: _edit_json(_home(root) / "page.json",
                                           lambda p: p["revisions"][0].update(created_at="2026-01-01T10:00:00")),
                   "'created_at' must be an ISO 8601 time with a UTC offset"),
    "gap in revision numbers": (lambda root: _edit_json(_home(root) / "page.json",
                                                        lambda p: p["revisions"][1].update(number=3)),
                                "revisions are numbered 1, 2, 3"),
    "invalid title": (lambda root: _edit_json(_home(root) / "page.json", lambda p: p.update(title="a|b")),
                      "title 'a|b' is not valid"),
    "duplicate title": (lambda root: _retitle(root, "OTHER"), "is also the title of"),
    "unknown role": (lambda root: _edit_json(root / MANIFEST, lambda m: m["users"][0].update(role="god")),
                     "role 'god' is not one of"),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_a_corrupted_export_is_refused_and_nothing_is_written(app, export_dir, case):
    corrupt, message = CORRUPTIONS[case]
    corrupt(export_dir)
    with app.app_context():
        with pytest.raises(InvalidExport) as error:
            backup.import_wiki(export_dir)
        assert message in str(error.value)
        for model in (User, Page, Revision, Link):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0


def test_the_uncorrupted_export_imports(app, export_dir):
    """The corruption tests above start from an export that does import."""
    with app.app_context():
        summary = backup.import_wiki(export_dir)
        assert (summary.users, summary.pages, summary.revisions) == (1, 2, 3)
        assert page_service.get_page("Home").current_revision.source == "Hello again [[Other]].\n"


def test_a_file_changed_after_validation_rolls_everything_back(app, export_dir, monkeypatch):
    """The sources are checked again while writing; a change there undoes the whole import."""
    with app.app_context():
        export = backup.load_export(export_dir)
        (_home(export_dir) / "revisions" / "000002.md").write_text("changed meanwhile\n")
        with pytest.raises(InvalidExport, match="checksum mismatch"):
            backup.import_export(export)
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_a_save_during_the_export_is_left_out_consistently(app, tmp_path, monkeypatch):
    """A revision saved after the page list was read is not exported (nor is its page's
    newer state), so the export stays a consistent snapshot."""
    with app.app_context():
        page_service.save_page("Home", "one\n", "", None, None)
        original = backup.page_folder

        def folder_then_save(page_id, title):
            page_service.save_page("Home", "two\n", "", None, 1)  # another request, meanwhile
            page_service.save_page("Late", "new page\n", "", None, None)
            return original(page_id, title)

        monkeypatch.setattr(backup, "page_folder", folder_then_save)
        summary = backup.export_wiki(tmp_path / "e")
        assert (summary.pages, summary.revisions) == (1, 1)
        export = read_export(tmp_path / "e", ROLES)
        assert export.pages[0].current == 1 and len(export.pages[0].revisions) == 1
