"""Schemathesis against the served spec: gunicorn serves the app on this test's database
(SQLite, and PostgreSQL when TEST_DATABASE_URL is set), and the schemathesis CLI runs every
check in every phase (coverage, fuzzing, and the stateful phase that follows the spec's links
create -> get -> update -> history) with a write token made by ``flask create-token``.

It passes only with 0 server errors and 0 responses that break the schema. Examples are kept
few (SCHEMATHESIS_MAX_EXAMPLES, default 25) so that the whole suite stays quick in CI."""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from tests.support import free_port, http_request
from wiki.services import users

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25")


def _environment(app) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("NEXUS_", "GUNICORN_"))}
    env.update(NEXUS_SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], NEXUS_SECRET_KEY="fuzz",
               NEXUS_JOBS_QUEUE_URL="immediate", NEXUS_JOBS_WORKER_THREADS="0", NEXUS_RATELIMIT_ENABLED="false",
               NEXUS_STARTER_CONTENT="false")
    return env


def test_schemathesis_finds_no_server_error_and_no_schema_violation(app, tmp_path):
    with app.app_context():
        users.create_user("fuzzer", "correct horse battery", role="editor")
    env = _environment(app)
    made = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "create-token", "fuzzer",
                           "--scope", "write", "--expires", "1"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    port = free_port()
    log_path = tmp_path / "server.log"  # a file, not a pipe: the request log would fill a pipe and block
    with log_path.open("w") as log_file:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1",
                                   "--threads", "2", "wsgi:app"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=log_file)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response, _ = http_request(port, "GET", "/api/v1/openapi.json", {}, timeout=5)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
        assert response.status == 200
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run",
             f"http://127.0.0.1:{port}/api/v1/openapi.json", "--checks", "all",
             "--phases", "coverage,fuzzing,stateful", "--max-examples", MAX_EXAMPLES, "--workers", "1",
             "--seed", "17", "-H", f"Authorization: Bearer {token}"],
            cwd=tmp_path, capture_output=True, text=True, timeout=900)
    finally:
        server.terminate()
        server.wait(timeout=30)
    log = log_path.read_text()
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert "Traceback" not in log
    statuses = re.findall(r"(GET|POST|PUT) (/api/v1/\S*) (\d{3}) ", log)
    assert not [s for s in statuses if s[2].startswith("5")], "server errors in the log"
    # The stateful phase did reach each step of create -> get -> update -> history.
    assert ("POST", "/api/v1/pages", "201") in statuses
    assert any(m == "GET" and p.startswith("/api/v1/pages/") and "/-/" not in p and s == "200"
               for m, p, s in statuses)
    assert any(m == "PUT" and s == "200" for m, p, s in statuses)
    assert any(m == "GET" and "/-/history" in p and s == "200" for m, p, s in statuses)
