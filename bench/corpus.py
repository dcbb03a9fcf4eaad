"""A deterministic wiki corpus for bench/perf.py, loaded through the imports' fast path.

Every page is a function of its index alone (its own ``random.Random``), so any number of
loader processes produce the same wiki. Links of page ``i`` point only at pages ``j < i``
of the same parity, and the two loader processes take the even and the odd pages in
increasing order, so a link target always exists before the page linking to it is saved:
all those links are blue from the start and no save has to re-render earlier pages. A few
links per page go to a small set of titles that never exist (the *Wanted* list).

Besides the ``pages`` ordinary pages there are two pages for history-length comparisons,
built the same way: ``Busy page`` with ``BUSY_REVISIONS`` revisions and ``Calm page`` with
``CALM_REVISIONS``. Each of their revisions changes one of five status lines, so any two
revisions (1 and 10,000 as much as 1 and 10) differ in at most five lines: what differs
between the two pages is the length of the history, not the size of a diff.

The ordinary pages are created by wiki.services.bulkpages (issue 21): rendered in worker
processes, written in batches, the same pages save_page would make. With ``bulk=False``
they are saved one by one by two loader processes, as before:
rendering Markdown (Python-Markdown, Pygments, bleach) is ~90% of a save's cost. Within
one corpus every page renders to the same result on every database (its links resolve the
same way), so the first load records each rendering in a side file and later loads of the
same corpus (the other database) replay them: ``save_page`` still does everything else
(revision, link table, search index, current-revision pointer) on its own database. Pass
``render_memo=None`` to render everything again.

Loaded databases are cached: a SQLite file under the cache folder named by the corpus
key (copied for each run, so runs never see each other's edits), and for PostgreSQL a
``bench_corpus`` table in the database naming the key it holds.
"""
import multiprocessing
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CORPUS_VERSION = 1  # bump when the generator below changes what it produces
SEED = 20261125
SECTIONS = ("concepts", "guides", "notes", "reference", "howto")
TOPICS = ("cache", "queue", "worker", "database", "index", "query", "latency", "redis", "postgres",
          "session", "schema", "migration", "replica", "shard", "throughput", "endpoint", "retry",
          "token", "deploy", "pipeline")
SYLLABLES = ("ka", "lo", "mi", "ter", "sun", "pra", "vel", "dor", "qui", "zen", "bar", "fi", "nos", "tri")
WANTED = [f"Missing topic {n}" for n in range(50)]
AUTHORS = [f"author{n:02d}" for n in range(20)]
BENCH_USER, BENCH_PASSWORD = "benchuser", "bench password 1"
BUSY, CALM = "Busy page", "Calm page"
BUSY_REVISIONS, CALM_REVISIONS = 10_000, 10

def _vocabulary() -> list[str]:
    rng = random.Random(SEED)
    return sorted({"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(3000)})


_WORDS = _vocabulary()


@dataclass(frozen=True)
class CorpusSpec:
    pages: int
    busy_revisions: int = BUSY_REVISIONS

    @property
    def key(self) -> str:
        return f"v{CORPUS_VERSION}-p{self.pages}-b{self.busy_revisions}"


def title(i: int) -> str:
    """The title of ordinary page ``i``."""
    rng = random.Random(SEED * 7 + i)
    return f"{SECTIONS[i % len(SECTIONS)]}/{rng.choice(TOPICS)} {rng.choice(_WORDS)} {i}"


def _sentence(rng: random.Random, topic: str) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(6, 14))]
    if rng.random() < 0.5:
        words.insert(rng.randrange(len(words)), topic)
    return " ".join(words).capitalize() + "."


def _link(rng: random.Random, i: int) -> str:
    """A wiki link to an earlier page of the same parity (it exists when page i is saved)."""
    if i < 2 or rng.random() < 0.08:
        return f"[[{rng.choice(WANTED)}]]"
    j = rng.randrange(i % 2, i, 2)
    if rng.random() < 0.3:
        return f"[[{title(j)}|see {title(j).rsplit('/', 1)[-1]}]]"
    return f"[[{title(j)}]]"


