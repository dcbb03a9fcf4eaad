"""Importing a folder of Markdown files: pages, links, re-runs with merges, bad files."""
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from wiki.extensions import db
from wiki.models import Page, Revision, User
from wiki.services import links, mdimport, moves, search, users
from wiki.services import pages as page_service
from wiki.services.errors import InvalidInput


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root


HUB = {
    "README.md": "# Welcome\n\nStart with [REST](concepts/rest-api-design.md) and the [concepts](concepts/).\n",
    "concepts/README.md": "# Concepts\n\n- [REST](rest-api-design.md)\n- [Caching](caching-with-redis.md)\n",
    "concepts/rest-api-design.md": (
        "# REST API design\n\nResources and verbs. See [Invalidation](caching-with-redis.md#cache-invalidation).\n\n"
        "Back [home](../README.md). Jump to [verbs](#http-verbs).\n\n## HTTP verbs\n\nGET, PUT.\n\n"
        "```\n[not a link](caching-with-redis.md)\n```\n"
    ),
    "concepts/caching-with-redis.md": "# Caching with Redis\n\n## Cache invalidation\n\nThe hard part: eviction.\n",
    "challenges/first_challenge.md": "# First\n\nRead [REST](../concepts/rest-api-design.md) and [docs](https://example.com).\n",
    "assets/logo.png": b"\x89PNG not markdown",
}


@pytest.fixture
def importer(app):
    """importer(root, prefix=None) -> Report, as user "importer" (created on first use)."""

    def run(root, prefix=None, username="importer"):
        plan = mdimport.plan_import(root, prefix=prefix, max_bytes=app.config["MAX_PAGE_BYTES"])
        user, _ = users.get_or_create_system_user(username)
        return mdimport.run_import(plan, user, max_bytes=app.config["MAX_PAGE_BYTES"])

    with app.app_context():
        yield run


def source(title: str) -> str:
    return page_service.get_page(title).current_revision.source


def test_a_folder_becomes_linked_pages(importer, tmp_path, client):
    report = importer(write(tmp_path / "hub", HUB))
    assert sorted(report.created) == sorted(p for p in HUB if p.endswith(".md"))
    assert report.skipped == []
    titles = sorted(db.session.scalars(select(Page.title)))
    assert titles == ["Home", "challenges/first challenge", "concepts", "concepts/caching-with-redis",
                      "concepts/rest-api-design"]
    rest = source("concepts/rest-api-design")
    assert "[[concepts/caching-with-redis#Cache invalidation|Invalidation]]" in rest
    assert "[[Home|home]]" in rest and "[[#HTTP verbs|verbs]]" in rest
    assert "```\n[not a link](caching-with-redis.md)\n```" in rest
    assert "the [[concepts]]." in source("Home")
    assert "[docs](https://example.com)" in source("challenges/first challenge")
    revision = page_service.get_page("concepts").current_revision
    assert revision.summary == "Imported from concepts/README.md" and revision.author.username == "importer"

    # the links work as wiki links: backlinks, no red links, section found
    assert sorted(b.page.title for b in links.backlinks("concepts/rest-api-design")) == [
        "Home", "challenges/first challenge", "concepts"]
    html = client.get("/wiki/concepts/rest-api-design").get_data(as_text=True)
    assert 'href="/wiki/concepts/caching-with-redis#cache-invalidation"' in html
    assert "wikilink new" not in html and "missing-section" not in html
    assert [hit.title for hit in search.search("eviction").hits] == ["concepts/caching-with-redis"]


def test_prefix(importer, tmp_path):
    importer(write(tmp_path / "hub", HUB), prefix="Course")
    assert page_service.find_page("Course") is not None
    assert "[[Course/concepts/rest-api-design|REST]]" in source("Course")


