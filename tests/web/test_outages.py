"""The database goes away (issue 24), in-process: every request answers the wiki's own 503 page
without a query, every form comes back with what was typed, a save answers success only if it
committed, and the log says it in a few lines.

``Faults`` makes the test app's database unreachable the way a cut proxy does (new
connections refused, pooled ones failing their ping, statements and COMMITs failing), at
once or at a chosen moment of a request. tests/server/test_outages.py does it for real, with
a TCP proxy in front of PostgreSQL and gunicorn."""
import html
import json
import logging
import re
import sqlite3

import psycopg
import pytest
from sqlalchemy import event, select

from tests.conftest import PASSWORD, _base_config, csrf_token
from wiki import create_app
from wiki.extensions import db
from wiki.models import Page, Revision
from wiki.web import access

TEXTAREA = re.compile(r'<textarea[^>]*name="body"[^>]*>\r?\n?(.*?)</textarea>', re.S)


def value_of(page: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    if match is None:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else ""


class Faults:
    """The test app's database, made unreachable on demand."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.dialect = self.engine.dialect
        self.error = psycopg.OperationalError if self.dialect.name == "postgresql" else sqlite3.OperationalError
        self.down = False
        self.refused = 0  # attempts to reach the database while it was down
        self.cut_before = None  # the database goes when a statement starting so is about to run
        self.commit_fault = None  # "lost": lost before committing; "committed": lost after; "after": cut after
        self._ping, self._commit, self._rollback = self.dialect.do_ping, self.dialect.do_commit, self.dialect.do_rollback
        event.listen(self.engine, "do_connect", self._on_connect)
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        self.dialect.do_ping = self._do_ping
        self.dialect.do_commit = self._do_commit
        self.dialect.do_rollback = self._do_rollback

    def cut(self):
        self.down = True

    def restore(self):
        self.down, self.cut_before, self.commit_fault = False, None, None

    def close(self):
        self.restore()
        event.remove(self.engine, "do_connect", self._on_connect)
        event.remove(self.engine, "before_cursor_execute", self._on_execute)
        self.dialect.do_ping, self.dialect.do_commit, self.dialect.do_rollback = self._ping, self._commit, self._rollback

    def _refuse(self, what):
        self.refused += 1
        raise self.error(f"{what}: server closed the connection unexpectedly")

    def _on_connect(self, *_args):
        if self.down:
            self._refuse("connection refused")

    def _on_execute(self, _conn, _cursor, statement, *_args):
        if self.cut_before and statement.lstrip().upper().startswith(self.cut_before):
            self.down = True
        if self.down:
            self._refuse("statement")

    def _do_ping(self, dbapi_connection):
        return False if self.down else self._ping(dbapi_connection)

    def _do_rollback(self, dbapi_connection):
        if self.down:  # the connection is gone: the driver's own error, which SQLAlchemy knows
            getattr(dbapi_connection, "dbapi_connection", dbapi_connection).close()
        self._rollback(dbapi_connection)

    def _do_commit(self, dbapi_connection):
        if self.down:
            self._refuse("commit")
        fault, self.commit_fault = self.commit_fault, None
        if fault == "lost":
            self.down = True
            self._refuse("commit")
        self._commit(dbapi_connection)
        if fault in ("committed", "after"):
            self.down = True
            if fault == "committed":
                self._refuse("commit")


@pytest.fixture
def app_config():
    return {"PROPAGATE_EXCEPTIONS": False}


@pytest.fixture
def faults(app):
    faults = Faults(app)
    yield faults
    faults.close()


def revisions(app, title_key="home"):
    with app.app_context():
        return db.session.execute(
            select(Revision.number, Revision.source).join(Page, Page.id == Revision.page_id)
            .where(Page.title_key == title_key).order_by(Revision.number)).all()


def assert_outage_page(response, faults=None, refused=1):
    """The wiki's own 503: Retry-After, the layout, and no query beyond the one that failed."""
    assert response.status_code == 503, response.get_data(as_text=True)[:2000]
    assert response.headers["Retry-After"] == "5"
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert 'class="site-header"' in page and "/static/css/nexus.css" in page and 'class="site-footer"' in page
    assert "Traceback" not in page and "server closed" not in page
    if faults is not None:
        assert faults.refused == refused, "rendering the outage page tried the database again"
    return page


# --- Every request answers the wiki's own page -------------------------------------------------


READS = ["/wiki/Home", "/wiki/Home/-/history", "/wiki/Home/-/edit", "/-/recent", "/-/recent.atom",
         "/-/search?q=home", "/-/pages", "/wiki/Nowhere", "/no/such/route"]


@pytest.mark.parametrize("url", READS)
def test_a_logged_in_reader_gets_the_wikis_own_503_without_a_query(editor, make_page, client, faults, url):
    make_page("Home", "Welcome home")
    faults.cut()
    page = assert_outage_page(client.get(url), faults)
    assert "The wiki is unavailable for a moment" in page
    assert "cannot reach its database" in page
    assert '<meta http-equiv="refresh" content="5">' in page  # a GET tries again by itself
    assert "Log in" not in page  # the user is unknown, not logged out


@pytest.mark.parametrize("url", [url for url in READS if url not in ("/wiki/Home/-/edit", "/no/such/route")])
def test_a_visitor_gets_the_same_page(make_page, client, faults, url):
    make_page("Home", "Welcome home")
    assert client.get("/wiki/Home").status_code == 200  # cached for visitors: FastPageViews' door
    faults.cut()
    assert "The wiki is unavailable" in assert_outage_page(client.get(url), faults)


def test_an_outage_in_the_middle_of_a_request_still_shows_who_is_logged_in(editor, make_page, client, faults):
    make_page("Home", "Welcome home")
    faults.cut_before = "SELECT PAGES"  # the user is loaded, then the page's look-up fails
    page = assert_outage_page(client.get("/wiki/Home"), faults)
    assert '<span class="whoami">alice</span>' in page and "Log out" in page


def test_a_connection_lost_after_the_answer_was_made_does_not_replace_it(app, editor, make_page, client, faults,
                                                                        all_records):
    """The session's rollback at the end of the request fails: the answer stands (it was a
    500 from gunicorn, with a traceback, before)."""
    make_page("Home", "Welcome home")
    app.after_request_funcs.setdefault(None, []).append(lambda response: faults.cut() or response)
    response = client.get("/wiki/Home/-/history")
    assert response.status_code == 200
    assert not [r for r in all_records if r.exc_info]


def test_json_clients_and_health_checks_get_json(make_page, client, faults):
    make_page("Home", "Welcome home")
    faults.cut()
    response = client.get("/wiki/Home", headers={"Accept": "application/json"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.json == {"status": "error", "code": 503, "unavailable": "database",
                             "message": "The wiki cannot reach its database right now. Nothing is lost: try "
                                        "again in a few seconds."}
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json == {"status": "error", "database": "unreachable"}
    assert response.headers["Retry-After"] == "5"


def test_a_database_that_answers_with_a_mistake_is_still_a_500(app, client, monkeypatch):
    """Only an unreachable database is an outage: a bug in a query keeps its 500 and traceback."""
    monkeypatch.setitem(access.RULES, "bad_query", "public")

    @app.get("/bad-query")
    def bad_query():
        db.session.execute(db.text("SELECT * FROM no_such_table"))

    response = client.get("/bad-query")
    assert response.status_code == 500 and "Something went wrong" in response.get_data(as_text=True)


def test_the_wiki_answers_again_as_soon_as_the_database_does(editor, make_page, client, faults):
    make_page("Home", "Welcome home")
    faults.cut()
    assert client.get("/wiki/Home").status_code == 503
    faults.restore()
    response = client.get("/wiki/Home")
    assert response.status_code == 200 and "Welcome home" in response.get_data(as_text=True)


# --- Every form gives the user's input back ---------------------------------------------------


def test_a_save_posted_during_an_outage_comes_back_in_the_editor_and_saves_once_it_returns(
        app, editor, make_page, client, faults):
    make_page("Home", "Welcome home")
    token = csrf_token(client, "/wiki/Home/-/edit")
    form = {"csrf_token": token, "base_revision": "1", "body": "My precious <text> & more",
            "summary": "a summary I typed", "minor": "y"}
    faults.cut()
    page = assert_outage_page(client.post("/wiki/Home/-/edit", data=form), faults)
    assert html.unescape(TEXTAREA.search(page).group(1)) == "My precious <text> & more"
    assert value_of(page, "summary") == "a summary I typed"
    assert value_of(page, "base_revision") == "1"
    assert re.search(r'<input[^>]*checked[^>]*name="minor"|<input[^>]*name="minor"[^>]*checked', page)
    assert "so nothing was changed" in page and "Your text was not saved; it is still in the form below" in page
    assert "Save changes" in page  # still an edit of the existing page
    faults.restore()
    assert revisions(app) == [(1, "Welcome home")]
    resubmitted = {**form, "csrf_token": value_of(page, "csrf_token")}
    response = client.post("/wiki/Home/-/edit", data=resubmitted)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert revisions(app)[-1] == (2, "My precious <text> & more")


def test_a_database_lost_in_the_middle_of_a_save_saves_nothing_and_keeps_the_text(
        app, editor, make_page, client, faults):
    make_page("Home", "Welcome home")
    token = csrf_token(client, "/wiki/Home/-/edit")
    faults.cut_before = "INSERT INTO REVISIONS"
    page = assert_outage_page(client.post("/wiki/Home/-/edit", data={
        "csrf_token": token, "base_revision": "1", "body": "Half-way text"}), faults)
    assert html.unescape(TEXTAREA.search(page).group(1)) == "Half-way text"
    assert '<span class="whoami">alice</span>' in page  # the user was loaded before
    faults.restore()
    assert revisions(app) == [(1, "Welcome home")]


def test_a_new_page_posted_during_an_outage_comes_back_as_a_new_page(app, editor, client, faults):
    token = csrf_token(client, "/wiki/Fresh/-/edit")
    faults.cut()
    page = assert_outage_page(client.post("/wiki/Fresh/-/edit", data={
        "csrf_token": token, "base_revision": "0", "body": "A brand new page"}), faults)
    assert html.unescape(TEXTAREA.search(page).group(1)) == "A brand new page"
    assert "Create page" in page


def test_a_section_edit_during_an_outage_keeps_the_section(app, editor, make_page, client, faults):
    make_page("Home", "# One\n\nfirst\n\n# Two\n\nsecond\n")
    token = csrf_token(client, "/wiki/Home/-/edit?section=2")
    faults.cut_before = "INSERT INTO REVISIONS"
    page = assert_outage_page(client.post("/wiki/Home/-/edit", data={
        "csrf_token": token, "base_revision": "1", "section": "2", "body": "# Two\n\nchanged second\n"}), faults)
    assert html.unescape(TEXTAREA.search(page).group(1)).replace("\r\n", "\n") == "# Two\n\nchanged second\n"
    assert value_of(page, "section") == "2"
    assert "Editing one section: <strong>Two</strong>" in page
    faults.restore()
    response = client.post("/wiki/Home/-/edit", data={
        "csrf_token": value_of(page, "csrf_token"), "base_revision": "1", "section": "2",
        "body": "# Two\n\nchanged second\n"})
    assert response.status_code == 303
    assert revisions(app)[-1].source == "# One\n\nfirst\n\n# Two\n\nchanged second\n"


def test_the_new_page_form_keeps_its_title(editor, client, faults):
    faults.cut()
    page = assert_outage_page(client.get("/-/new?title=Ideas/Later"), faults)
    assert value_of(page, "title") == "Ideas/Later"


def test_a_rename_during_an_outage_keeps_the_new_title(app, editor, make_page, client, faults):
    make_page("Home", "Welcome home")
    token = csrf_token(client, "/wiki/Home/-/rename")
    faults.cut()
    page = assert_outage_page(client.post("/wiki/Home/-/rename", data={
        "csrf_token": token, "new_title": "Start here", "rewrite_links": "y"}), faults)
    assert value_of(page, "new_title") == "Start here"
    assert re.search(r'<input[^>]*checked[^>]*name="rewrite_links"|<input[^>]*name="rewrite_links"[^>]*checked', page)
    assert "Nothing was renamed" in page
    faults.restore()
    assert revisions(app, "start here") == []


def test_a_delete_during_an_outage_asks_again_and_deletes_nothing(app, editor, make_page, client, faults):
    make_page("Home", "Welcome home")
    token = csrf_token(client, "/wiki/Home/-/delete")
    faults.cut()
    page = assert_outage_page(client.post("/wiki/Home/-/delete", data={"csrf_token": token}), faults)
    assert "Delete page" in page and "was not deleted" in page
    faults.restore()
    with app.app_context():
        assert db.session.scalar(select(Page.deleted).where(Page.title_key == "home")) is False


def test_a_password_change_during_an_outage_never_echoes_a_password(editor, client, faults):
    token = csrf_token(client, "/-/account")
    faults.cut()
    page = assert_outage_page(client.post("/-/account", data={
        "csrf_token": token, "current_password": PASSWORD, "password": "a brand new secret",
        "password_confirm": "a brand new secret"}), faults)
    assert "Change your password" in page and "Your password was not changed" in page
    assert PASSWORD not in page and "a brand new secret" not in page


def test_logging_in_and_registering_during_an_outage_keep_the_name_not_the_password(make_user, client, faults):
    make_user("alice")
    token = csrf_token(client, "/-/login")
    faults.cut()
    page = assert_outage_page(client.post("/-/login", data={
        "csrf_token": token, "username": "alice", "password": PASSWORD}), faults)
    assert value_of(page, "username") == "alice" and PASSWORD not in page
    page = assert_outage_page(client.post("/-/register", data={
        "csrf_token": token, "username": "bob", "password": PASSWORD, "password_confirm": PASSWORD}),
        faults, refused=2)
    assert value_of(page, "username") == "bob" and PASSWORD not in page and "No account was created" in page


# --- Every answer tells the truth --------------------------------------------------------------


def test_a_committed_save_is_reported_as_saved_even_if_the_database_goes_right_after(
        app, editor, make_page, client, faults):
    make_page("Home", "Welcome home")
    token = csrf_token(client, "/wiki/Home/-/edit")
    faults.commit_fault = "after"  # COMMIT succeeds, then nothing answers
    response = client.post("/wiki/Home/-/edit", data={"csrf_token": token, "base_revision": "1", "body": "Saved!"})
    assert response.status_code == 303 and response.headers["Location"] == "/wiki/Home"
    faults.restore()
    assert revisions(app)[-1] == (2, "Saved!")
    assert "Saved revision 2." in client.get("/wiki/Home").get_data(as_text=True)


def test_a_committed_section_save_and_a_merged_save_too(app, editor, make_user, make_page, client, faults):
    bob = make_user("bob")
    make_page("Home", "# One\n\nfirst\n\n# Two\n\nsecond\n")
    make_page("Home", "# One\n\nfirst, by bob\n\n# Two\n\nsecond\n", author=bob)
    token = csrf_token(client, "/wiki/Home/-/edit")
    faults.commit_fault = "after"
    response = client.post("/wiki/Home/-/edit", data={  # based on revision 1: merged with bob's
        "csrf_token": token, "base_revision": "1", "section": "2", "body": "# Two\n\nsecond, by alice\n"})
    assert response.status_code == 303 and response.headers["Location"] == "/wiki/Home#two"
    faults.restore()
    assert revisions(app)[-1].source == "# One\n\nfirst, by bob\n\n# Two\n\nsecond, by alice\n"
    assert "While you were editing, bob saved revision 2" in client.get("/wiki/Home").get_data(as_text=True)


def test_committed_renames_deletes_and_restores_are_reported_as_done(app, editor, make_user, make_page, client,
                                                                     faults, login):
    make_page("Home", "Welcome home")
    token = csrf_token(client, "/wiki/Home/-/rename")
    faults.commit_fault = "after"
    response = client.post("/wiki/Home/-/rename", data={"csrf_token": token, "new_title": "Start"})
    assert response.status_code == 303 and response.headers["Location"] == "/wiki/Start"
    faults.restore()
    faults.commit_fault = "after"
    response = client.post("/wiki/Start/-/delete", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/wiki/Start"
    faults.restore()
    make_user("root", role="admin")
    login("root")
    token = csrf_token(client, "/wiki/Start")
    faults.commit_fault = "after"
    response = client.post("/wiki/Start/-/restore", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/wiki/Start"
    faults.restore()
    assert "“Start” was restored." in client.get("/wiki/Start").get_data(as_text=True)


def test_a_committed_password_change_keeps_the_session(editor, client, faults):
    token = csrf_token(client, "/-/account")
    faults.commit_fault = "after"
    response = client.post("/-/account", data={"csrf_token": token, "current_password": PASSWORD,
                                               "password": "a brand new secret", "password_confirm": "a brand new secret"})
    assert response.status_code == 303
    faults.restore()
    assert "Your password is changed" in client.get("/-/account").get_data(as_text=True)


@pytest.mark.parametrize("committed", [True, False], ids=["it-committed", "it-did-not"])
def test_a_connection_lost_during_the_commit_says_it_cannot_tell_and_where_to_look(
        app, editor, make_page, client, faults, committed):
    make_page("Home", "Welcome home")
    token = csrf_token(client, "/wiki/Home/-/edit")
    faults.commit_fault = "committed" if committed else "lost"
    page = assert_outage_page(client.post("/wiki/Home/-/edit", data={
        "csrf_token": token, "base_revision": "1", "body": "Did it save?"}), faults)
    assert "cannot tell whether it went through" in page and "nothing was changed" not in page
    assert '<a href="/wiki/Home/-/history"' in page
    assert html.unescape(TEXTAREA.search(page).group(1)) == "Did it save?"
    faults.restore()
    assert revisions(app)[-1] == ((2, "Did it save?") if committed else (1, "Welcome home"))
    # Saving the same text again is safe either way: saved once, or a "no changes" answer.
    response = client.post("/wiki/Home/-/edit", data={
        "csrf_token": value_of(page, "csrf_token"), "base_revision": "1", "body": "Did it save?"})
    assert response.status_code == 303
    assert revisions(app)[-1] == (2, "Did it save?") and len(revisions(app)) == 2


def test_a_rename_whose_commit_is_lost_says_it_cannot_tell(app, editor, make_page, client, faults):
    make_page("Home", "Welcome home")
    token = csrf_token(client, "/wiki/Home/-/rename")
    faults.commit_fault = "lost"
    page = assert_outage_page(client.post("/wiki/Home/-/rename", data={"csrf_token": token, "new_title": "Start"}),
                              faults)
    assert "the rename of “Home” was being saved" in page and value_of(page, "new_title") == "Start"


# --- The log ------------------------------------------------------------------------------------


class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def all_records():
    handler = Records()
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    yield handler.records
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_an_outage_is_a_few_log_lines_without_a_traceback(app, editor, make_page, client, faults, all_records):
    make_page("Home", "Welcome home")
    token = csrf_token(client, "/wiki/Home/-/edit")
    del all_records[:]
    faults.cut()
    for _ in range(60):
        client.get("/wiki/Home")
    client.post("/wiki/Home/-/edit", data={"csrf_token": token, "base_revision": "1", "body": "x"})
    faults.restore()
    assert client.get("/wiki/Home").status_code == 200
    lines = [(r.name, r.levelname, r.getMessage()) for r in all_records if r.levelno >= logging.INFO]
    assert not [r for r in all_records if r.exc_info], "an outage is not a bug: no traceback"
    outage = [line for line in lines if line[0] == "nexus.outage"]
    assert len(outage) == 2, lines
    assert outage[0][1] == "ERROR" and outage[0][2].startswith("database unreachable: ")
    # The driver's own words: the first statement's failure (a connection used a moment ago
    # is not pinged first: DATABASE_PING_AFTER_IDLE), or what closing it then said.
    assert any(words in outage[0][2] for words in ("server closed the connection unexpectedly", "closed database",
                                                   "the connection is closed")), outage[0]
    assert outage[1][1] == "WARNING" and re.match(
        r"database reachable again after \d+\.\d s; 61 request\(s\) were answered 503 meanwhile \(\d+ of them not "
        r"logged one by one\)$", outage[1][2]), outage[1]
    failed = [line for line in lines if line[0] == "nexus.request" and " 503 " in line[2]]
    assert 10 <= len(failed) <= 13, failed  # a burst, then at most one a second
    assert all(line[2].endswith("unavailable=database") or " unavailable=database similar=" in line[2]
               for line in failed), failed
    assert len(lines) <= len(failed) + 3  # and the save's line and the page view after


def test_in_json_the_lines_name_the_component(tmp_path, all_records):
    app = create_app({**_base_config("sqlite:////nonexistent-directory/nexus/wiki.db"), "LOG_FORMAT": "json",
                      "PROPAGATE_EXCEPTIONS": False})
    app.instance_path = str(tmp_path)
    assert app.test_client().get("/wiki/Home").status_code == 503
    lines = {r.name: json.loads(r.getMessage()) for r in all_records if r.name.startswith("nexus.")}
    assert lines["nexus.request"]["unavailable"] == "database" and lines["nexus.request"]["status"] == 503
    assert lines["nexus.outage"]["event"] == "unreachable" and lines["nexus.outage"]["component"] == "database"
    assert lines["nexus.outage"]["reason"] == "unable to open database file"


def test_the_user_is_logged_by_name_when_known(editor, make_page, client, faults, all_records):
    make_page("Home", "Welcome home")
    faults.cut_before = "SELECT PAGES"
    client.get("/wiki/Home")
    line = next(r.getMessage() for r in all_records if r.name == "nexus.request")
    assert " 503 " in line and "user=alice" in line and line.endswith("unavailable=database")


def test_every_failed_write_keeps_its_own_line_in_a_flood_of_reads(editor, make_page, client, faults, all_records):
    make_page("Home", "Welcome home")
    token = csrf_token(client, "/wiki/Home/-/edit")
    faults.cut()
    for n in range(40):
        client.get("/wiki/Home")
        if n % 10 == 9:
            client.post("/wiki/Home/-/edit", data={"csrf_token": token, "base_revision": "1", "body": f"save {n}"})
    posts = [r.getMessage() for r in all_records if r.name == "nexus.request" and "POST" in r.getMessage()]
    assert len(posts) == 4 and all(line.endswith("unavailable=database") for line in posts), posts