def body(i: int) -> str:
    """Markdown of ordinary page ``i``: 2-8 KB with headings, lists, code, a table and links."""
    rng = random.Random(SEED * 13 + i)
    topic = rng.choice(TOPICS)
    target = rng.randint(1900, 6900)
    out = [f"Intro about {topic}: " + " ".join(_sentence(rng, topic) for _ in range(3)) + f" See {_link(rng, i)}.", ""]
    section = 0
    while sum(len(p) + 1 for p in out) < target:
        section += 1
        out += [f"## {topic.capitalize()} part {section}", ""]
        kind = section % 4
        if kind == 1:
            out += [f"- {_sentence(rng, topic)} {_link(rng, i)}" for _ in range(rng.randint(3, 6))] + [""]
        elif kind == 2:
            out += ["```python", f"def {topic}_{section}(items):",
                    *[f"    total = sum(x * {k} for x in items)  # {rng.choice(_WORDS)}" for k in range(rng.randint(2, 6))],
                    "    return total", "```", ""]
        elif kind == 3:
            out += ["| name | value | note |", "|---|---|---|",
                    *[f"| {rng.choice(_WORDS)} | {rng.randint(1, 999)} | {rng.choice(_WORDS)} {topic} |"
                      for _ in range(rng.randint(3, 6))], ""]
        out += [f"### Details {section}", "",
                " ".join(_sentence(rng, topic) for _ in range(rng.randint(3, 6))) + f" Also {_link(rng, i)}.", ""]
    return "\n".join(out)


def history_body(name: str, n: int) -> str:
    """Revision ``n`` (1-based) of one of the history pages: five status lines change in turn."""
    rng = random.Random(SEED * 17)
    lines = [f"# {name}", "", "A page edited again and again. " + " ".join(_sentence(rng, "cache") for _ in range(4)), ""]
    for section in range(1, 6):
        lines += [f"## Part {section}", "", f"Status of part {section}: revision {max(0, n - (n - section) % 5)}.", ""]
        lines += [f"- {_sentence(rng, 'queue')}" for _ in range(4)] + [""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Loading


def _app(url: str):
    from wiki import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})


def _fast_sqlite(url: str) -> None:
    """While loading only: no fsync per commit. Losing the corpus in a crash costs a reload."""
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _nosync(dbapi_connection, _record):
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.execute("PRAGMA synchronous=OFF")
        elif url.startswith("postgresql"):
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit = off")
            dbapi_connection.commit()


class RenderMemo:
    """Record (first load) or replay (later loads) wiki.services.rendering.render results.

    Keyed by title and source: a result is only replayed for exactly the text it rendered.
    One file per loader process, so writers never share a file.
    """

    def __init__(self, path: Path):
        import sqlite3

        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE IF NOT EXISTS memo (key TEXT PRIMARY KEY, value BLOB)")
        self.pending = []

    def install(self) -> None:
        import hashlib
        import pickle
        import zlib

        from wiki.services import rendering

        real = rendering.render

        def render(title, source, resolver=None, **options):  # options: e.g. redirect (issue 19)
            key = hashlib.sha256(f"{title}\0{source}\0{sorted(options.items())}".encode()).hexdigest()
            row = self.db.execute("SELECT value FROM memo WHERE key = ?", (key,)).fetchone()
            if row is not None:
                return pickle.loads(zlib.decompress(row[0]))
            result = real(title, source, resolver, **options)
            self.pending.append((key, zlib.compress(pickle.dumps(result), 1)))
            if len(self.pending) >= 200:
                self.flush()
            return result

        rendering.render = render

    def flush(self) -> None:
        if self.pending:
            self.db.executemany("INSERT OR IGNORE INTO memo VALUES (?, ?)", self.pending)
            self.pending = []


def _users(names):
    from wiki.extensions import db
    from wiki.services import users

    result = []
    for name in names:
        user = users.find_user(name) or users.create_user(name, "bench password 1")
        result.append(user)
    db.session.commit()
    return result


