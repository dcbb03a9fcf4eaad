"""import-markdown brings the files a folder's Markdown links to: attached, shown, re-runs
idempotent, and every file it cannot bring listed with the reason."""
import os

from tests.files_support import png
from tests.services.test_mdimport import write
from wiki.extensions import db
from wiki.models import FileVersion
from wiki.services import files as file_service
from wiki.services import mdimport, users
from wiki.services import pages as page_service

README = ("# Primer\n\n<p align=\"center\"><img src=\"images/arch.png\"></p>\n\n![Cache](images/cache.png)\n\n"
          "[Notebook](notebooks/demo.ipynb) [deck](deck.apkg) [Solutions](solutions/README.md)\n\n"
          "![other](images/more/arch.png) [out](../secret.png)\n")


def run(app, root):
    with app.app_context():
        user, _ = users.get_or_create_system_user("importer")
        report = mdimport.run_import(mdimport.plan_import(root), user)
        return report


def test_images_and_other_files_are_attached_and_shown(app, client, tmp_path):
    root = write(tmp_path / "primer", {
        "README.md": README, "solutions/README.md": "# Solutions\n",
        "images/arch.png": png(30, 20), "images/cache.png": png(20, 20, (0, 0, 255)),
        "images/more/arch.png": png(10, 10), "notebooks/demo.ipynb": '{"cells": []}',
    })
    (tmp_path / "secret.png").write_bytes(png())
    report = run(app, root)
    assert sorted(report.files) == ["images/arch.png", "images/cache.png", "notebooks/demo.ipynb"]
    problems = {item.path: item.reason for item in report.skipped}
    assert "no such file in the folder" in problems["deck.apkg"]
    assert "also links to images/arch.png" in problems["images/more/arch.png"]
    assert "leaves the imported folder" in problems["README.md → secret.png"]
    html = client.get("/wiki/Home").get_data(as_text=True)
    assert '<img src="/wiki/Home/-/files/arch.png">' in html
    assert '<img alt="Cache" src="/wiki/Home/-/files/cache.png">' in html
    assert 'href="/wiki/Home/-/files/demo.ipynb"' in html
    assert '<a class="missing-file" href="/wiki/Home/-/files?name=deck.apkg#upload" title="missing file: upload it">deck</a>' in html
    assert client.get("/wiki/Home/-/files/cache.png").status_code == 200
    assert "deck.apkg" in client.get("/-/files").get_data(as_text=True).split('id="missing"')[1]

    again = run(app, root)  # nothing changed: no new versions
    assert again.files == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(FileVersion)) == 3


def test_a_symlink_out_of_the_folder_is_not_followed(app, tmp_path):
    outside = tmp_path / "private.png"
    outside.write_bytes(png())
    root = write(tmp_path / "docs", {"README.md": "![x](images/leak.png)\n"})
    (root / "images").mkdir()
    os.symlink(outside, root / "images" / "leak.png")
    report = run(app, root)
    assert report.files == []
    assert "outside the imported folder" in {i.path: i.reason for i in report.skipped}["images/leak.png"]
    with app.app_context():
        assert file_service.page_files(page_service.find_page("Home")) == []
