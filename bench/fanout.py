"""Fan-out as jobs: a save or rename answers at once, and workers bring linking pages up to date.

    .venv/bin/python -m bench.fanout                                   # SQLite: 3 setups; 20,000 linking pages
    .venv/bin/python -m bench.fanout --db postgresql+psycopg://postgres@127.0.0.1:5432/nexus_bench
    .venv/bin/python -m bench.fanout --fan 2000 --rename-fan 500 --setups redis-1   # a quick run

What it answers (issue 13), under gunicorn (2 sync workers) through the edit and rename forms:

- the response time of creating a page that ``--fan`` (20,000) pages link to, and one that
  ``--small-fan`` (1,000) link to, against creating an unlinked page (target: within 2x);
- how long after that 303 until every linking page shows the new state (its stored HTML has
  the blue link) and the jobs table is empty, with one worker and with two;
- the same for a rename with link rewriting across ``--rename-fan`` (5,000) pages (until
  every one of them has a new revision linking to the new title), against renaming an
  unlinked page;
- a plain save's response time (another editor, three saves 2 s apart) while that drains;
- the drain of ``--burst`` (2) creations queued together, each linked by its own half of
  the ``--fan`` pages (``--burst-pages same``: each by all of them): two jobs, where a
  second worker can help; one job is run by one worker, batch after batch.

Setups (``--setups``): ``sqlite-queue`` is the default configuration (no JOBS_QUEUE_URL:
a SQLite queue file, here under bench/out/, and JOBS_WORKER_THREADS=1 in-process threads,
so one per gunicorn worker once it served a request); ``redis-1``/``redis-2`` use Redis
(``--redis``, default redis://127.0.0.1:6379/3, queue name ``nexus-bench-fanout``) with
JOBS_WORKER_THREADS=0 on the servers and one or two ``flask --app wsgi jobs-worker
--threads 1`` processes. The default on PostgreSQL is redis-1 and redis-2.

The corpus is bulk-inserted (as bench/view_scaling.py does): ``--fan`` pages whose body is
"See [[Target 1]], ..., [[Target N]]." (one target per creation measured; with the split
burst, ", [[Burst target j]]" on part j), ``--small-fan``
pages linking to three small targets, ``--rename-fan`` pages linking to "Move me" (saved
through the service). All pages of a group have the same body, so one rendering's HTML
serves every row; links and search-index rows are inserted with them. Every setup starts
from the same corpus: a copy of one SQLite file, or a PostgreSQL database filled again
(``--db``: a database of the benchmark's own, created if missing; its public schema is
replaced).
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import fresh_app
from bench.perf import VENV_BIN, Browser, Server, url_path

OUT = ROOT / "bench" / "out" / "fanout"
USER, PASSWORD = "benchuser", "bench password 1"
QUEUE_NAME = "nexus-bench-fanout"
RENAME_SOURCE, RENAME_TARGET = "Move me", "Moved here"
SMALL_TARGETS = 3
SETUP_LABELS = {
    "sqlite-queue": "SQLite queue, in-process threads (default)",
    "redis-1": "Redis, 1 worker process",
    "redis-2": "Redis, 2 worker processes",
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# Corpus


@dataclass(frozen=True)
class Corpus:
    fan: int
    targets: int  # creations of 20,000-linked pages measured per setup
    small_fan: int
    rename_fan: int
    split: int = 0  # the fan pages in this many parts, part j also linking to "Burst target j"
    ranges: dict = field(default_factory=dict)  # group -> (first id, last id)

    def target(self, n: int) -> str:
        return f"Target {n}"

    def small_target(self, n: int) -> str:
        return f"Small target {n}"

    def burst_target(self, n: int) -> str:
        return f"Burst target {n}"


@contextmanager
def _env(**values):
    """Environment variables for the app built in this process only (not the servers')."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def build(url: str | None, spec: Corpus) -> tuple[str, Corpus, float]:
    """A fresh database at ``url`` (migrated, the corpus bulk-inserted): (url, corpus, seconds)."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, text

    began = time.perf_counter()
    # "immediate": the jobs of the few saves made here run in this process, on no queue of
    # anyone else's (the default would be instance/jobs.db of the checkout).
    with _env(NEXUS_JOBS_QUEUE_URL="immediate"):
        app, url = fresh_app(url)
    import logging

    logging.getLogger("alembic").setLevel("WARNING")
    from wiki.core.searchtext import html_to_text
    from wiki.core.titles import canonical_key
    from wiki.extensions import db
    from wiki.models import Link, Page, Revision
    from wiki.services import pages, rendering, users

    with app.app_context():
        upgrade()
        users.create_user(USER, PASSWORD, role="editor")
        pages.save_page(RENAME_SOURCE, "A page that is renamed, with its links rewritten.", "", None, 0)
        db.session.commit()
        first = db.session.scalar(text("SELECT max(id) FROM pages")) + 1
        next_rev = db.session.scalar(text("SELECT max(id) FROM revisions")) + 1
        fan_targets = [spec.target(n) for n in range(1, spec.targets + 1)]
        if spec.split:  # part j: the fan pages that also link to burst target j
            bounds = [spec.fan * j // spec.split for j in range(spec.split + 1)]
            fan_groups = [(f"part {j}", bounds[j] - bounds[j - 1], "Fan page", fan_targets + [spec.burst_target(j)])
                          for j in range(1, spec.split + 1)]
        else:
            fan_groups = [("fan", spec.fan, "Fan page", fan_targets)]
        groups = fan_groups + [
            ("small", spec.small_fan, "Small fan page", [spec.small_target(n) for n in range(1, SMALL_TARGETS + 1)]),
            ("rename", spec.rename_fan, "Rename fan page", [RENAME_SOURCE]),
        ]
        ranges = {}
        sqlite = db.engine.dialect.name == "sqlite"
        search_sql = text("INSERT INTO search_index (rowid, title, body) VALUES (:id, :title, :body)" if sqlite else
                          "INSERT INTO search_index (page_id, title, body) VALUES (:id, :title, :body)")
        page_id, rev_id = first, next_rev
        numbered: dict[str, int] = {}  # title prefix -> pages so far
        for name, count, prefix, targets in groups:
            source = "See " + ", ".join(f"[[{t}]]" for t in targets) + "."
            rendered = rendering.render(prefix, source)  # no headings: the same HTML for every title
            html, toc, headings = rendered.html, rendered.toc, rendering.headings_column(rendered)
            words = html_to_text(html)
            ranges[name] = (page_id, page_id + count - 1)
            for start in range(0, count, 5000):
                n = min(5000, count - start)
                ids = list(range(page_id, page_id + n))
                titles = {i: f"{prefix} {numbered.get(prefix, 0) + k + 1:05d}" for k, i in enumerate(ids)}
                numbered[prefix] = numbered.get(prefix, 0) + n
                db.session.execute(insert(Page), [
                    {"id": i, "title": titles[i], "title_key": canonical_key(titles[i]), "protection": "none",
                     "deleted": False} for i in ids])
                db.session.execute(insert(Revision), [
                    {"id": rev_id + k, "page_id": i, "number": 1, "summary": "bench corpus", "minor": False,
                     "source": source, "html": html, "toc": toc, "headings": headings, "size": len(source),
                     "parent_size": 0} for k, i in enumerate(ids)])
                db.session.execute(insert(Link), [
                    {"source_page_id": i, "target_title": t, "target_key": canonical_key(t), "section": None}
                    for i in ids for t in targets])
                db.session.execute(Page.__table__.update().where(Page.id.in_(ids))
                                   .values(current_revision_id=Page.id - page_id + rev_id))
                db.session.execute(search_sql, [{"id": i, "title": titles[i], "body": words} for i in ids])
                db.session.commit()
                page_id, rev_id = page_id + n, rev_id + n
        if spec.split:
            ranges["fan"] = (ranges["part 1"][0], ranges[f"part {spec.split}"][1])
        if sqlite:
            db.session.execute(text("ANALYZE"))
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            db.session.commit()
        else:  # explicit ids leave the sequences behind
            for table in ("pages", "revisions", "links"):
                db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
            db.session.commit()
            db.session.close()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        db.engine.dispose()
    return (url, Corpus(spec.fan, spec.targets, spec.small_fan, spec.rename_fan, spec.split, ranges),
            time.perf_counter() - began)


def ensure_pg_database(url: str) -> None:
    """Create the benchmark's PostgreSQL database if it is missing (never use ``test``)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.database in (None, "", "test", "postgres"):
        raise SystemExit(f"give the benchmark a database of its own, not {parsed.database!r}")
    engine = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": parsed.database}).scalar():
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    engine.dispose()


# ---------------------------------------------------------------------------------------
# Watching the database


class Watch:
    """Polls the wiki's database from this process: jobs left, pages not yet updated."""

    def __init__(self, url: str, corpus: Corpus):
        from sqlalchemy import create_engine

        self.engine = create_engine(url)
        self.corpus = corpus

    def jobs(self) -> tuple[int, list[str]]:
        """(unfinished jobs, errors of failed jobs)."""
        from sqlalchemy import text

        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT state, error FROM jobs")).all()
        return sum(1 for s, _ in rows if s != "failed"), [e for s, e in rows if s == "failed"]

    def stale(self, group: str, blue_title: str | None = None, old_link: str | None = None) -> int:
        """Pages of ``group`` whose current revision does not link blue to ``blue_title`` yet
        (or, for a rename, still has ``old_link`` in its source)."""
        from sqlalchemy import text

        from wiki.services.rendering import page_url

        first, last = self.corpus.ranges[group]
        where = ["p.id BETWEEN :a AND :b"]
        params = {"a": first, "b": last}
        if blue_title is not None:
            where.append("r.html NOT LIKE :blue")
            params["blue"] = f'%href="{page_url(blue_title)}"%'
        if old_link is not None:
            where.append("r.source LIKE :old")
            params["old"] = f"%{old_link}%"
        sql = ("SELECT count(*) FROM pages p JOIN revisions r ON r.id = p.current_revision_id WHERE "
               + where[0] + " AND (" + " OR ".join(where[1:]) + ")")
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def drain(self, began: float, group: str, timeout: float, **check) -> float:
        """Seconds from ``began`` until no job is left and no page of ``group`` is stale."""
        while True:
            left, failed = self.jobs()
            if failed:
                raise RuntimeError("a job failed: " + failed[0])
            if left == 0 and self.stale(group, **check) == 0:
                return time.perf_counter() - began
            if time.perf_counter() - began > timeout:
                raise RuntimeError(f"not drained after {timeout:.0f} s: {left} job(s) left, "
                                   f"{self.stale(group, **check)} page(s) stale")
            time.sleep(0.2)

    def idle(self, timeout: float = 120) -> None:
        """Wait until the jobs table is empty (small jobs of plain saves)."""
        began = time.perf_counter()
        while True:
            left, failed = self.jobs()
            if failed:
                raise RuntimeError("a job failed: " + failed[0])
            if left == 0:
                return
            if time.perf_counter() - began > timeout:
                raise RuntimeError(f"{left} job(s) still there after {timeout:.0f} s")
            time.sleep(0.1)

    def close(self) -> None:
        self.engine.dispose()


# ---------------------------------------------------------------------------------------
# The client


class Editor(Browser):
    """A logged-in editor posting the edit and rename forms; returns each POST's seconds."""

    def __init__(self, base: str):
        super().__init__(base)
        self.login(USER, PASSWORD)

    def create(self, title: str, body: str) -> float:
        path = url_path(title) + "/-/edit"
        token = self.token(path)
        began = time.perf_counter()
        status, headers, text = self.request(path, {"body": body, "summary": "bench", "base_revision": "0",
                                                    "section": "", "csrf_token": token})
        seconds = time.perf_counter() - began
        if status != 303:
            raise RuntimeError(f"creating {title!r} answered {status}: {text[:500]}")
        self.request(headers["Location"])  # shows (and so clears) the flashed message
        return seconds

    def rename(self, title: str, new_title: str) -> float:
        path = url_path(title) + "/-/rename"
        token = self.token(path)
        began = time.perf_counter()
        status, headers, text = self.request(path, {"new_title": new_title, "leave_redirect": "y",
                                                    "rewrite_links": "y", "csrf_token": token})
        seconds = time.perf_counter() - began
        if status != 303:
            raise RuntimeError(f"renaming {title!r} answered {status}: {text[:500]}")
        self.request(headers["Location"])
        return seconds


def saves_meanwhile(base: str, count: int, results: list) -> None:
    """``count`` creations of unlinked pages, 2 s apart after 2 s: (status, ms) each, errors kept."""
    editor = Editor(base)
    for n in range(1, count + 1):
        time.sleep(2)
        path = url_path(f"Saved during a drain {n}") + "/-/edit"
        token = editor.token(path)
        began = time.perf_counter()
        status, headers, _ = editor.request(path, {"body": f"Text {n}.", "summary": "", "base_revision": "0",
                                                   "section": "", "csrf_token": token})
        results.append((status, round((time.perf_counter() - began) * 1000, 1)))
        if status == 303:
            editor.request(headers["Location"])


# ---------------------------------------------------------------------------------------
# Servers and workers


class Workers:
    """``flask --app wsgi jobs-worker --threads 1`` processes, stopped with SIGTERM."""

    def __init__(self, count: int, env: dict, log_dir: Path):
        self.procs, self.logs = [], []
        for n in range(count):
            path = log_dir / f"worker-{n}.log"
            self.logs.append(path)
            with open(path, "w") as handle:  # the child keeps its own descriptor
                self.procs.append(subprocess.Popen(
                    [str(VENV_BIN / "flask"), "--app", "wsgi", "jobs-worker", "--threads", "1"],
                    cwd=ROOT, env={**os.environ, **env}, stdout=handle, stderr=subprocess.STDOUT))
        time.sleep(3)  # they log nothing when ready; the warm-up page's job waits for them anyway
        if any(proc.poll() is not None for proc in self.procs):
            self.stop()
            raise SystemExit("a jobs-worker did not start: see " + ", ".join(map(str, self.logs)))

    def cpu_seconds(self) -> list[float]:
        """User + system CPU seconds each worker process has used so far."""
        ticks = os.sysconf("SC_CLK_TCK")
        result = []
        for proc in self.procs:
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            result.append(round((int(fields[11]) + int(fields[12])) / ticks, 1))
        return result

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


def redis_clear(url: str) -> None:
    """Drop this benchmark's queue from Redis (its own queue name only)."""
    import redis

    client = redis.Redis.from_url(url)
    keys = [k for k in client.scan_iter(match=f"*{QUEUE_NAME}*")]
    if keys:
        client.delete(*keys)
    client.close()


def problems_in(paths: list[Path]) -> list[str]:
    """Lines of the logs that tell of an error (a job retried or failed, a traceback)."""
    found = []
    for path in paths:
        lines = path.read_text(errors="replace").splitlines()
        for i, line in enumerate(lines):
            if "Traceback" in line or " failed" in line or "ERROR" in line or "unreachable" in line:
                found.append(f"{path.name}: " + " | ".join(lines[i:i + 12]))
    return found


# ---------------------------------------------------------------------------------------
# One setup


def ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 1)