def _load_pages(url: str, worker: int, workers: int, count: int, done, memo_dir) -> None:
    """Save pages worker, worker + workers, ... through wiki.services.pages.save_page."""
    _fast_sqlite(url)
    memo = RenderMemo(Path(memo_dir) / f"render-memo-{worker}.db") if memo_dir else None
    if memo:
        memo.install()
    from wiki.extensions import db
    from wiki.services import pages

    app = _app(url)
    with app.app_context():
        authors = _users(AUTHORS)
        for i in range(worker, count, workers):
            pages.save_page(title(i), body(i), f"create page {i}", authors[i % len(authors)], None)
            with done.get_lock():
                done.value += 1
    if memo:
        memo.flush()


def _load_pages_bulk(url: str, count: int, workers: int, done) -> None:
    """Create the ordinary pages through wiki.services.bulkpages (issue 21): the path of
    ``import-markdown``, rendered by ``workers`` processes and written in batches. Every page
    is what save_page would have made of it: each links only to earlier pages, so all its
    links are blue either way."""
    _fast_sqlite(url)
    from wiki.services import bulkpages

    app = _app(url)
    with app.app_context():
        authors = _users(AUTHORS)
        new = [bulkpages.NewPage(str(i), title(i), body(i), f"create page {i}", authors[i % len(authors)])
               for i in range(count)]

        def progress(n: int) -> None:
            with done.get_lock():
                done.value += n

        created, refused = bulkpages.create_pages(new, None, max_bytes=1024 * 1024, workers=workers,
                                                  progress=progress)
        if refused:
            raise SystemExit(f"corpus pages refused: {refused[:3]}")


def _load_history(url: str, name: str, revisions: int, done) -> None:
    _fast_sqlite(url)
    from wiki.extensions import db
    from wiki.services import pages

    app = _app(url)
    with app.app_context():
        authors = _users(AUTHORS)
        for n in range(1, revisions + 1):
            pages.save_page(name, history_body(name, n), f"edit {n}", authors[n % len(authors)], n - 1)
            with done.get_lock():
                done.value += 1


def _progress(label: str, done, total: int, procs, start: float) -> None:
    while any(p.is_alive() for p in procs):
        _bar(label, done.value, total, start)
        time.sleep(0.5)
    _bar(label, done.value, total, start)
    sys.stderr.write("\n")
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"loader process failed with exit code {p.exitcode}")


def _bar(label: str, value: int, total: int, start: float) -> None:
    width = 40
    filled = int(width * value / total) if total else width
    elapsed = time.perf_counter() - start
    rate = value / elapsed if elapsed > 0 else 0
    eta = (total - value) / rate if rate > 0 else 0
    sys.stderr.write(f"\r{label:<22} [{'#' * filled}{'.' * (width - filled)}] {value:>7,}/{total:,} "
                     f"{rate:6.0f}/s  elapsed {elapsed:5.0f} s  eta {eta:5.0f} s ")
    sys.stderr.flush()


