"""import-markdown and import render in worker processes and write in batches (issue 21):
the wiki they leave is the one saving each file in turn leaves, for any number of workers;
bad files are reported the same way; a worker that dies leaves whole pages, and running the
import again finishes it."""
import os
import re

import pytest
from sqlalchemy import select, text

from tests.conftest import wipe
from tests.files_support import png
from tests.services.test_mdimport import write
from wiki.extensions import db
from wiki.models import (BrokenLink, File, FileLink, Job, LearningPath, Link, Page, PageReview, PageTag, PathStep,
                         Revision, User, Watch)
from wiki.services import bulkpages, fileimport, mdimport, users
from wiki.services import pages as page_service
from wiki.services.errors import DomainError

FOLDER = {
    "README.md": "# Welcome\n\nStart with [REST](concepts/rest.md), the [concepts](concepts/) and "
                 "[[Existing page]] and [[Existing page#Part two]]. ![logo](images/logo.png)\n",
    "concepts/README.md": "# Concepts\n\n- [REST](rest.md)\n- [Caching](caching.md#cache-invalidation)\n"
                          "- [missing](nowhere.md) [[No such page]]\n",
    "concepts/rest.md": "---\ntitle: REST, the short version\n---\n\nResources. See [Invalidation]"
                        "(caching.md#cache-invalidation) and [a gone section](caching.md#gone).\n\n## HTTP verbs\n\n"
                        "| verb | see |\n|---|---|\n| GET | [caching](caching.md) |\n\n```python\nprint('hi')\n```\n",
    "concepts/caching.md": "# Caching with *Redis*\n\n## Cache invalidation\n\nThe hard part. Back to "
                           "[REST](rest.md#http-verbs) and [home](../README.md).\n",
    "concepts/old-name.md": "#REDIRECT [[concepts/caching]]\n",
    "notes/a.md": "# A\n\nLinks to [B](b.md).\n", "notes/b.md": "# B\n\nLinks to [A](a.md) and [[Home]].\n",
    "notes/c.md": "Plain text, no heading, [[notes/a|see A]].\n",
    "notes/d.md": "# D\n\n" + "".join(f"- item {n} [[notes/b]]\n" for n in range(30)),
    "images/logo.png": png(12, 8),
    # Issue 20: tags, a review date, a learning path whose steps come later in the write order
    "a-path.md": "---\ntags: learning, REST\nreview: 90 days\nowner: importer\n---\n# A path\n\n"
                 "```path\n- [[concepts/rest]] — start here\n- [[notes/a#Nowhere]]\n- [[No step page]]\n```\n",
    "bad/big.md": "x" * 3000,
    "bad/latin1.md": "caf\xe9".encode("latin-1"),
    "bad/a:b?.md": "# a bad name\n",
    "bad/CASE.md": "# Case\n", "bad/case.md": "# case\n",
}


def snapshot() -> dict:
    """Everything an import writes, by title (ids and times differ between runs)."""
    titles = dict(db.session.execute(select(Page.id, Page.title)).all())
    names = dict(db.session.execute(select(User.id, User.username)).all())
    revisions = sorted(
        (titles[r.page_id], r.number, names.get(r.author_id), r.summary, r.minor, r.source, r.html, r.toc, r.headings,
         r.display_title, r.size, r.parent_size, r.parent_id is None)
        for r in db.session.scalars(select(Revision)))
    pages = sorted((p.title, p.title_key, p.deleted, p.protection, p.current_revision.number, p.display_title)
                   for p in db.session.scalars(select(Page)))
    links = sorted((titles[link.source_page_id], link.target_title, link.target_key, link.section or "")
                   for link in db.session.scalars(select(Link)))
    file_links = sorted((titles[f.source_page_id], f.target_key, f.name)
                        for f in db.session.scalars(select(FileLink)))
    files = sorted((titles[f.page_id], f.name) for f in db.session.scalars(select(File)))
    column = "rowid" if db.engine.dialect.name == "sqlite" else "page_id"
    index = sorted((titles[row[0]], row[1], row[2]) for row in db.session.execute(
        text(f"SELECT {column}, title, body FROM search_index")))
    # The titles' own index: title matches come first in search (a bulk import left it empty).
    index += sorted(("title index", titles[row[0]], row[1]) for row in db.session.execute(
        text(f"SELECT {column}, title FROM search_index_titles")))
    watches = sorted((names[w.user_id], titles.get(w.page_id), w.prefix) for w in db.session.scalars(select(Watch)))
    tags = sorted((titles[row.page_id], row.tag) for row in db.session.scalars(select(PageTag)))
    broken = sorted((titles[b.source_page_id], b.kind, b.target_title, b.section or "", b.line, b.section_number,
                     b.suggestion or "") for b in db.session.scalars(select(BrokenLink)))
    reviews = sorted((titles[r.page_id], r.interval_days, names.get(r.owner_id), r.problem or "")
                     for r in db.session.scalars(select(PageReview)))
    paths = sorted((titles[s.path_page_id], s.position, s.target_key, s.section, s.note,
                    titles.get(s.target_page_id)) for s in db.session.scalars(select(PathStep)))
    path_pages = sorted(titles[p.page_id] for p in db.session.scalars(select(LearningPath)))
    return {"pages": pages, "revisions": revisions, "links": links, "file_links": file_links, "files": files,
            "search": index, "watches": watches, "tags": tags, "broken": broken, "reviews": reviews,
            "paths": paths, "path_pages": path_pages}


