"""Files in backups: export writes the blobs (checksummed), import restores them, into the
other storage backend too; a damaged blob is refused before anything is written."""
import io

import pytest
from PIL import Image

from tests.conftest import _base_config, _migrate, wipe
from tests.files_support import png
from wiki import create_app
from wiki.extensions import db
from wiki.models import File, Page, User
from wiki.services import backup
from wiki.services import files as file_service
from wiki.services import pages as page_service
from wiki.services import users


@pytest.fixture
def app_config():
    return {"FILES_STORAGE": "filesystem"}


@pytest.fixture
def restored_app(tmp_path):
    url = "sqlite:///" + str(tmp_path / "restored.db")
    _migrate(url)
    target = create_app({**_base_config(url), "FILES_STORAGE": "database"})
    target.instance_path = str(tmp_path / "other-instance")
    yield target
    wipe(target)


def _build(app):
    with app.app_context():
        alice = users.create_user("alice", "correct horse battery", role="editor")
        page_service.save_page("Design", "![A](files/a.png) [[File:notes.txt]]", "", alice, base_revision=0)
        page = page_service.find_page("Design")
        file_service.upload(page, "a.png", png(color=(1, 1, 1)), alice, max_bytes=10**7, quota=0)
        page = page_service.find_page("Design")
        file_service.upload(page, "a.png", png(width=60, color=(2, 2, 2)), alice, max_bytes=10**7, quota=0)


def test_export_and_import_carry_files_and_versions(app, restored_app, tmp_path):
    _build(app)
    with app.app_context():
        backup.export_wiki(tmp_path / "export")
    blobs = list((tmp_path / "export" / "files" / "blobs").iterdir())
    assert len(blobs) == 2
    with restored_app.app_context():
        backup.import_wiki(tmp_path / "export")
        page = page_service.find_page("Design")
        [info] = file_service.page_files(page)
        assert [v.number for v in info.versions] == [2, 1]
        assert info.current.uploader.username == "alice"
        assert Image.open(io.BytesIO(file_service.read(info.current))).size == (60, 30)
        assert Image.open(io.BytesIO(file_service.read(info.versions[1]))).size == (40, 30)
        assert '<img alt="A" src="/wiki/Design/-/files/a.png">' in page.current_revision.html
        assert file_service.missing_on_page(page) == ["notes.txt"]
        assert [p.title for p in info.used_by] == ["Design"]


def test_a_damaged_blob_is_refused_and_nothing_is_written(app, restored_app, tmp_path):
    _build(app)
    with app.app_context():
        backup.export_wiki(tmp_path / "export")
    blob = next((tmp_path / "export" / "files" / "blobs").iterdir())
    blob.write_bytes(blob.read_bytes() + b"x")
    with restored_app.app_context():
        with pytest.raises(backup.InvalidInput, match="does not match its checksum"):
            backup.import_wiki(tmp_path / "export")
        assert db.session.scalar(db.select(db.func.count()).select_from(Page)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(File)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0