def load(url: str, spec: CorpusSpec, workers: int = 2, render_memo: Path | None = None, bulk: bool = True) -> float:
    """Migrate the empty database at ``url`` and save the whole corpus into it; seconds taken.

    ``bulk`` (the default): the ordinary pages go through wiki.services.bulkpages, the fast
    path of the imports (``render_memo`` is then used by nothing); else each through
    save_page, replaying renderings from ``render_memo`` when given. The history pages are
    saved revision by revision either way: that is what they measure."""
    from flask_migrate import upgrade

    from wiki.extensions import db

    app = _app(url)
    with app.app_context():
        upgrade()
        _users(AUTHORS + [BENCH_USER])
        from wiki.services import users

        bench = users.find_user(BENCH_USER)
        bench.role = "editor"
        db.session.commit()
        db.engine.dispose()
    ctx = multiprocessing.get_context("fork")
    start = time.perf_counter()
    done = ctx.Value("i", 0)
    if bulk:  # one process writing, ``workers`` rendering
        procs = [ctx.Process(target=_load_pages_bulk, args=(url, spec.pages, workers, done))]
    else:
        procs = [ctx.Process(target=_load_pages, args=(url, w, workers, spec.pages, done, render_memo))
                 for w in range(workers)]
    # The history pages go in a process of their own, beside the page loaders.
    hist_done = ctx.Value("i", 0)
    hist = [ctx.Process(target=_load_history, args=(url, BUSY, spec.busy_revisions, hist_done)),
            ctx.Process(target=_load_history, args=(url, CALM, CALM_REVISIONS, hist_done))]
    for p in procs:
        p.start()
    _progress(f"{spec.pages:,} pages", done, spec.pages, procs, start)
    for p in hist:
        p.start()
    _progress("history pages", hist_done, spec.busy_revisions + CALM_REVISIONS, hist, start)
    with app.app_context():
        from sqlalchemy import text

        if url.startswith("postgresql"):
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            db.session.commit()
        db.engine.dispose()
    return time.perf_counter() - start


def memo_dir(spec: CorpusSpec, cache_dir: Path) -> Path:
    """Page i renders the same in a corpus of any size, so one memo serves every size."""
    path = cache_dir / f"render-memo-v{CORPUS_VERSION}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sqlite_corpus(spec: CorpusSpec, cache_dir: Path, run_dir: Path, memo: bool = True) -> tuple[str, float | None]:
    """A fresh copy of the cached SQLite corpus (loading it first if needed): (url, load seconds or None)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached = cache_dir / f"corpus-{spec.key}.db"
    seconds = None
    if not cached.exists():
        partial = cache_dir / f"corpus-{spec.key}.loading.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(partial) + suffix).unlink(missing_ok=True)
        seconds = load("sqlite:///" + str(partial), spec, render_memo=memo_dir(spec, cache_dir) if memo else None)
        os.replace(partial, cached)
        (cache_dir / f"corpus-{spec.key}.seconds").write_text(f"{seconds:.1f}\n")
    run_dir.mkdir(parents=True, exist_ok=True)
    copy = run_dir / "wiki.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(copy) + suffix).unlink(missing_ok=True)
    shutil.copyfile(cached, copy)
    _upgrade("sqlite:///" + str(copy))
    return "sqlite:///" + str(copy), seconds


def _upgrade(url: str) -> None:
    """Bring a cached corpus made by an older checkout up to this one's schema, as an upgrade
    in production would (flask db upgrade); a no-op when it is current."""
    from flask_migrate import upgrade

    app = _app(url)
    with app.app_context():
        upgrade()
        from wiki.extensions import db

        db.engine.dispose()


def postgresql_corpus(spec: CorpusSpec, url: str, cache_dir: Path, memo: bool = True) -> float | None:
    """Make sure the database at ``url`` holds the corpus (load it if it holds another)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        held = None
        if conn.execute(text("SELECT to_regclass('public.bench_corpus')")).scalar():
            held = conn.execute(text("SELECT key FROM bench_corpus")).scalar()
        if held == spec.key:
            engine.dispose()
            _upgrade(url)
            return None
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    seconds = load(url, spec, render_memo=memo_dir(spec, cache_dir) if memo else None)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_corpus (key text, seconds real)"))
        conn.execute(text("INSERT INTO bench_corpus VALUES (:k, :s)"), {"k": spec.key, "s": seconds})
    engine.dispose()
    return seconds


def cached_seconds(spec: CorpusSpec, cache_dir: Path, pg_url: str | None = None) -> float | None:
    """How long the cached corpus took to load when it was built."""
    if pg_url:
        from sqlalchemy import create_engine, text

        engine = create_engine(pg_url)
        with engine.connect() as conn:
            value = conn.execute(text("SELECT seconds FROM bench_corpus")).scalar()
        engine.dispose()
        return value
    path = cache_dir / f"corpus-{spec.key}.seconds"
    return float(path.read_text()) if path.exists() else None
