"""deploy/: the gunicorn configuration loads the app, a server started with it logs and
reports health as documented, and the operator's files agree with the app's settings."""
import http.client
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path


from tests.conftest import _migrate
from tests.support import free_port
from wiki.config import Defaults

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
GUNICORN = [sys.executable, "-m", "gunicorn"]
# Defaults an operator has no reason to change: security settings of cookies and forms.
NOT_FOR_OPERATORS = {
    "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "REMEMBER_COOKIE_HTTPONLY",
    "REMEMBER_COOKIE_SAMESITE", "WTF_CSRF_TIME_LIMIT",
}
# Settings read by extensions from app.config, documented though wiki/config.py has none.
EXTENSION_SETTINGS = {"RATELIMIT_STORAGE_URI"}


def _env(tmp_path, **extra) -> dict:
    """The environment of a production process, on a database of this test's own."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("NEXUS_", "GUNICORN_"))}
    env.update(NEXUS_SQLALCHEMY_DATABASE_URI="sqlite:///" + str(tmp_path / "wiki.db"), NEXUS_SECRET_KEY="deploy test")
    env.update(extra)
    return env


def test_gunicorn_accepts_the_configuration_and_loads_the_app(tmp_path):
    # Run from elsewhere: the configuration itself must find wsgi.py.
    result = subprocess.run([*GUNICORN, "--check-config", "-c", str(DEPLOY / "gunicorn.conf.py"), "wsgi:app"],
                            cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_gunicorn_refuses_an_app_that_cannot_start(tmp_path):
    """The check is real: a setting the app rejects fails it."""
    result = subprocess.run([*GUNICORN, "--check-config", "-c", str(DEPLOY / "gunicorn.conf.py")],
                            cwd=tmp_path, env=_env(tmp_path, NEXUS_LOG_FORMAT="xml"),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "LOG_FORMAT" in result.stderr


def _get(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def test_a_server_started_from_the_configuration_serves_logs_and_reports_health(tmp_path):
    """As systemd runs it: migrated database, JSON request log on stderr, behind one proxy."""
    env = _env(tmp_path, NEXUS_LOG_FORMAT="json", NEXUS_PROXY_FIX="1", GUNICORN_WORKERS="1")
    _migrate(env["NEXUS_SQLALCHEMY_DATABASE_URI"])
    port = free_port()
    env["GUNICORN_BIND"] = f"127.0.0.1:{port}"
    server = subprocess.Popen([*GUNICORN, "-c", str(DEPLOY / "gunicorn.conf.py")], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = _get(port, "/healthz")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.communicate()
                time.sleep(0.2)
        assert status == 200 and json.loads(body)["migrations"] == "current"
        status, _ = _get(port, "/wiki/Nowhere?x=1", {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
        assert status == 404
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    # One line per request, no gunicorn access log, /healthz quiet at INFO.
    assert [(e["method"], e["path"], e["query"], e["status"], e["ip"], e["user"]) for e in lines] == [
        ("GET", "/wiki/Nowhere", "x=1", 404, "203.0.113.7", None)
    ], stderr
    assert "Traceback" not in stderr


def _env_example_settings() -> set[str]:
    text = (DEPLOY / "nexus.env.example").read_text()
    return set(re.findall(r"^#? ?NEXUS_([A-Z0-9_]+)=", text, re.M))


def test_the_environment_example_documents_every_operator_setting():
    settings = {name for name in vars(Defaults) if name.isupper()}
    missing = sorted(settings - NOT_FOR_OPERATORS - _env_example_settings())
    assert not missing, f"document these in deploy/nexus.env.example (or list them as NOT_FOR_OPERATORS): {missing}"
    for must in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "SESSION_COOKIE_SECURE", "PROXY_FIX", "LOG_FORMAT"):
        assert must in _env_example_settings()


def test_the_environment_example_names_no_setting_that_does_not_exist():
    unknown = _env_example_settings() - {name for name in vars(Defaults) if name.isupper()} - EXTENSION_SETTINGS
    assert not unknown, f"misspelt or removed settings in deploy/nexus.env.example: {sorted(unknown)}"


def test_the_environment_example_is_valid_for_the_app(tmp_path):
    """Its uncommented lines, as systemd would pass them, give a working configuration
    (with this test's database, and a key so that nothing is written to instance/)."""
    values = dict(re.findall(r"^(NEXUS_[A-Z0-9_]+)=(.*)$", (DEPLOY / "nexus.env.example").read_text(), re.M))
    values["NEXUS_SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(tmp_path / "wiki.db")
    code = ("from wiki import create_app; c = create_app().config; "
            "print(c['SESSION_COOKIE_SECURE'], c['PROXY_FIX'], c['LOG_FORMAT'])")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**_env(tmp_path), **values, "NEXUS_SECRET_KEY": "deploy test"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "1", "plain"]


def test_nginx_accepts_exactly_what_the_app_accepts():
    nginx = (DEPLOY / "nginx.conf").read_text()
    size = re.search(r"client_max_body_size (\d+)m;", nginx)
    assert size and int(size.group(1)) * 1024 * 1024 == Defaults.MAX_CONTENT_LENGTH
    assert "server 127.0.0.1:8000" in nginx
    assert re.search(r"location /static/ \{\s*alias /srv/nexus/static/;", nginx)
    for header in ("X-Forwarded-For $proxy_add_x_forwarded_for", "X-Forwarded-Proto $scheme", "X-Forwarded-Host $host"):
        assert f"proxy_set_header {header};" in nginx


def test_the_systemd_unit_migrates_before_serving_and_is_confined():
    unit = {}
    for line in (DEPLOY / "nexus.service").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            unit.setdefault(key, []).append(value)
    assert unit["EnvironmentFile"] == ["/etc/nexus/nexus.env"]
    assert unit["ExecStartPre"] == ["/srv/nexus/.venv/bin/flask --app wsgi db upgrade"]
    assert unit["ExecStart"] == ["/srv/nexus/.venv/bin/gunicorn -c deploy/gunicorn.conf.py"]
    assert unit["User"] == ["nexus"] and unit["NoNewPrivileges"] == ["yes"]
    assert unit["ProtectSystem"] == ["strict"] and unit["ReadWritePaths"] == ["/srv/nexus/instance"]
