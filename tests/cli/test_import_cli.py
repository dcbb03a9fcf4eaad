"""flask export / import / set-password / import-markdown / load-starter, as an admin uses them."""
import json

from tests.conftest import PASSWORD, post_form, wipe
from wiki.services import mdimport


def test_export_then_import_into_an_empty_database(app, runner, client, make_user, make_page, tmp_path):
    alice = make_user("alice")
    make_page("Home", "Welcome.", author=alice)
    make_page("Home", "Welcome to [[Other]].", author=alice)
    make_page("Other", "The other page.", author=alice)
    result = runner.invoke(args=["export", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    assert "Exported 2 pages (3 revisions) and 1 users (without password hashes)" in result.output
    assert json.loads((tmp_path / "backup" / "nexus-export.json").read_text())["format"] == "nexus-export"

    refused = runner.invoke(args=["import", str(tmp_path / "backup")])
    assert refused.exit_code == 1
    assert "Nothing was imported. The database is not empty (1 users, 2 pages)" in refused.output

    wipe(app)
    result = runner.invoke(args=["import", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    assert "Imported 2 pages (3 revisions) and 1 users." in result.output
    assert "Rendered 1 old revisions." in result.output
    assert "<p>Welcome.</p>" in client.get("/wiki/Home/-/revisions/1").get_data(as_text=True)
    assert "1 user was exported without a password" in result.output
    assert "Welcome to" in client.get("/wiki/Home").get_data(as_text=True)

    # alice cannot log in until an admin sets a password
    response = post_form(client, "/-/login", {"username": "alice", "password": PASSWORD})
    assert response.status_code != 303
    result = runner.invoke(args=["set-password", "alice"], input="a brand new password\n")
    assert result.exit_code == 0, result.output
    assert "Password of alice set." in result.output
    response = post_form(client, "/-/login", {"username": "alice", "password": "a brand new password"})
    assert response.status_code == 303


def test_export_refuses_a_non_empty_directory(runner, tmp_path):
    (tmp_path / "mine.txt").write_text("keep")
    result = runner.invoke(args=["export", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not an empty directory" in result.output


def test_import_names_the_problem_of_a_corrupted_export(runner, make_user, make_page, app, tmp_path):
    make_page("Home", "Hello.")
    runner.invoke(args=["export", str(tmp_path / "e")])
    wipe(app)
    page_json = next((tmp_path / "e").glob("pages/*/page.json"))
    page_json.write_text("{broken")
    result = runner.invoke(args=["import", str(tmp_path / "e")])
    assert result.exit_code == 1
    assert "Nothing was imported." in result.output and "page.json: not valid JSON" in result.output
    assert "Traceback" not in result.output


def test_set_password_of_an_unknown_user_or_a_weak_password(runner, make_user):
    assert "There is no user called “nobody”" in runner.invoke(args=["set-password", "nobody"], input="x" * 10).output
    make_user("bob")
    result = runner.invoke(args=["set-password", "bob"], input="short\n")
    assert result.exit_code == 1 and "at least 10 characters" in result.output


def _hub(root):
    (root / "concepts").mkdir(parents=True)
    (root / "README.md").write_text("# Hub\n\nSee [caching](concepts/caching.md#eviction).\n")
    (root / "concepts" / "caching.md").write_text("# Caching\n\n## Eviction\n\nLRU.\n")
    return root


def test_import_markdown(runner, client, tmp_path, make_user):
    root = _hub(tmp_path / "notes")
    (root / "bad.md").write_bytes(b"\xff\xfe latin")
    result = runner.invoke(args=["import-markdown", str(root), "--user", "ghost"])
    assert result.exit_code == 1 and "There is no user called “ghost”" in result.output

    make_user("alice")
    result = runner.invoke(args=["import-markdown", str(root), "--user", "alice", "--prefix", "Notes"])
    assert result.exit_code == 0, result.output
    assert "2 pages created, 0 updated, 0 unchanged, 1 skipped." in result.output
    assert "Skipped bad.md: is not UTF-8 text" in result.output
    html = client.get("/wiki/Notes").get_data(as_text=True)
    assert 'href="/wiki/Notes/concepts/caching#eviction"' in html and "missing-section" not in html

    again = runner.invoke(args=["import-markdown", str(root), "--user", "alice", "--prefix", "Notes"])
    assert "0 pages created, 0 updated, 2 unchanged, 1 skipped." in again.output


def test_import_markdown_can_create_an_inactive_account(runner, tmp_path):
    result = runner.invoke(args=["import-markdown", str(_hub(tmp_path / "n")), "--user", "Importer", "--create-user"])
    assert result.exit_code == 0, result.output
    assert "Created the inactive account Importer" in result.output


def test_load_starter(app, runner, client, tmp_path, monkeypatch):
    app.config["STARTER_CONTENT_DIR"] = str(_hub(tmp_path / "hub"))
    first = runner.invoke(args=["load-starter"])
    assert first.exit_code == 0, first.output
    assert "Starter content: 2 pages created" in first.output
    assert "Hub" in client.get("/wiki/Home").get_data(as_text=True)
    second = runner.invoke(args=["load-starter"])
    assert (second.exit_code, second.output) == (0, "")  # quiet when nothing changed

    app.config["STARTER_CONTENT_DIR"] = str(tmp_path / "missing")
    result = runner.invoke(args=["load-starter"])
    assert result.exit_code == 1 and "STARTER_CONTENT_DIR is" in result.output

    app.config["STARTER_CONTENT_DIR"] = None
    monkeypatch.setattr(mdimport, "default_starter_dir", lambda: tmp_path / "absent")
    result = runner.invoke(args=["load-starter"])
    assert result.exit_code == 0 and "No starter content at" in result.output

    app.config["STARTER_CONTENT"] = False
    result = runner.invoke(args=["load-starter"])
    assert result.exit_code == 0 and "starter content is turned off" in result.output


def test_render_history_finishes_an_interrupted_import(app, runner, client, make_page, tmp_path):
    from wiki.services import backup

    make_page("Home", "First *words*.")
    make_page("Home", "Second words.")
    runner.invoke(args=["export", str(tmp_path / "e")])
    wipe(app)
    with app.app_context():
        backup.import_wiki(tmp_path / "e")  # as if stopped before the old revisions were rendered
    assert '<pre class="nexus-unrendered">First *words*.</pre>' in client.get("/wiki/Home/-/revisions/1").get_data(as_text=True)
    result = runner.invoke(args=["render-history"])
    assert result.exit_code == 0 and "Rendered 1 old revisions." in result.output
    assert "<p>First <em>words</em>.</p>" in client.get("/wiki/Home/-/revisions/1").get_data(as_text=True)
    assert runner.invoke(args=["render-history"]).output == ""  # nothing left to do


def test_import_markdown_shows_progress_for_planning_and_writing(runner, tmp_path, make_user):
    make_user("alice")
    result = runner.invoke(args=["import-markdown", str(_hub(tmp_path / "notes")), "--user", "alice"])
    assert result.exit_code == 0, result.output
    # Not a terminal here: one line per step at its end (and every few seconds on the way).
    assert "Planning: 4 of 4 steps (each file is read, then converted)" in result.output
    assert "Importing: 2 of 2 files" in result.output
    assert result.output.index("Planning:") < result.output.index("Importing:") < result.output.index("created")
    assert result.output.count("Planning:") == 1 and result.output.count("Importing:") == 1
