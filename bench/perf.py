"""Read and write throughput of the wiki under gunicorn, against a bare Flask ceiling.

Usage (from the repository root):

    .venv/bin/python -m bench.perf [--pages 100000] [--db sqlite|postgresql|both]
                                   [--pg-url URL] [--pg-pages N] [--small-pages 1000]
                                   [--duration 10] [--connections 4] [--workers 2]

See bench/README.md. Steps: build (or reuse) the corpora (bench/corpus.py); start the bare
Flask app and measure it; then for each wiki (SQLite small, SQLite large, PostgreSQL)
start gunicorn with the same settings and measure every scenario with wrk (a separate
process), saves with a Python client; print a table with each read's ratio to the
ceiling, the workers' memory, and write everything to a JSON file.
"""
import argparse
import http.cookiejar
import json
import os
import platform
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import corpus  # noqa: E402

VENV_BIN = Path(sys.executable).parent
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_perf"


# ---------------------------------------------------------------------------------------
# Servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving ``app`` on a free port until stopped."""

    def __init__(self, app: str, workers: int, env: dict | None = None, root: Path = ROOT):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="nexus-bench-gunicorn-", suffix=".log", delete=False)
        cmd = [str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--worker-class", "sync",
               "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "--timeout", "120", app]
        self.proc = subprocess.Popen(cmd, cwd=root, env={**os.environ, **(env or {})},
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.base + "/-/nothing-here", timeout=5)
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                time.sleep(0.3)
                continue
            break
        else:
            self.stop()
            raise SystemExit(f"gunicorn did not start: see {self.log.name}")

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def rss_mb(self) -> list[float]:
        result = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            kb = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))
            result.append(round(kb / 1024, 1))
        return result

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ---------------------------------------------------------------------------------------
# Load generation