def test_re_running_updates_only_changed_files_and_keeps_wiki_edits(importer, tmp_path, app):
    root = write(tmp_path / "hub", HUB)
    importer(root)
    again = importer(root)
    assert (again.created, again.updated, again.skipped) == ([], [], [])
    assert len(again.unchanged) == 5

    # someone improves a page in the wiki; the file changes elsewhere in the text
    editor = users.create_user("editor", PASSWORD)
    page = page_service.get_page("concepts/caching-with-redis")
    wiki_text = source("concepts/caching-with-redis").replace("# Caching with Redis", "# Caching with Redis (edited)")
    page_service.save_page(page.title, wiki_text, "wiki edit", editor, page.current_revision.number)
    write(root, {"concepts/caching-with-redis.md": HUB["concepts/caching-with-redis.md"] + "\nNew paragraph.\n",
                 "concepts/README.md": HUB["concepts/README.md"] + "\nMore.\n"})
    report = importer(root)
    assert sorted(report.updated) == ["concepts/README.md", "concepts/caching-with-redis.md"]
    assert report.merged == ["concepts/caching-with-redis.md"]
    merged = source("concepts/caching-with-redis")
    assert "# Caching with Redis (edited)" in merged and "New paragraph." in merged
    assert page_service.get_page("concepts/caching-with-redis").current_revision.summary == (
        "Imported from concepts/caching-with-redis.md, merged with edits made in the wiki")
    # running again with the same files neither reverts the wiki's edit nor writes anything
    report = importer(root)
    assert (report.updated, len(report.unchanged)) == ([], 5)
    assert source("concepts/caching-with-redis") == merged

    # an overlapping change: reported, page left as it is
    write(root, {"concepts/caching-with-redis.md": "# Caching with Redis, renamed in the file\n\nRewritten.\n"})
    before = source("concepts/caching-with-redis")
    report = importer(root)
    assert [(s.path, s.kind) for s in report.skipped] == [("concepts/caching-with-redis.md", "conflict")]
    assert "edited in the wiki since the last import" in report.skipped[0].reason
    assert source("concepts/caching-with-redis") == before


def test_pages_not_created_by_the_import_are_left_alone(importer, tmp_path):
    alice = users.create_user("alice", PASSWORD)
    page_service.save_page("Home", "My own home page.\n", "", alice, None)
    page_service.save_page("concepts", "Deleted later.\n", "", alice, None)
    moves.delete_page(page_service.get_page("concepts"), alice)
    report = importer(write(tmp_path / "hub", HUB))
    kept = {s.path: s.reason for s in report.skipped}
    assert "already exists and was not imported from this file" in kept["README.md"]
    assert "was deleted in the wiki" in kept["concepts/README.md"]
    assert source("Home") == "My own home page.\n"
    assert len(report.created) == 3


def test_bad_files_are_reported_and_the_rest_is_imported(importer, tmp_path, app):
    outside = write(tmp_path / "outside", {"secret.md": "# Secret\n"})
    root = write(tmp_path / "hub", {
        "good.md": "# Good\n",
        "latin1.md": "caf\xe9".encode("latin-1"),
        "A.md": "upper", "a.md": "lower",
        "what?.md": "bad title",
        "big.md": "x" * (app.config["MAX_PAGE_BYTES"] + 1),
        "sub/ok.md": "fine",
    })
    os.symlink(outside / "secret.md", root / "leak.md")
    os.symlink(outside, root / "leakdir")
    os.symlink(root / "sub", root / "sub" / "loop")
    os.symlink(root / "good.md", root / "alias.md")  # inside the folder: imported
    os.symlink("self.md", root / "self.md")  # a link to itself
    report = importer(root)
    assert sorted(report.created) == ["alias.md", "good.md", "sub/ok.md"]
    reasons = {s.path: s.reason for s in report.skipped}
    assert set(reasons) == {"latin1.md", "A.md", "a.md", "what?.md", "big.md", "leak.md", "leakdir",
                            "sub/loop", "self.md"}
    assert "not UTF-8" in reasons["latin1.md"]
    assert "is also that of a.md" in reasons["A.md"]
    assert "cannot contain the character '?'" in reasons["what?.md"]
    assert "the limit for a page is" in reasons["big.md"]
    assert "outside the imported folder" in reasons["leak.md"] and "outside" in reasons["leakdir"]
    assert "loop" in reasons["sub/loop"] and "loop" in reasons["self.md"]
    assert db.session.scalar(select(func.count()).select_from(Page)) == 3


