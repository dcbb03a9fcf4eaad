"""How long does `flask import-markdown` take on a real repository and on 100,000 files?

Usage:
    .venv/bin/python -m bench.import_repo --repo /tmp/tldr [--db URL] [--plan-only] [--limit N]
    .venv/bin/python -m bench.import_repo --generate 100000 [--db URL] [--plan-only] [--jobs 2]
    .venv/bin/python -m bench.import_repo --sizes 10000 25000 50000 100000   # planning only

``--repo`` imports a local checkout (never committed here: fetch one, e.g. tldr-pages/tldr or
donnemartin/system-design-primer); ``--generate N`` writes N files into a temporary folder
first: 100 folders of pages about 1 KB each, each with links to five others (one to a section)
and a table row with a link. Reports the planning time, the import time and rate (every
30 s on the way, to show whether it stays flat), the problems found, and the peak resident
memory of the process. ``--sizes`` plans (only) at several sizes to show the planning time
grows linearly.

``--queue deferred`` (the default) keeps the fan-out jobs in a SQLite queue, as the real
``flask import-markdown`` does (the app's workers run them later): it measures the command.
``--queue immediate`` runs each job right after its save, so the figure includes
re-rendering the pages that linked to a page before it existed.
"""
import argparse
import logging
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from bench.common import fresh_app  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from wiki.extensions import db  # noqa: E402
from wiki.models import Job  # noqa: E402
from wiki.services import mdimport, users  # noqa: E402

FOLDERS = 100


def generate(root: Path, count: int, seed: int = 22) -> None:
    """``count`` linked Markdown files under ``root`` (deterministic)."""
    rng = random.Random(seed)
    names = [f"topic-{n % FOLDERS:03}/page-{n:06}.md" for n in range(count)]
    for folder in range(min(FOLDERS, count)):
        (root / f"topic-{folder:03}").mkdir(parents=True, exist_ok=True)
    for n, name in enumerate(names):
        others = [names[rng.randrange(count)] for _ in range(5)]
        links = ", ".join(f"[page {o[-9:-3]}](../{o})" for o in others[:4])
        text = (f"# Page {n}\n\nSee {links} and [its usage](../{others[4]}#usage).\n\n## Usage\n\n"
                f"| command | see |\n|---|---|\n| `run {n}` | [next](../{others[0]}) |\n\n"
                + "Filler text about the topic of this page. " * 15 + "\n")
        (root / name).write_text(text)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the rendering processes, once ended
    return usage.ru_utime + usage.ru_stime


def _children_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def plan(folder: Path, app, workers: int = 1):
    with app.app_context():
        start = time.perf_counter()
        result = mdimport.plan_import(folder, max_bytes=app.config["MAX_PAGE_BYTES"], workers=workers)
        return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", type=Path)
    parser.add_argument("--generate", type=int)
    parser.add_argument("--sizes", type=int, nargs="*", help="plan only, generated folders of these sizes")
    parser.add_argument("--db", default="")
    parser.add_argument("--plan-only", action="store_true")
    parser.add_argument("--queue", choices=["deferred", "immediate"], default="deferred")
    parser.add_argument("--jobs", type=int, default=2, help="rendering processes (1: in this process)")
    args = parser.parse_args()
    queue = {} if args.queue == "immediate" else {
        "JOBS_QUEUE_URL": "sqlite:///" + tempfile.mkdtemp(prefix="nexus-bench-jobs-") + "/jobs.db"}
    app, url = fresh_app(args.db, **queue)
    logging.disable(logging.INFO)
    print(f"database: {url.split('@')[-1]}")

    if args.sizes:
        for size in args.sizes:
            folder = Path(tempfile.mkdtemp(prefix="nexus-bench-import-"))
            generate(folder, size)
            cpu = time.process_time()
            result, seconds = plan(folder, app, args.jobs)
            cpu = time.process_time() - cpu
            print(f"plan {size:>7,} files: {seconds:6.1f} s, {cpu:6.1f} s of CPU ({size / cpu:,.0f} files per CPU "
                  f"second), {len(result.problems)} problems; peak RSS {peak_rss_mb():,.0f} MB", flush=True)
            shutil.rmtree(folder)
        return

    if args.generate:
        folder = Path(tempfile.mkdtemp(prefix="nexus-bench-import-"))
        start = time.perf_counter()
        generate(folder, args.generate)
        print(f"generated {args.generate:,} files in {time.perf_counter() - start:.1f} s")
    else:
        folder = args.repo
    try:
        result, seconds = plan(folder, app, args.jobs)
        print(f"planning: {len(result.files):,} files in {seconds:.1f} s "
              f"({len(result.files) / max(seconds, 1e-9):,.0f} files/s), {len(result.problems)} problems; "
              f"peak RSS {peak_rss_mb():,.0f} MB")
        if args.plan_only:
            return
        with app.app_context():
            upgrade()
            user, _ = users.get_or_create_system_user("Importer")
            start, cpu_start, done = time.perf_counter(), time.process_time(), [0]
            children_start = _children_cpu()
            last = [start, time.process_time(), 0]  # wall clock, CPU time, files at the last line

            def progress(n: int) -> None:
                # Per stretch of 30 s, per wall-clock second and per CPU second of this process:
                # on a shared machine the second shows whether the work per file grows.
                done[0] += n
                now = time.perf_counter()
                if now - last[0] >= 30:
                    cpu = time.process_time()
                    files = done[0] - last[2]
                    print(f"  {done[0]:,} files: {files / (now - last[0]):,.1f} files/s, "
                          f"{files / max(cpu - last[1], 1e-9):,.1f} files per CPU second", flush=True)
                    last[:] = [now, cpu, done[0]]

            report = mdimport.run_import(result, user, max_bytes=app.config["MAX_PAGE_BYTES"], progress=progress,
                                         jobs=args.jobs)
            seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
            workers_cpu = _children_cpu() - children_start
            queued = db.session.scalar(select(func.count()).select_from(Job))
        total_cpu = cpu_seconds + workers_cpu
        print(f"import ({args.queue} jobs, --jobs {args.jobs}): {len(report.created):,} created in {seconds:.1f} s "
              f"({len(report.created) / seconds:,.1f} files/s; {cpu_seconds:,.0f} s of CPU in this process + "
              f"{workers_cpu:,.0f} s in the rendering processes, {len(report.created) / total_cpu:,.1f} files per "
              f"CPU second), {len(report.skipped)} skipped, {queued:,} fan-out jobs left queued; peak RSS "
              f"{peak_rss_mb():,.0f} MB (rendering processes: {_children_rss_mb():,.0f} MB at most); "
              f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        if args.generate:
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
