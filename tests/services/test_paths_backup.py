"""Learning paths in backups (issue 20): export and import carry learners' progress, followed
paths and the public preference (the paths are in the sources); a bad paths.json is refused."""
import json

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.services.test_backup import other_app  # noqa: F401 (a fixture)
from wiki.core.backupformat import InvalidExport
from wiki.core.backuppaths import PATHS_FILE
from wiki.extensions import db
from wiki.models import Page, PathFollow, PathProgress, User
from wiki.services import path_progress, backup, paths, users
from wiki.services import pages as page_service


def build() -> None:
    alice = users.create_user("alice", PASSWORD)
    users.create_user("bob", PASSWORD)
    db.session.commit()
    for title in ("REST", "Databases", "Caching"):
        page_service.save_page(title, f"About {title}.\n\n## Indexes\n\nText.\n", "", alice, None)
    page_service.save_page("Backend", "```path\n- [[REST]] — start\n- [[Databases#Indexes]]\n- [[Caching]]\n```\n",
                           "", alice, None)
    path = page_service.get_page("Backend")
    alice = users.find_user("alice")
    path_progress.mark(alice, path, page_service.get_page("REST").id, "", True)
    path_progress.mark(users.find_user("alice"), page_service.get_page("Backend"), page_service.get_page("Databases").id,
               "Indexes", True)
    path_progress.set_progress_public(users.find_user("alice"), True)


def state():
    user = users.find_user("alice")
    backend = page_service.get_page("Backend")
    view = paths.path_view(backend, user.id)
    rows = sorted(db.session.execute(
        select(User.username, Page.title, PathProgress.section).select_from(PathProgress).join(User, User.id == PathProgress.user_id)
        .join(Page, Page.id == PathProgress.page_id)).all())
    follows = sorted(db.session.execute(select(User.username, Page.title).select_from(PathFollow).join(User, User.id == PathFollow.user_id)
                                        .join(Page, Page.id == PathFollow.path_page_id)).all())
    return (view.count, view.done, [s.label for s in view.steps], rows, follows, path_progress.progress_public(user.id),
            path_progress.progress_public(users.find_user("bob").id))


def test_progress_round_trips(app, other_app, tmp_path):  # noqa: F811
    with app.app_context():
        build()
        before = state()
        backup.export_wiki(tmp_path / "e")
    assert before[:2] == (3, 2) and before[5] is True and before[6] is False
    assert (tmp_path / "e" / PATHS_FILE).exists()
    with other_app.app_context():
        backup.import_wiki(tmp_path / "e")
        assert state() == before


def test_no_progress_no_file(app, tmp_path):
    with app.app_context():
        users.create_user("alice", PASSWORD)
        db.session.commit()
        backup.export_wiki(tmp_path / "e")
    assert not (tmp_path / PATHS_FILE).exists() and not (tmp_path / "e" / PATHS_FILE).exists()


@pytest.mark.parametrize("change, problem", [
    (lambda d: d["progress"][0].update(user="nobody"), "user 'nobody' is not among the export's users"),
    (lambda d: d["progress"][0].update(page="Nowhere"), "page 'Nowhere' is not among the export's pages"),
    (lambda d: d["progress"][0].update(done_at="yesterday"), "'done_at' must be an ISO 8601 time"),
    (lambda d: d.update(progress=d["progress"] + d["progress"][:1]), "is listed twice"),
    (lambda d: d.update(public="alice"), "'public' must be a list"),
])
def test_a_bad_paths_file_is_refused_and_nothing_written(app, tmp_path, change, problem):
    with app.app_context():
        build()
        backup.export_wiki(tmp_path / "e")
    from tests.conftest import wipe
    wipe(app)
    data = json.loads((tmp_path / "e" / PATHS_FILE).read_text("utf-8"))
    change(data)
    (tmp_path / "e" / PATHS_FILE).write_text(json.dumps(data), "utf-8")
    with app.app_context():
        with pytest.raises(InvalidExport, match=problem.replace("(", r"\(").replace(")", r"\)")):
            backup.import_wiki(tmp_path / "e")
        assert db.session.scalar(select(Page.id).limit(1)) is None