def measure(setup: str, url: str, corpus: Corpus, args, log_dir: Path) -> dict:
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {"NEXUS_SQLALCHEMY_DATABASE_URI": url, "NEXUS_SECRET_KEY": "bench-secret",
           "NEXUS_RATELIMIT_ENABLED": "false", "NEXUS_JOBS_QUEUE_NAME": QUEUE_NAME}
    if setup == "sqlite-queue":
        queue_file = log_dir / "jobs-queue.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(queue_file) + suffix).unlink(missing_ok=True)
        env.update(NEXUS_JOBS_QUEUE_URL="sqlite:///" + str(queue_file), NEXUS_JOBS_WORKER_THREADS="1")
        worker_count = 0
    else:
        redis_clear(args.redis)
        env.update(NEXUS_JOBS_QUEUE_URL=args.redis, NEXUS_JOBS_WORKER_THREADS="0")
        worker_count = int(setup.split("-")[1])
    watch = Watch(url, corpus)
    server = Server("wsgi:app", args.gunicorn_workers, env)
    workers = None
    result: dict = {"setup": setup}
    try:
        workers = Workers(worker_count, env, log_dir) if worker_count else None
        editor = Editor(server.base)
        # Every gunicorn worker serves a few requests first (and, in the default setup,
        # starts its job thread), and the warm-up page's own small job runs.
        threads = [threading.Thread(target=lambda: [Browser(server.base).request("/") for _ in range(3)])
                   for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        editor.create(f"Warm-up {setup}", "A page to warm up.")
        watch.idle()

        plain = []
        for n in range(1, args.plain + 1):
            plain.append(editor.create(f"Plain page {n}", f"A page nothing links to, number {n}."))
            watch.idle()
        result["plain_ms"] = ms(plain)
        log(f"{setup}: create unlinked page {ms(plain)} ms (median of {len(plain)})")

        small, small_drain = [], []
        for n in range(1, SMALL_TARGETS + 1):
            title = corpus.small_target(n)
            small.append(editor.create(title, f"A page {corpus.small_fan:,} pages link to."))
            small_drain.append(watch.drain(time.perf_counter(), "small", args.timeout, blue_title=title))
        result["small_ms"], result["small_drain_s"] = ms(small), round(statistics.median(small_drain), 2)
        log(f"{setup}: create page linked by {corpus.small_fan:,}: {ms(small)} ms, all blue after "
            f"{result['small_drain_s']} s")

        big, big_drain, during = [], [], []
        for n in range(1, args.singles + 1):
            title = corpus.target(n)
            big.append(editor.create(title, f"A page {corpus.fan:,} pages link to."))
            began = time.perf_counter()
            side = None
            if n == 1 and args.during:  # plain saves by another editor while this fan-out drains
                side = threading.Thread(target=saves_meanwhile, args=(server.base, args.during, during))
                side.start()
            big_drain.append(watch.drain(began, "fan", args.timeout, blue_title=title))
            if side:
                side.join()
            log(f"{setup}: create {title} (linked by {corpus.fan:,}): {big[-1] * 1000:.0f} ms, all blue after "
                f"{big_drain[-1]:.1f} s")
        result["big_ms"], result["big_drain_s"] = ms(big), round(statistics.median(big_drain), 1)
        result["big_all_ms"] = [round(x * 1000, 1) for x in big]
        result["big_drain_all_s"] = [round(x, 1) for x in big_drain]
        result["during"] = during
        log(f"{setup}: plain saves while it drained: " + ", ".join(f"{s} in {t:.0f} ms" for s, t in during))

        if args.burst and setup in args.burst_setups:
            if corpus.split:  # each linked by its own part of the fan pages: different pages
                titles = [corpus.burst_target(n) for n in range(1, corpus.split + 1)]
                groups = [f"part {n}" for n in range(1, corpus.split + 1)]
            else:  # each linked by all the fan pages
                titles = [corpus.target(n) for n in range(args.singles + 1, args.singles + args.burst + 1)]
                groups = ["fan"] * len(titles)
            cpu_before = workers.cpu_seconds() if workers else []
            began, burst = None, []
            for title in titles:
                burst.append(editor.create(title, "A page many pages link to."))
                began = began or time.perf_counter()
            for title, group in zip(titles, groups):
                watch.drain(began, group, args.timeout, blue_title=title)
            result["burst_drain_s"] = round(time.perf_counter() - began, 1)
            result["burst_ms"] = [round(x * 1000, 1) for x in burst]
            if workers:  # whether each worker took a share
                result["burst_worker_cpu_s"] = [round(b - a, 1) for a, b in zip(cpu_before, workers.cpu_seconds())]
            log(f"{setup}: {len(titles)} creations queued together ({result['burst_ms']} ms): all blue after "
                f"{result['burst_drain_s']} s; CPU s of each worker meanwhile: {result.get('burst_worker_cpu_s')}")

        if setup in args.rename_setups:
            renames = []
            for n in range(1, args.plain_renames + 1):
                renames.append(editor.rename(f"Plain page {n}", f"Plain page {n} renamed"))
                watch.idle()
            result["plain_rename_ms"] = ms(renames)
            result["rename_ms"] = round(editor.rename(RENAME_SOURCE, RENAME_TARGET) * 1000, 1)
            result["rename_drain_s"] = round(watch.drain(time.perf_counter(), "rename", args.timeout,
                                                         blue_title=RENAME_TARGET, old_link=f"[[{RENAME_SOURCE}]]"), 1)
            log(f"{setup}: rename unlinked page {result['plain_rename_ms']} ms; rename of a page linked by "
                f"{corpus.rename_fan:,} (rewriting links) {result['rename_ms']} ms, all rewritten after "
                f"{result['rename_drain_s']} s")
    finally:
        if workers:
            workers.stop()
        server.stop()
        watch.close()
        if setup != "sqlite-queue":
            redis_clear(args.redis)
    logs = ([Path(server.log.name)] + (workers.logs if workers else []))
    result["problems"] = problems_in(logs)
    result["logs"] = [str(p) for p in logs]
    for line in result["problems"]:
        log(f"{setup}: LOG: {line[:2000]}")
    return result


# ---------------------------------------------------------------------------------------
# Report


def table(runs: list[dict], corpus: Corpus) -> str:
    heads = [f"{r['db']}: {SETUP_LABELS[r['setup']]}" for r in runs]
    fan, small, ren = f"{corpus.fan:,}", f"{corpus.small_fan:,}", f"{corpus.rename_fan:,}"

    def row(name, fn):
        cells = []
        for r in runs:
            try:
                cells.append(fn(r))
            except (KeyError, TypeError):
                cells.append("–")
        return f"| {name} | " + " | ".join(cells) + " |"

    def ratio(a, b):
        return f"{a:.0f} ms (×{a / b:.2f})"

    lines = [
        "| median of the runs | " + " | ".join(heads) + " |",
        "|---|" + "---|" * len(runs),
        row("create an unlinked page (POST)", lambda r: f"{r['plain_ms']:.0f} ms"),
        row(f"create a page {small} pages link to (POST, × unlinked)", lambda r: ratio(r["small_ms"], r["plain_ms"])),
        row(f"create a page {fan} pages link to (POST, × unlinked)", lambda r: ratio(r["big_ms"], r["plain_ms"])),
        row(f"… until all {small} linking pages are blue", lambda r: f"{r['small_drain_s']:.1f} s"),
        row(f"… until all {fan} linking pages are blue (one job)",
            lambda r: f"{r['big_drain_s']:.1f} s ({corpus.fan / r['big_drain_s']:.0f} pages/s)"),
        row("plain save while that drains (POST, by another editor)",
            lambda r: ", ".join(f"{t:.0f} ms" + ("" if status == 303 else f" ({status})") for status, t in r["during"])),
        row(f"pages created together, each linked by {corpus.fan // corpus.split:,} other pages, until all blue"
            if corpus.split else f"pages created together, each linked by the same {fan} pages, until all blue",
            lambda r: f"{len(r['burst_ms'])}: {r['burst_drain_s']:.1f} s"
            + (f" (worker CPU {' + '.join(map(str, r['burst_worker_cpu_s']))} s)" if r.get("burst_worker_cpu_s") else "")),
        row("rename an unlinked page, rewrite on (POST)", lambda r: f"{r['plain_rename_ms']:.0f} ms"),
        row(f"rename a page {ren} pages link to, rewriting links (POST, × unlinked)",
            lambda r: ratio(r["rename_ms"], r["plain_rename_ms"])),
        row(f"… until all {ren} pages are rewritten and jobs done", lambda r: f"{r['rename_drain_s']:.1f} s"),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="PostgreSQL URL of a database of the benchmark's own (default: SQLite "
                                     "under bench/out/fanout)")
    parser.add_argument("--setups", nargs="+", choices=list(SETUP_LABELS),
                        help="default: all three on SQLite, redis-1 and redis-2 on PostgreSQL")
    parser.add_argument("--fan", type=int, default=20_000, help="pages linking to each big target")
    parser.add_argument("--small-fan", type=int, default=1000)
    parser.add_argument("--rename-fan", type=int, default=5000)
    parser.add_argument("--singles", type=int, default=1, help="big targets created one at a time, each drained")
    parser.add_argument("--burst", type=int, default=2, help="targets created together, then drained")
    parser.add_argument("--burst-pages", choices=("split", "same"), default="split",
                        help="split: each burst target is linked by its own part of the --fan pages (the "
                             "jobs touch different pages); same: by all of them (default: split)")
    parser.add_argument("--burst-setups", nargs="*", default=["redis-1", "redis-2"], choices=list(SETUP_LABELS),
                        help="setups that measure the burst (default: redis-1 redis-2)")
    parser.add_argument("--rename-setups", nargs="*", default=list(SETUP_LABELS), choices=list(SETUP_LABELS),
                        help="setups that measure the renames (default: all)")
    parser.add_argument("--during", type=int, default=3,
                        help="plain saves (2 s apart) while the first big target's fan-out drains")
    parser.add_argument("--plain", type=int, default=5, help="unlinked pages created")
    parser.add_argument("--plain-renames", type=int, default=3)
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--timeout", type=float, default=900, help="seconds a drain may take")
    parser.add_argument("--json", type=Path, help="write the figures here (default bench/out/fanout/<db>.json)")
    args = parser.parse_args()

    db_kind = "PostgreSQL" if args.db else "SQLite"
    setups = args.setups or (["redis-1", "redis-2"] if args.db else list(SETUP_LABELS))
    bursting = args.burst and set(setups) & set(args.burst_setups)
    split = args.burst if bursting and args.burst_pages == "split" else 0
    spec = Corpus(args.fan, args.singles + (args.burst if bursting and not split else 0),
                  args.small_fan, args.rename_fan, split)
    OUT.mkdir(parents=True, exist_ok=True)
    import logging

    logging.getLogger("nexus.request").setLevel("WARNING")
    if args.db:
        ensure_pg_database(args.db)
    else:
        base = OUT / "corpus.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(base) + suffix).unlink(missing_ok=True)
        _url, corpus, seconds = build("sqlite:///" + str(base), spec)
        log(f"SQLite corpus: {spec.fan + spec.small_fan + spec.rename_fan:,} pages inserted in {seconds:.1f} s")
    runs = []
    for setup in setups:
        if args.db:
            url, corpus, seconds = build(args.db, spec)
            log(f"PostgreSQL corpus: {spec.fan + spec.small_fan + spec.rename_fan:,} pages inserted in {seconds:.1f} s")
        else:
            copy = OUT / f"wiki-{setup}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(str(copy) + suffix).unlink(missing_ok=True)
            shutil.copyfile(base, copy)
            url = "sqlite:///" + str(copy)
        began = time.perf_counter()
        result = measure(setup, url, corpus, args, OUT / f"logs-{db_kind.lower()}-{setup}")
        result["db"], result["seconds"] = db_kind, round(time.perf_counter() - began, 1)
        runs.append(result)
        log(f"{setup} took {result['seconds']} s")
    out = args.json or OUT / f"{db_kind.lower()}.json"
    out.write_text(json.dumps({"corpus": {"fan": spec.fan, "small_fan": spec.small_fan,
                                          "rename_fan": spec.rename_fan},
                               "load": os.getloadavg(), "runs": runs}, indent=1))
    print(table(runs, corpus))
    print(f"\n(figures in {out}; load average now {', '.join(f'{x:.2f}' for x in os.getloadavg())})")


if __name__ == "__main__":
    main()