def report_of(report: mdimport.Report) -> tuple:
    return (report.created, report.updated, report.unchanged, sorted(report.files),
            [(s.path, s.reason, s.kind) for s in report.skipped])


def prepare_wiki(make_page):
    make_page("Existing page", "# Existing\n\n## Part two\n\nLinks to [[notes/a]] and [[Home#Nothing]].\n")


def importer_user():
    """An active account (its new pages are auto-watched) whose summaries mention nobody."""
    return users.find_user("importer") or users.create_user("importer", "a long enough password")


def sequential(root, max_bytes) -> mdimport.Report:
    """The import as it was before issue 21: each file saved in turn by save_page (with its
    fan-out jobs run at once, as in every test), then its files attached."""
    plan = mdimport.plan_import(root, max_bytes=max_bytes)
    user = importer_user()
    report = mdimport.Report(skipped=list(plan.problems))
    for planned in mdimport.write_order(plan.files):
        try:
            page_service.save_page(planned.title, planned.text, mdimport.import_summary(planned.path), user,
                                   base_revision=None, max_bytes=max_bytes)
        except DomainError as error:
            db.session.rollback()
            report.skipped.append(mdimport.Skipped(planned.path, str(error), "problem"))
            continue
        report.created.append(planned.path)
        attached, problems = fileimport.attach_files(root, planned.path, planned.title, planned.text, user)
        report.files.extend(attached)
        report.skipped.extend(mdimport.Skipped(path, reason, "problem") for path, reason in problems)
    report.created.sort()
    report.skipped.sort(key=lambda item: item.path)
    return report


def parallel(root, max_bytes, workers) -> mdimport.Report:
    plan = mdimport.plan_import(root, max_bytes=max_bytes)
    user = importer_user()
    return mdimport.run_import(plan, user, max_bytes=max_bytes, jobs=workers)


@pytest.fixture
def small_batches(monkeypatch):
    """Several chunks per worker and several batches, on a folder of a dozen files."""
    monkeypatch.setattr(bulkpages, "CHUNK", 2)
    monkeypatch.setattr(bulkpages, "BATCH", 3)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_parallel_import_writes_what_saving_each_file_in_turn_writes(app, make_page, tmp_path, small_batches,
                                                                      workers):
    root = write(tmp_path / "folder", FOLDER)
    with app.app_context():
        prepare_wiki(make_page)
        expected_report = report_of(sequential(root, 2000))
        expected = snapshot()
    wipe(app)
    with app.app_context():
        prepare_wiki(make_page)
        report = parallel(root, 2000, workers)
        assert report_of(report) == expected_report
        assert snapshot() == expected
    # What a reader sees, for a few of them.
    assert ["bad/CASE.md", "bad/a:b?.md", "bad/big.md", "bad/case.md", "bad/latin1.md"] == sorted(
        {s.path for s in report.skipped if s.path.startswith("bad/")})
    shown = {revision[0]: revision[6] for revision in expected["revisions"]}  # title -> HTML
    # Issue 20's tables are filled too: the path's steps lead to pages written after it.
    assert ("a-path", "learning") in expected["tags"] and ("a-path", 90, "importer", "") in expected["reviews"]
    assert [step[5] for step in expected["paths"]] == ["concepts/rest", "notes/a", None]
    assert {(b[0], b[1], b[2]) for b in expected["broken"]} >= {("a-path", "section", "notes/a"),
                                                                ("a-path", "page", "No step page")}
    assert 'href="/wiki/concepts/caching#cache-invalidation"' in shown["concepts/rest"]
    assert ">Existing</a>" in shown["Home"]  # a link without a label reads its target's display title


