"""Serving an uploaded image against serving a static file of about the same size, under gunicorn.

Usage (from the repository root):

    .venv/bin/python -m bench.files [--requests 2000] [--workers 2]

Builds a wiki on SQLite in a temporary folder with one page and one image (random pixels,
so its PNG is about the size of static/css/nexus.css), once with FILES_STORAGE=filesystem
and once with database, starts gunicorn (sync workers) and sends sequential GETs over one
keep-alive connection (Python's http.client: the client costs the same for every URL).
Reports requests per second and median / p99 latency for: the static stylesheet, the
image's current URL, its immutable version URL, and a revalidation answered 304.
"""
import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def noise_png(side: int) -> bytes:
    import io

    from PIL import Image

    rng = random.Random(14)
    image = Image.frombytes("RGB", (side, side), bytes(rng.randrange(256) for _ in range(side * side * 3)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def build(folder: Path, storage: str) -> dict:
    """A migrated wiki with the page "Gallery" and its image "noise.png"; the env to serve it."""
    env = {"NEXUS_SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/wiki.db", "NEXUS_SECRET_KEY": "bench",
           "NEXUS_FILES_STORAGE": storage, "NEXUS_FILES_DIR": str(folder / "files"),
           "NEXUS_JOBS_QUEUE_URL": "immediate", "NEXUS_JOBS_WORKER_THREADS": "0",
           "NEXUS_STARTER_CONTENT": "false", "NEXUS_RATELIMIT_ENABLED": "false", "NEXUS_REQUEST_LOG_LEVEL": "WARNING"}
    script = (
        "from flask_migrate import upgrade\n"
        "from wiki import create_app\n"
        "from bench.files import noise_png\n"
        "from wiki.services import files, users, pages\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    upgrade()\n"
        "    user = users.create_user('bench', 'correct horse battery', role='editor')\n"
        "    pages.save_page('Gallery', '![noise](files/noise.png)', '', user, base_revision=0)\n"
        "    page = pages.find_page('Gallery')\n"
        "    result = files.upload(page, 'noise.png', noise_png(74), user, max_bytes=10**7, quota=0)\n"
        "    version = files.current_version(files.find_file(page, 'noise.png'))\n"
        "    print(version.sha256, version.size)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={**os.environ, **env}, check=True,
                         capture_output=True, text=True).stdout.split()
    return {"env": env, "sha256": out[-2], "size": int(out[-1])}


def measure(port: int, path: str, count: int, headers: dict | None = None) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    times, size, status = [], 0, 0
    for i in range(count + 50):
        started = time.perf_counter()
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        if i >= 50:  # the first ones warm the workers up
            times.append(time.perf_counter() - started)
        size, status = len(body), response.status
    conn.close()
    times.sort()
    return {"rps": len(times) / sum(times), "p50_ms": statistics.median(times) * 1000,
            "p99_ms": times[int(len(times) * 0.99) - 1] * 1000, "bytes": size, "status": status}


def serve(env: dict, workers: int):
    port = free_port()
    proc = subprocess.Popen([str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                             "--worker-class", "sync", "--log-level", "warning", "wsgi:app"],
                            cwd=ROOT, env={**os.environ, **env})
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rows = []
    for storage in ("filesystem", "database"):
        folder = Path(tempfile.mkdtemp(prefix=f"nexus-bench-files-{storage}-"))
        wiki = build(folder, storage)
        proc, port = serve(wiki["env"], args.workers)
        try:
            base = "/wiki/Gallery/-/files/noise.png"
            cases = [("static file (/static/css/nexus.css)", "/static/css/nexus.css", None),
                     ("image, current URL", base, None),
                     ("image, version URL (immutable)", f"{base}/{wiki['sha256'][:16]}", None),
                     ("image, revalidated (304)", base, {"If-None-Match": f'"{wiki["sha256"]}"'})]
            for label, path, headers in cases:
                if storage == "database" and path.startswith("/static"):
                    continue
                result = measure(port, path, args.requests, headers)
                rows.append((storage, label, result))
        finally:
            proc.terminate()
            proc.wait()
    print(f"{'storage':<11} {'what':<38} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'bytes':>7} status")
    for storage, label, r in rows:
        print(f"{storage:<11} {label:<38} {r['rps']:7.0f} {r['p50_ms']:7.2f} {r['p99_ms']:7.2f} {r['bytes']:7d} {r['status']}")


if __name__ == "__main__":
    main()
