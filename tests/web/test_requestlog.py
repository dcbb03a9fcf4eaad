"""One log line per request on "nexus.request": plain text or JSON, never a password."""
import json
import logging
import re

import pytest

from tests.conftest import PASSWORD, post_form
from wiki import create_app
from wiki.web import access

PLAIN_LINE = re.compile(r"^(?P<method>\S+) (?P<target>\S+) (?P<status>\d{3}) (?P<ms>\d+\.\d)ms user=(?P<user>\S+) ip=(?P<ip>\S+)$")


class Lines(logging.Handler):
    """Keeps every record of the request logger (works with or without pytest's logging plugin)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def messages(self, level=logging.DEBUG):
        return [r.getMessage() for r in self.records if r.levelno >= level]

    def only(self, method, path):
        """The one line logged for ``method path`` (a test request is logged exactly once)."""
        found = [r for r in self.records if r.nexus_request["method"] == method and r.nexus_request["path"] == path]
        assert len(found) == 1, [r.getMessage() for r in self.records]
        return found[0]


@pytest.fixture
def log_lines(app):
    handler = Lines()
    logger = logging.getLogger("nexus.request")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def test_a_page_view_by_a_logged_in_user_is_one_plain_line(editor, client, log_lines):
    client.get("/wiki/Home")  # no such page yet: 404, with an offer to create it
    record = log_lines.only("GET", "/wiki/Home")
    match = PLAIN_LINE.match(record.getMessage())
    assert match, record.getMessage()
    assert match.group("status", "user", "ip") == ("404", "alice", "127.0.0.1")
    assert record.levelno == logging.INFO


def test_a_visitor_is_logged_as_a_dash_with_the_query_string(make_page, client, log_lines):
    make_page("Home", "Welcome")
    client.get("/wiki/Home?action=x")
    message = log_lines.only("GET", "/wiki/Home").getMessage()
    assert re.match(r"^GET /wiki/Home\?action=x 200 \d+\.\dms user=- ip=127\.0\.0\.1$", message), message


def test_logging_in_logs_the_user_but_never_the_password(make_user, client, log_lines):
    make_user("alice")
    response = post_form(client, "/-/login", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 303
    message = log_lines.only("POST", "/-/login").getMessage()
    assert re.match(r"^POST /-/login 303 \d+\.\dms user=alice ip=127\.0\.0\.1$", message), message
    assert not any(PASSWORD in line or "csrf" in line for line in log_lines.messages())


def test_secret_looking_query_values_are_redacted(client, log_lines):
    client.get("/-/search?q=cache&password=hunter2&csrf_token=abc123")
    message = log_lines.only("GET", "/-/search").getMessage()
    assert "q=cache" in message and "password=[redacted]" in message and "csrf_token=[redacted]" in message
    assert "hunter2" not in message and "abc123" not in message


def test_a_path_cannot_forge_a_log_line(client, log_lines):
    client.get("/wiki/Home%0AGET /wiki/Fake 200 1.0ms user=admin ip=1.2.3.4")
    [message] = log_lines.messages()
    assert "\n" not in message and " /wiki/Fake" not in message
    assert message.startswith("GET /wiki/Home%0AGET%20/wiki/Fake%20200%201.0ms%20user=admin%20ip=1.2.3.4 404 "), message


def test_non_ascii_titles_are_logged_readably(client, log_lines):
    client.get("/wiki/Caf%C3%A9")
    assert log_lines.messages()[0].startswith("GET /wiki/Café 404 ")


@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_a_crash_is_logged_as_500_with_its_user(app, make_user, login, client, log_lines, monkeypatch):
    monkeypatch.setitem(access.RULES, "boom", "public")  # every route needs an access rule

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    login(make_user("alice"))
    assert client.get("/boom").status_code == 500
    record = log_lines.only("GET", "/boom")
    assert record.levelno == logging.ERROR
    assert re.match(r"^GET /boom 500 \d+\.\dms user=alice ip=127\.0\.0\.1$", record.getMessage())


@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_an_exception_escaping_the_app_is_still_logged_as_500(app, make_user, login, client, log_lines, monkeypatch):
    """When even the error page fails, the exception reaches the WSGI server (which answers
    500); the request's line, with the user the view had loaded, is written on its way out."""
    from flask_login import current_user

    monkeypatch.setitem(access.RULES, "boom", "public")  # every route needs an access rule

    @app.get("/boom")
    def boom():
        raise RuntimeError(f"boom for {current_user.username}")

    login(make_user("alice"))

    def broken_template(*args, **kwargs):
        raise LookupError("the error page itself is broken")

    monkeypatch.setattr("wiki.web.errors.render_template", broken_template)
    with pytest.raises(LookupError):
        client.get("/boom")
    record = log_lines.only("GET", "/boom")
    assert record.levelno == logging.ERROR
    assert re.match(r"^GET /boom 500 \d+\.\dms user=alice ip=127\.0\.0\.1$", record.getMessage()), record.getMessage()


def _quiet_requests(client):
    with client.get("/static/css/nexus.css") as response:
        assert response.status_code == 200
    assert client.get("/healthz").status_code == 200
    client.get("/-/recent")


def test_static_files_and_health_polls_are_not_logged_at_the_default_level(client, log_lines):
    _quiet_requests(client)
    assert [m.split()[1] for m in log_lines.messages()] == ["/-/recent"]


@pytest.mark.parametrize("app_config", [{"REQUEST_LOG_LEVEL": "DEBUG"}])
def test_static_files_and_health_polls_are_logged_at_debug(client, log_lines):
    _quiet_requests(client)
    assert log_lines.only("GET", "/healthz").levelno == logging.DEBUG
    assert log_lines.only("GET", "/static/css/nexus.css").levelno == logging.DEBUG
    assert log_lines.only("GET", "/-/recent").levelno == logging.INFO


@pytest.mark.parametrize("app_config", [{"LOG_FORMAT": "json"}])
def test_json_format_is_one_object_per_line(editor, client, log_lines):
    client.get("/wiki/Home?x=1")
    line = log_lines.only("GET", "/wiki/Home").getMessage()
    assert "\n" not in line
    entry = json.loads(line)
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", entry.pop("time"))
    assert isinstance(entry.pop("duration_ms"), float)
    assert entry == {
        "level": "INFO", "method": "GET", "path": "/wiki/Home", "query": "x=1",
        "status": 404, "user": "alice", "ip": "127.0.0.1",
    }


@pytest.mark.parametrize("app_config", [{"LOG_FORMAT": "json"}])
def test_json_format_logs_visitors_as_null(client, log_lines):
    client.get("/-/pages")
    entry = json.loads(log_lines.only("GET", "/-/pages").getMessage())
    assert entry["user"] is None and entry["status"] == 200


@pytest.mark.parametrize("setting", [{"LOG_FORMAT": "xml"}, {"REQUEST_LOG_LEVEL": "LOUD"}])
def test_a_misspelt_log_setting_stops_the_app_from_starting(setting):
    with pytest.raises(ValueError):
        create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", **setting})
