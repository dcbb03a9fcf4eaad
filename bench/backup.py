"""How long do `flask import`, `flask export` and `flask import-markdown` take?

Usage: .venv/bin/python bench/backup.py [DATABASE_URL] [PAGES] [REVISIONS_PER_PAGE] [--jobs N]
Default: SQLite in a temporary folder, 200 pages of 15 revisions (3,000 revisions), rendered
in this process (``--jobs``: that many rendering processes, as ``flask import --jobs``).

Writes an export by hand (as docs/backup.md describes), imports it, exports it again, and
imports the same pages as a folder of Markdown files into another fresh database.
"""
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from bench.common import fresh_app  # noqa: E402
from wiki.extensions import db  # noqa: E402
from wiki.services import backup, mdimport, users  # noqa: E402


def body(page: int, revision: int, pages: int) -> str:
    links = " ".join(f"[[Page {(page + k) % pages}#Part {k}]]" for k in range(1, 4))
    lines = "\n".join(f"- item {i} of revision {revision}" for i in range(revision % 20 + 5))
    return f"# Page {page}\n\n{links}\n\n## Part 1\n\n{lines}\n\n## Part 2\n\nText **{revision}**.\n\n## Part 3\n"


def write_export(root: Path, pages: int, revisions: int) -> None:
    stamp = "2026-01-01T00:00:00.000000+00:00"
    entries = []
    for page in range(pages):
        folder = root / "pages" / f"{page:06d}"
        (folder / "revisions").mkdir(parents=True)
        records = []
        for number in range(1, revisions + 1):
            data = body(page, number, pages).encode()
            (folder / "revisions" / f"{number:06d}.md").write_bytes(data)
            records.append({"number": number, "parent": number - 1 or None, "author": "bench",
                            "created_at": stamp, "summary": f"edit {number}", "minor": False,
                            "file": f"revisions/{number:06d}.md", "sha256": hashlib.sha256(data).hexdigest()})
        (folder / "page.json").write_text(json.dumps({"title": f"Page {page}", "created_at": stamp,
                                                      "revisions": records}))
        entries.append({"folder": f"pages/{page:06d}"})
    (root / "nexus-export.json").write_text(json.dumps({
        "format": "nexus-export", "version": 1, "exported_at": stamp,
        "users": [{"username": "bench", "role": "editor", "created_at": stamp}], "pages": entries}))


def timed(label: str, work) -> None:
    start = time.perf_counter()
    result = work()
    print(f"{label}: {time.perf_counter() - start:.2f} s  {result}")


def main() -> None:
    args = sys.argv[1:]
    jobs = 1
    if "--jobs" in args:
        at = args.index("--jobs")
        jobs = int(args[at + 1])
        del args[at:at + 2]
    url = args[0] if len(args) > 0 else None
    pages = int(args[1]) if len(args) > 1 else 200
    revisions = int(args[2]) if len(args) > 2 else 15
    work = Path(tempfile.mkdtemp())
    write_export(work / "export", pages, revisions)

    app, _ = fresh_app(url)
    with app.app_context():
        upgrade()
        timed(f"import {pages * revisions} revisions", lambda: backup.import_wiki(work / "export", jobs=jobs))
        timed("render their history", backup.render_history)
        timed("export them again", lambda: backup.export_wiki(work / "again"))
        db.engine.dispose()

    folder = work / "markdown"
    folder.mkdir()
    for page in range(pages):
        (folder / f"page-{page}.md").write_text(body(page, 1, pages))
    app, _ = fresh_app(url)
    with app.app_context():
        upgrade()
        user, _ = users.get_or_create_system_user("bench")
        plan = mdimport.plan_import(folder, workers=jobs)
        timed(f"import-markdown {pages} files", lambda: mdimport.run_import(plan, user, jobs=jobs).summary_line())
        plan = mdimport.plan_import(folder, workers=jobs)
        timed("import-markdown again, unchanged", lambda: mdimport.run_import(plan, user, jobs=jobs).summary_line())


if __name__ == "__main__":
    main()