def wrk(url: str, duration: int, connections: int, headers: dict | None = None, script: str | None = None) -> dict:
    """Run wrk against ``url``: requests/s, p50 and p99 latency in ms, errors."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "30s"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p50_ms": _ms(lat.get("50")), "p99_ms": _ms(lat.get("99")), "requests": total,
            "bad_status": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else ""}


def _ms(value: str | None) -> float | None:
    if value is None:
        return None
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return round(float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit], 2)


RANDOM_PAGES_LUA = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
math.randomseed(42)
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


class Browser:
    """A tiny cookie-keeping HTTP client: logs in, reads CSRF tokens, posts forms."""

    CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        self.user_agent = dict(self.opener.addheaders).get("User-agent", "")

    def request(self, path: str, data: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(req, timeout=120) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def token(self, path: str = "/-/login") -> str:
        return self.CSRF.search(self.request(path)[2]).group(1)

    def login(self, username: str, password: str) -> None:
        status, _, _ = self.request("/-/login", {"username": username, "password": password,
                                                 "csrf_token": self.token()})
        assert status == 303, f"login failed: {status}"

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def save_loop(base: str, title: str, path: str, first_revision: int, seconds: float, results: list) -> None:
    """Save ``title`` again and again for ``seconds`` as a logged-in editor; record latencies."""
    browser = Browser(base)
    browser.login(corpus.BENCH_USER, corpus.BENCH_PASSWORD)
    token = browser.token(path + "/-/edit")
    number, latencies, cpu = first_revision, [], time.process_time()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        body = corpus.history_body(title, number + 1)
        start = time.perf_counter()
        status, headers, _ = browser.request(path + "/-/edit", {
            "body": body, "summary": f"bench save {number + 1}", "base_revision": str(number), "csrf_token": token})
        latencies.append((time.perf_counter() - start) * 1000)
        assert status == 303, f"save answered {status}"
        number += 1
    results.append({"latencies": latencies, "client_cpu_s": time.process_time() - cpu})


def saves(base: str, targets: list[tuple[str, str, int]], seconds: float) -> dict:
    """Concurrent save loops, one per target page; saves/s and latency percentiles."""
    results: list = []
    threads = [threading.Thread(target=save_loop, args=(base, t, p, n, seconds, results)) for t, p, n in targets]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    latencies = sorted(x for r in results for x in r["latencies"])
    if len(results) != len(targets):
        raise SystemExit("a save loop failed (see above)")
    return {"rps": round(len(latencies) / wall, 1), "p50_ms": round(_pct(latencies, 50), 1),
            "p99_ms": round(_pct(latencies, 99), 1), "requests": len(latencies),
            "client_cpu_s": round(sum(r["client_cpu_s"] for r in results), 2), "wall_s": round(wall, 1)}


def _pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else 0.0


# ---------------------------------------------------------------------------------------
# Scenarios


def url_path(title: str) -> str:
    from wiki.core.titles import title_to_url_path

    return "/wiki/" + urllib.parse.quote(title_to_url_path(title), safe="/")


def revision_count(url: str, title: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        number = conn.execute(text(
            "SELECT r.number FROM pages p JOIN revisions r ON r.id = p.current_revision_id WHERE p.title = :t"),
            {"t": title}).scalar()
    engine.dispose()
    return number


def measure_wiki(label: str, db_url: str, spec: corpus.CorpusSpec, args, ceiling) -> dict:
    """Every scenario against one wiki: a dict of name -> figures. ``ceiling()``: the bare
    app's requests/s now, measured before each scenario."""
    # Rate limits off: one client saving as fast as it can would measure the limiter, not the save.
    server = Server("wsgi:app", args.workers, {"NEXUS_SQLALCHEMY_DATABASE_URI": db_url,
                                               "NEXUS_SECRET_KEY": "bench-secret",
                                               "NEXUS_RATELIMIT_ENABLED": "false"}, root=args.app_root)
    try:
        base = server.base
        typical = url_path(corpus.title(spec.pages // 2 + 1))
        busy, calm = url_path(corpus.BUSY), url_path(corpus.CALM)
        busy_n, calm_n = revision_count(db_url, corpus.BUSY), revision_count(db_url, corpus.CALM)
        browser = Browser(base)
        status, headers, _ = browser.request(typical)
        assert status == 200, f"{typical}: {status}"
        etag = headers.get("ETag", '"none"')  # an older version of the wiki may send none
        random_file = Path(tempfile.mkdtemp()) / "paths.txt"
        import random

        rng = random.Random(7)
        random_file.write_text("\n".join(url_path(corpus.title(rng.randrange(spec.pages))) for _ in range(2000)) + "\n")
        lua = random_file.with_suffix(".lua")
        lua.write_text(RANDOM_PAGES_LUA % random_file)
        editor = Browser(base)
        editor.login(corpus.BENCH_USER, corpus.BENCH_PASSWORD)
        editor.request(typical)  # shows and clears the welcome message
        cookie = editor.cookie_header()

        scenarios = [
            ("view typical page", typical, {}, None),
            ("view random pages", base + "/", {}, str(lua)),
            # The User-Agent of the login: with another one (wrk sends none) Flask-Login's session
            # protection marks the session not fresh, and every answer would set a new cookie.
            ("view page, logged in", typical, {"Cookie": cookie, "User-Agent": editor.user_agent}, None),
            ("conditional GET (304)", typical, {"If-None-Match": etag}, None),
            ("view page, long history", busy, {}, None),
            ("view page, 10 revisions", calm, {}, None),
            ("history, long history", busy + "/-/history", {}, None),
            ("history, 10 revisions", calm + "/-/history", {}, None),
            ("diff 1→last, long history", f"{busy}/-/diff?from=1&to={busy_n}", {}, None),
            ("diff 1→last, 10 revisions", f"{calm}/-/diff?from=1&to={calm_n}", {}, None),
            ("old revision, long history", f"{busy}/-/revisions/{busy_n // 2}", {}, None),
            ("old revision, 10 revisions", f"{calm}/-/revisions/{calm_n // 2}", {}, None),
            ("blame, long history", busy + "/-/blame", {}, None),
            ("blame, 10 revisions", calm + "/-/blame", {}, None),
            ("search ?q=cache", "/-/search?q=cache", {}, None),
            ("recent changes", "/-/recent", {}, None),
        ]
        results = {"long history": busy_n}
        print(f"  {label}: the long-history page has {busy_n:,} revisions, the other {calm_n}", flush=True)
        for name, path, headers, script in scenarios:
            url = path if path.startswith("http") else base + path
            cold = None
            if script is None:  # the first request, before any cache of the server's is warm
                start = time.perf_counter()
                status, _, _ = Browser(base).request(path, headers=headers)
                assert status in (200, 304), f"{path}: {status}"
                cold = round((time.perf_counter() - start) * 1000, 1)
                for _ in range(3):
                    Browser(base).request(path, headers=headers)
            ceiling_now = ceiling()
            figures = wrk(url, args.duration, args.connections, headers, script)
            figures["first_ms"] = cold
            figures["ceiling_rps"] = round(ceiling_now)
            figures["ratio"] = round(figures["rps"] / ceiling_now, 2)
            results[name] = figures
            print(f"  {label:<24} {name:<32} {figures['rps']:8.0f} req/s  p50 {figures['p50_ms']:7.1f} ms  "
                  f"p99 {figures['p99_ms']:7.1f} ms  ×{figures['ratio']:.2f}"
                  + (f"  BAD STATUS {figures['bad_status']}" if figures["bad_status"] else ""), flush=True)
        seconds = max(5, args.duration)
        busy_now = revision_count(db_url, corpus.BUSY)
        # Saves to a new page of its own, not to Calm page: a PostgreSQL corpus is reused by
        # the next run, whose reads must still find Calm page at 10 revisions.
        fresh = f"Save target {time.strftime('%Y%m%d%H%M%S')}"
        for name, targets in (("save, long history", [(corpus.BUSY, busy, busy_now)]),
                              ("save, new page", [(fresh, url_path(fresh), 0)])):
            figures = saves(base, targets, seconds)
            figures["ratio"] = None
            results[name] = figures
            print(f"  {label:<24} {name:<32} {figures['rps']:8.1f} saves/s  p50 {figures['p50_ms']:7.1f} ms  "
                  f"p99 {figures['p99_ms']:7.1f} ms  (client CPU {figures['client_cpu_s']} s "
                  f"of {figures['wall_s']} s)", flush=True)
        results["worker RSS MB"] = server.rss_mb()
        print(f"  {label:<24} worker RSS after the run: {results['worker RSS MB']} MB", flush=True)
        return results
    finally:
        server.stop()


def machine() -> dict:
    def run(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, shell=True).stdout.strip()
        except OSError:
            return ""

    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "cpu": run("lscpu | grep -E 'Model name|^CPU\\(s\\)|Thread|MHz' | tr -s ' '"),
        "nproc": os.cpu_count(),
        "memory": run("free -m | sed -n 2p"),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": run("psql -h 127.0.0.1 -U postgres -Atc 'SHOW server_version' 2>/dev/null"),
        "wrk": run("wrk -v 2>&1 | head -1"),
        "load before": run("uptime"),
    }


def measure_ceiling(args, keep: bool = False):
    """The bare Flask app under the same gunicorn settings: requests/s and latency. With
    ``keep``: (figures, the running server), to measure it again beside each scenario."""
    print("\nBare Flask ceiling (5 KB template page):", flush=True)
    bare = Server("bench.bare_app:app", args.workers)
    try:
        Browser(bare.base).request("/")
        ceiling = wrk(bare.base + "/", args.duration, args.connections)
        ceiling["worker RSS MB"] = bare.rss_mb()
    finally:
        if not keep:
            bare.stop()
    print(f"  bare Flask {ceiling['rps']:.0f} req/s  p50 {ceiling['p50_ms']} ms  p99 {ceiling['p99_ms']} ms", flush=True)
    return (ceiling, bare) if keep else ceiling


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=100_000, help="pages of the large wiki (default 100,000)")
    parser.add_argument("--small-pages", type=int, default=1000, help="pages of the small wiki (0: skip it)")
    parser.add_argument("--busy-revisions", type=int, default=corpus.BUSY_REVISIONS)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default=PG_DEFAULT, help="a database of the benchmark's own: its schema is replaced")
    parser.add_argument("--pg-pages", type=int, help="pages of the PostgreSQL wiki (default: --pages)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, for the wiki and the ceiling")
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "nexus-bench-cache")
    parser.add_argument("--no-render-memo", action="store_true", help="render every page on every load")
    parser.add_argument("--app-root", type=Path, default=ROOT,
                        help="serve the wiki from this checkout (e.g. an older version, to compare)")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "nexus-bench-results.json")
    args = parser.parse_args()

    report = {"machine": machine(), "args": {k: str(v) for k, v in vars(args).items()}, "loads": {}, "wikis": {}}
    print(json.dumps(report["machine"], indent=2), flush=True)
    run_dir = Path(tempfile.mkdtemp(prefix="nexus-bench-run-"))
    wikis = []  # (label, url, spec)
    memo = not args.no_render_memo
    if args.db in ("sqlite", "both"):
        if args.small_pages:
            spec = corpus.CorpusSpec(args.small_pages, min(args.busy_revisions, 100))
            url, seconds = corpus.sqlite_corpus(spec, args.cache_dir, run_dir / "small", memo)
            wikis.append((f"SQLite {spec.pages:,} pages", url, spec))
            report["loads"][wikis[-1][0]] = seconds or corpus.cached_seconds(spec, args.cache_dir)
        spec = corpus.CorpusSpec(args.pages, args.busy_revisions)
        url, seconds = corpus.sqlite_corpus(spec, args.cache_dir, run_dir / "large", memo)
        wikis.append((f"SQLite {spec.pages:,} pages", url, spec))
        report["loads"][wikis[-1][0]] = seconds or corpus.cached_seconds(spec, args.cache_dir)
    if args.db in ("postgresql", "both"):
        spec = corpus.CorpusSpec(args.pg_pages or args.pages, args.busy_revisions)
        seconds = corpus.postgresql_corpus(spec, args.pg_url, args.cache_dir, memo)
        wikis.append((f"PostgreSQL {spec.pages:,} pages", args.pg_url, spec))
        report["loads"][wikis[-1][0]] = seconds or corpus.cached_seconds(spec, args.cache_dir, args.pg_url)
    for label, seconds in report["loads"].items():
        # corpus.load: the ordinary pages through bulkpages (as import-markdown), the history
        # pages revision by revision through save_page.
        print(f"corpus {label}: loaded in {seconds or 0:.0f} s (pages in bulk, history pages saved one by one)")

    # Each scenario's ratio is to the ceiling measured again right before it (for half the
    # duration), since on this shared machine the speed of the same code drifted by a third
    # within one run (2026-12-01: 1,827 and 1,329 req/s ten minutes apart).
    report["ceilings"] = {}
    for label, url, spec in wikis:
        ceiling, bare = measure_ceiling(args, keep=True)
        report["ceiling"] = report["ceilings"][label] = ceiling
        print(f"\n{label}:", flush=True)
        try:
            report["wikis"][label] = measure_wiki(
                label, url, spec, args,
                lambda: wrk(bare.base + "/", max(2, int(args.duration) // 2), args.connections)["rps"])
        finally:
            bare.stop()
        report["load during"] = subprocess.run("uptime", capture_output=True, text=True).stdout.strip()
        print(f"  load: {report['load during']}", flush=True)

    report["machine"]["load after"] = subprocess.run("uptime", capture_output=True, text=True).stdout.strip()
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print_table(report)
    print(f"\nFull results: {args.out}")


def print_table(report: dict) -> None:
    print("\n| scenario | " + " | ".join(report["wikis"]) + " |")
    print("|---|" + "---|" * len(report["wikis"]))
    print("| bare Flask ceiling (at the start; each ratio is to one measured just before it) | " + " | ".join(
        f"{c['rps']:.0f} req/s, p50 {c['p50_ms']} / p99 {c['p99_ms']} ms" for c in report["ceilings"].values()) + " |")
    names = list(dict.fromkeys(n for w in report["wikis"].values() for n in w
                               if n not in ("worker RSS MB", "long history")))
    for name in names:
        cells = []
        for wiki in report["wikis"].values():
            f = wiki.get(name)
            if not f:
                cells.append("")
                continue
            unit = "saves/s" if name.startswith("save") else "req/s"
            ratio = f" (×{f['ratio']:.2f})" if f.get("ratio") is not None else ""
            cells.append(f"{f['rps']:.0f} {unit}{ratio}, p50 {f['p50_ms']} / p99 {f['p99_ms']} ms")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("| worker RSS after the run | " + " | ".join(
        ", ".join(f"{x} MB" for x in w["worker RSS MB"]) for w in report["wikis"].values()) + " |")


if __name__ == "__main__":
    main()