def test_windows_line_endings_and_bom_do_not_count_as_changes(importer, tmp_path):
    root = write(tmp_path / "hub", {"page.md": "# Page\n\nText.\n"})
    importer(root)
    write(root, {"page.md": "\ufeff# Page\r\n\r\nText.\r\n".encode("utf-8")})
    report = importer(root)
    assert report.unchanged == ["page.md"]


def test_an_unusable_folder_or_prefix_is_refused(app, tmp_path):
    with app.app_context():
        with pytest.raises(InvalidInput, match="is not a folder"):
            mdimport.plan_import(tmp_path / "missing")
        with pytest.raises(InvalidInput, match="prefix is not a valid title"):
            mdimport.plan_import(tmp_path, prefix="a|b")


def test_starter_content(app, tmp_path):
    root = write(tmp_path / "hub", HUB)
    with app.app_context():
        first = mdimport.load_starter(str(root), app.config["MAX_PAGE_BYTES"])
        assert len(first.created) == 5 and first.changed
        nexus = users.find_user("Nexus")
        assert nexus.active is False and users.authenticate("Nexus", "anything at all") is None
        second = mdimport.load_starter(str(root), app.config["MAX_PAGE_BYTES"])
        assert not second.changed and len(second.unchanged) == 5
        with pytest.raises(InvalidInput, match="STARTER_CONTENT_DIR"):
            mdimport.load_starter(str(tmp_path / "nope"), app.config["MAX_PAGE_BYTES"])
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert db.session.scalar(select(func.count()).select_from(Revision)) == 5


def test_a_linked_folder_inside_is_reported_not_imported_twice(importer, tmp_path):
    # tldr-pages: pages.en is a symbolic link to pages.
    root = write(tmp_path / "tldr", {"pages/common/tar.md": "# tar\n", "pages/linux/ls.md": "# ls\n",
                                     "README.md": "See [tar](pages.en/common/tar.md).\n"})
    os.symlink("pages", root / "pages.en")
    os.symlink(".", root / "pages" / "here")
    report = importer(root)
    assert sorted(report.created) == ["README.md", "pages/common/tar.md", "pages/linux/ls.md"]
    reasons = {s.path: s.reason for s in report.skipped}
    assert set(reasons) == {"pages.en", "pages/here"}
    assert reasons["pages.en"].startswith("is a symbolic link to the folder pages, whose files are imported "
                                          "under their own paths")
    assert "loop" in reasons["pages/here"]
    assert db.session.scalar(select(func.count()).select_from(Page)) == 3
    # A link written through the linked folder finds the file under its own path.
    assert source("Home") == "See [[pages/common/tar|tar]].\n"


def test_hidden_markdown_files_are_reported(importer, tmp_path):
    # tldr's page for the "." builtin is common/..md; its title would be "common/.".
    root = write(tmp_path / "tldr", {"common/..md": "# .\n", "common/.draft.md": "x", "common/cd.md": "# cd\n",
                                     "common/[.md": "# [\n", ".github/notes.md": "tooling", ".editorconfig": ""})
    report = importer(root)
    assert report.created == ["common/cd.md"]
    reasons = {s.path: s.reason for s in report.skipped}
    assert set(reasons) == {"common/..md", "common/.draft.md", "common/[.md"}  # hidden folders stay silent
    assert reasons["common/..md"] == ("its path gives no valid title: A title cannot contain '.' as a part "
                                      "between '/' characters.")
    assert reasons["common/[.md"].startswith("its path gives no valid title: A title cannot contain the character '['")
    assert "hidden file" in reasons["common/.draft.md"]


def test_planning_reports_progress_to_the_end(app, tmp_path):
    root = write(tmp_path / "many", {f"f{n:03}.md": f"[next](f{n + 1:03}.md)" for n in range(450)})
    (root / "bad.md").write_bytes(b"\xff")
    seen = []
    with app.app_context():
        plan = mdimport.plan_import(root, progress=lambda done, total: seen.append((done, total)))
    assert len(plan.files) == 450 and plan.files[0].text == "[[f001|next]]"
    assert [total for _done, total in seen] == [902] * len(seen)
    assert seen[-1] == (902, 902) and len(seen) >= 4
    assert [done for done, _total in seen] == sorted(done for done, _total in seen)
