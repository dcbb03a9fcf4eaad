"""The database goes away (issue 24), in-process: a save answers success only if it committed.

``Faults`` makes the test app's database unreachable the way a cut proxy does (new
connections refused, pooled ones failing their ping, statements and COMMITs failing), at
once or at a chosen moment of a request. tests/server/test_outages.py does it for real, with
a TCP proxy in front of PostgreSQL and gunicorn."""
import sqlite3

import psycopg
import pytest
from sqlalchemy import event, select

from tests.conftest import PASSWORD, csrf_token
from wiki.extensions import db
from wiki.models import Page, Revision


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
        self._ping, self._commit = self.dialect.do_ping, self.dialect.do_commit
        event.listen(self.engine, "do_connect", self._on_connect)
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        self.dialect.do_ping = self._do_ping
        self.dialect.do_commit = self._do_commit

    def cut(self):
        self.down = True

    def restore(self):
        self.down, self.cut_before, self.commit_fault = False, None, None

    def close(self):
        self.restore()
        event.remove(self.engine, "do_connect", self._on_connect)
        event.remove(self.engine, "before_cursor_execute", self._on_execute)
        self.dialect.do_ping, self.dialect.do_commit = self._ping, self._commit

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
