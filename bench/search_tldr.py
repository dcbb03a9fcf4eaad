"""Search latency on the tldr-pages corpus (issue 21): real pages, real queries.

Usage: .venv/bin/python -m bench.search_tldr DATABASE_URL [--load /path/to/tldr] [--http]

``--load`` bulk-inserts every ``pages*/**/*.md`` file of a local checkout of tldr-pages/tldr
(never committed) into DATABASE_URL (a fresh SQLite file, or a PostgreSQL database whose
public schema is dropped first) as pages titled by their path without ``.md``
(``pages/common/tar``, as ``flask import-markdown`` names them), with the Markdown source
as the text: rendering is not what this measures (``bench/import_repo.py`` does). The index
is then built by the service's own ``search.reindex_all()``. Without ``--load`` the
database is searched as it is, e.g. one ``flask import-markdown`` filled.

A fixed set of queries (words found on most pages, rare words, pairs, phrases, exclusions,
``in:``) is timed at the service layer (each 5 times), and with ``--http`` through the
search page (test client): median and p95 per kind, with the first hits.
"""
import argparse
import html
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from bench.common import forget_stored_answers, fresh_app  # noqa: E402
from wiki import create_app  # noqa: E402
from wiki.extensions import db  # noqa: E402
from wiki.models import Page, Revision  # noqa: E402
from wiki.services import search  # noqa: E402

QUERIES = {
    "frequent word": ["file", "command", "example", "use", "show", "create", "directory", "list"],
    "rare word": ["tar", "rsync", "ffmpeg", "kubectl", "zstd", "dmesg", "pacman", "htop"],
    "word pair": ["git commit", "docker container", "list files", "file system", "compress file",
                  "show help", "network interface", "python package"],
    "phrase": ['"specific file"', '"the current directory"', '"display help"', '"git commit"'],
    "exclusion": ["file -directory", "command -git", "docker -compose", "list -file"],
    "in: prefix": ["file in:pages/common/", "command in:pages/linux/", "tar in:pages.fr/", "list in:pages/osx/"],
}


def load(folder: Path) -> int:
    now = datetime.now(timezone.utc)
    files = sorted(p for p in folder.glob("pages*/**/*.md"))
    for base in range(0, len(files), 1000):
        pages, revisions = [], []
        for n, path in enumerate(files[base:base + 1000], start=base + 1):
            title = path.relative_to(folder).with_suffix("").as_posix()
            source = path.read_text(encoding="utf-8", errors="replace")
            body = "".join(f"<p>{html.escape(line)}</p>" for line in source.splitlines() if line.strip())
            pages.append({"id": n, "title": title, "title_key": title.replace("_", " ").casefold(),
                          "created_at": now, "protection": "none", "deleted": False})
            revisions.append({"id": n, "page_id": n, "number": 1, "created_at": now, "summary": "", "minor": False,
                              "source": source, "html": body, "toc": "", "headings": "", "size": len(source),
                              "parent_size": 0})
        db.session.execute(insert(Page), pages)
        db.session.execute(insert(Revision), revisions)
        db.session.execute(text("UPDATE pages SET current_revision_id = id WHERE id > :b"), {"b": base})
        db.session.commit()
    search.reindex_all()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return len(files)


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--load", type=Path)
    parser.add_argument("--http", action="store_true")
    args = parser.parse_args()
    if args.load:
        app, url = fresh_app(args.url)
    else:
        app = create_app({"SQLALCHEMY_DATABASE_URI": args.url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                          "JOBS_QUEUE_URL": "immediate", "JOBS_WORKER_THREADS": 0})
    with app.app_context():
        upgrade()
        if args.load:
            start = time.perf_counter()
            print(f"loaded and indexed {load(args.load):,} files in {time.perf_counter() - start:.0f} s")
        pages = db.session.execute(text("SELECT count(*) FROM search_index")).scalar()
        print(f"{db.engine.dialect.name}: {pages:,} pages in the index")
        every = []
        for kind, queries in QUERIES.items():
            samples = []
            for q in queries:
                results = search.search(q)
                db.session.rollback()
                for _ in range(5):
                    t = time.perf_counter()
                    search.search(q)
                    samples.append((time.perf_counter() - t) * 1000)
                    db.session.rollback()
                print(f"    {q!r:28} {statistics.median(samples[-5:]):6.1f} ms  capped={results.capped!s:5} "
                      f"first: {', '.join(h.title for h in results.hits[:3])}")
            every += samples
            print(f"  service, {kind:13}: median {statistics.median(samples):6.1f} ms, p95 {percentile(samples, 95):6.1f} ms")
        print(f"service, all: median {statistics.median(every):.1f} ms, p95 {percentile(every, 95):.1f} ms")
        if args.http:
            client = app.test_client()
            http = []
            for queries in QUERIES.values():
                for q in queries:
                    client.get("/-/search", query_string={"q": q})
                    for _ in range(3):
                        forget_stored_answers(app)  # rendered, not the door's stored answer
                        t = time.perf_counter()
                        assert client.get("/-/search", query_string={"q": q}).status_code == 200
                        http.append((time.perf_counter() - t) * 1000)
            print(f"HTTP search page: median {statistics.median(http):.1f} ms, p95 {percentile(http, 95):.1f} ms")


if __name__ == "__main__":
    main()