@pytest.mark.parametrize("workers", [2, 3])
def test_planning_in_worker_processes_converts_every_link_as_planning_alone(app, tmp_path, small_batches, workers):
    # The headings that anchored links need are parsed in worker processes first; the plan,
    # down to each converted section link and each problem, is the one of a single process.
    root = write(tmp_path / "folder", {**FOLDER, **{f"more/m{n}.md": f"# M{n}\n\n## Part {n}\n\nSee "
                                                      f"[next](m{n + 1}.md#part-{n + 1}) and "
                                                      f"[caching](../concepts/caching.md#cache-invalidation).\n"
                                                      for n in range(12)}})
    alone = mdimport.plan_import(root, max_bytes=2000)
    together = mdimport.plan_import(root, max_bytes=2000, workers=workers)
    assert [(f.path, f.title, f.text) for f in together.files] == [(f.path, f.title, f.text) for f in alone.files]
    assert together.problems == alone.problems
    converted = {f.path: f.text for f in together.files}
    assert "[[more/m4#Part 4|next]]" in converted["more/m3.md"]
    assert "[[concepts/caching#Cache invalidation|caching]]" in converted["more/m0.md"]


def test_pages_that_existed_before_show_blue_links_to_the_imported_ones(app, make_page, client, tmp_path):
    root = write(tmp_path / "folder", {"notes/a.md": "# A\n\nText.\n", "notes/b.md": "# B\n"})
    make_page("Existing page", "See [[notes/a]].\n")
    assert "wikilink new" in client.get("/wiki/Existing_page").get_data(as_text=True)
    with app.app_context():
        parallel(root, 2000, 2)
        assert db.session.scalar(select(db.func.count()).select_from(Job)) == 0  # run at once in tests
    page = client.get("/wiki/Existing_page").get_data(as_text=True)
    assert 'href="/wiki/notes/a"' in page and "wikilink new" not in page


def _die_on_b(item):
    if item[0] == "notes/b":
        os._exit(3)  # as a worker killed by the kernel would
    return _render(item)


_render = bulkpages.render_page


def test_a_worker_that_dies_leaves_whole_pages_and_a_rerun_finishes(app, runner, make_page, tmp_path, monkeypatch,
                                                                     small_batches):
    root = write(tmp_path / "folder", FOLDER)
    with app.app_context():
        prepare_wiki(make_page)
        sequential(root, app.config["MAX_PAGE_BYTES"])
        expected = snapshot()
    wipe(app)
    prepare_wiki(make_page)
    with app.app_context():
        importer_user()
    monkeypatch.setattr(bulkpages, "render_page", _die_on_b)
    result = runner.invoke(args=["import-markdown", str(root), "--user", "importer", "--jobs", "2"])
    assert result.exit_code == 1
    assert "A rendering process stopped unexpectedly" in result.output
    assert "Run the import again to finish it." in result.output
    with app.app_context():
        written = db.session.scalars(select(Page).where(Page.title != "Existing page")).all()
        assert all(page.current_revision is not None for page in written)  # whole pages or none
        assert len(written) < len([p for p in FOLDER if p.endswith(".md") and not p.startswith("bad/")])
    monkeypatch.setattr(bulkpages, "render_page", _render)
    again = runner.invoke(args=["import-markdown", str(root), "--user", "importer", "--jobs", "2"])
    assert again.exit_code == 0, again.output
    with app.app_context():
        after = snapshot()
    # The rerun created the rest, and left the pages written before the crash as they were:
    # they had been rendered as the finished import shows them.
    assert after == expected


def test_progress_shows_the_rate_and_the_time_left(runner, tmp_path, make_user):
    make_user("alice")
    root = write(tmp_path / "notes", {"a.md": "# A\n", "b.md": "# B\n[A](a.md)\n"})
    result = runner.invoke(args=["import-markdown", str(root), "--user", "alice", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert re.search(r"Importing: 2 of 2 files, [\d,]+ files/s, 0 s left", result.output), result.output
    assert "2 pages created" in result.output


def test_an_export_imports_the_same_with_any_number_of_workers(app, runner, make_user, make_page, tmp_path,
                                                                monkeypatch):
    monkeypatch.setattr(bulkpages, "CHUNK", 1)
    alice = make_user("alice")
    make_page("Home", "# Home\n\nSee [[Guide#Setup]] and [[Gone]].\n", author=alice)
    make_page("Guide", "# The guide\n\n## Setup\n\nBack [[Home]].\n", author=alice)
    make_page("Guide", "# The guide\n\n## Setup\n\nBack [[Home]], twice.\n", author=alice)
    make_page("Old", "#REDIRECT [[Guide]]\n")
    assert runner.invoke(args=["export", str(tmp_path / "export")]).exit_code == 0
    snapshots = []
    for workers in ("1", "2"):
        wipe(app)
        result = runner.invoke(args=["import", str(tmp_path / "export"), "--jobs", workers])
        assert result.exit_code == 0, result.output
        assert "Importing:" in result.output and "steps/s" in result.output
        with app.app_context():
            snapshots.append(snapshot())
    assert snapshots[0] == snapshots[1]
    assert any('href="/wiki/Guide#setup"' in r[6] for r in snapshots[0]["revisions"])

