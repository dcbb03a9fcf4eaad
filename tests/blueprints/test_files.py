"""Files over HTTP: the contract of issue 14 (upload, serve, versions, embed, delete and
restore), every bad input answered clearly with nothing stored, and access rules."""
import io
import re

import pytest
from PIL import Image

from tests.conftest import csrf_token
from tests.files_support import (HTML_AS_PNG, SVG_CLEAN, SVG_WITH_SCRIPT, bomb, gif_js_polyglot, jpeg_with_gps,
                                 png)
from wiki.extensions import db
from wiki.models import AuditEvent, Blob, File, FileVariant, FileVersion


@pytest.fixture(params=["filesystem", "database"])
def app_config(request):
    """Both storage backends; a test may add settings with indirect parametrization."""
    if isinstance(request.param, dict):
        return {"RATELIMIT_ENABLED": False, **request.param}
    return {"FILES_STORAGE": request.param, "RATELIMIT_ENABLED": False}


def upload(client, title, data, filename="picture.png", name=None, token=None, json=False):
    token = csrf_token(client, f"/wiki/{title}/-/files") if token is None else token
    form = {"file": (io.BytesIO(data), filename)}
    if name is not None:
        form["name"] = name
    if token:
        form["csrf_token"] = token
    headers = {"Accept": "application/json"} if json else {}
    return client.post(f"/wiki/{title}/-/files", data=form, content_type="multipart/form-data", headers=headers)


def stored(app):
    with app.app_context():
        return (db.session.scalar(db.select(db.func.count()).select_from(File)),
                db.session.scalar(db.select(db.func.count()).select_from(FileVersion)),
                db.session.scalar(db.select(db.func.count()).select_from(Blob)))


@pytest.fixture
def page(make_page, editor):
    make_page("Design", "# Design\n\n![Architecture](files/architecture.png)\n\n[[File:notes.txt]]\n", editor)
    return "Design"


def test_upload_answers_303_and_the_file_is_served_safely(app, client, page):
    response = upload(client, page, png(), "architecture.png")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/wiki/Design/-/files#file-architecture.png")
    served = client.get("/wiki/Design/-/files/architecture.png")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert Image.open(io.BytesIO(served.data)).size == (40, 30)
    etag = served.headers["ETag"]
    assert client.get("/wiki/Design/-/files/architecture.png", headers={"If-None-Match": etag}).status_code == 304
    listing = client.get("/wiki/Design/-/files").get_data(as_text=True)
    assert "architecture.png" in listing and "PNG image" in listing and "alice" in listing
    assert "Used by" in listing and ">Design</a>" in listing


def test_the_page_embeds_the_file_and_a_missing_one_is_a_red_link(client, page):
    html = client.get("/wiki/Design").get_data(as_text=True)
    assert 'class="missing-file" href="/wiki/Design/-/files?name=architecture.png#upload"' in html
    upload(client, page, png(), "architecture.png")
    html = client.get("/wiki/Design").get_data(as_text=True)
    assert '<img alt="Architecture" src="/wiki/Design/-/files/architecture.png">' in html
    assert 'href="/wiki/Design/-/files?name=notes.txt#upload"' in html  # still missing
    missing = client.get("/-/files").get_data(as_text=True)
    assert "notes.txt" in missing.split('id="missing"')[1]
    assert "architecture.png" not in missing.split('id="missing"')[1]


def test_a_new_upload_of_a_name_is_a_new_version_and_old_ones_stay(client, page):
    upload(client, page, png(color=(1, 2, 3)), "architecture.png")
    upload(client, page, png(width=50, color=(9, 9, 9)), "architecture.png")
    listing = client.get("/wiki/Design/-/files").get_data(as_text=True)
    versions = re.findall(r'href="(/wiki/Design/-/files/architecture.png/[0-9a-f]{16})">version (\d)', listing)
    assert [n for _url, n in versions] == ["2", "1"]
    old = client.get(versions[1][0])
    assert Image.open(io.BytesIO(old.data)).size == (40, 30)
    assert "immutable" in old.headers["Cache-Control"]
    current = client.get("/wiki/Design/-/files/architecture.png")
    assert Image.open(io.BytesIO(current.data)).size == (50, 30)
    assert "no-cache" in current.headers["Cache-Control"]


def test_the_same_bytes_twice_make_no_new_version_and_one_blob(app, client, page):
    upload(client, page, png(), "a.png")
    upload(client, page, png(), "a.png")
    upload(client, page, png(), "b.png")  # same bytes, another name: another file, one blob
    assert stored(app) == (2, 2, 1)


def test_json_upload_answers_the_markdown_to_insert(client, page):
    response = upload(client, page, png(), "shot one.png", json=True)
    assert response.status_code == 201
    assert response.json["markdown"] == "![shot one.png](files/shot%20one.png)"
    assert client.get(response.json["url"]).status_code == 200


def test_exif_is_dropped(client, page):
    upload(client, page, jpeg_with_gps(), "photo.jpg")
    served = client.get("/wiki/Design/-/files/photo.jpg").data
    assert b"SpyCam" not in served
    assert not Image.open(io.BytesIO(served)).getexif()


BAD = [
    ("empty", b"", "x.png", None, 400, "The file is empty"),
    ("wrong type", b"\x7fELF\x02\x01\x01" + b"\x00" * 40, "tool.png", None, 400, "named like a PNG image"),
    ("html as png", HTML_AS_PNG, "cat.png", None, 400, "HTML files cannot be uploaded"),
    ("svg with script", SVG_WITH_SCRIPT, "logo.svg", None, 400, "SVG contains script"),
    ("gif/js polyglot", gif_js_polyglot(), "anim.gif", None, 400, "polyglot"),
    ("decompression bomb", bomb(), "huge.png", None, 400, "8000 × 8000 pixels, more than the 40 million"),
    ("dot dot", png(), "x.png", "../../etc/passwd.png", 400, "cannot contain “/”"),
    ("dot dot alone", png(), "x.png", "..png", 400, "cannot contain “..”"),
    ("control characters", png(), "x.png", "bad\x07name.png", 400, "control or invisible"),
    ("right-to-left override", png(), "x.png", "evil\u202egnp.exe", 400, "control or invisible"),
]


@pytest.mark.parametrize("case", BAD, ids=[case[0] for case in BAD])
def test_every_bad_input_is_refused_clearly_and_stores_nothing(app, client, page, case):
    _label, data, filename, name, status, message = case
    response = upload(client, page, data, filename, name=name)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert stored(app) == (0, 0, 0)
    json = upload(client, page, data, filename, name=name, json=True)
    assert json.status_code == status and message in json.json["message"]


def test_oversized_is_413_with_a_message_and_nothing_stored(app, client, page):
    app.config["MAX_FILE_BYTES"] = 100_000
    response = upload(client, page, b"a" * 100_001, "big.txt")
    assert response.status_code == 413
    assert "largest file the wiki accepts is 98 KiB" in response.get_data(as_text=True)
    far = upload(client, page, b"a" * 400_000, "bigger.txt")  # refused before it is read
    assert far.status_code == 413 and "Nothing was stored" in far.get_data(as_text=True)
    assert stored(app) == (0, 0, 0)


def test_unicode_names_are_allowed(client, page):
    assert upload(client, page, png(), "x.png", name="Схема архитектуры 図.png").status_code == 303
    assert client.get("/wiki/Design/-/files/Схема архитектуры 図.png").status_code == 200


def test_svg_and_unknown_binaries_are_only_downloads(client, page):
    upload(client, page, SVG_CLEAN, "logo.svg")
    upload(client, page, b"PK\x03\x04" + b"\x00" * 20, "deck.apkg")
    for name in ("logo.svg", "deck.apkg"):
        served = client.get(f"/wiki/Design/-/files/{name}")
        assert served.headers["Content-Type"] == "application/octet-stream"
        assert served.headers["Content-Disposition"].startswith("attachment;")
        assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_missing_csrf_token_is_refused(app, client, page):
    response = upload(client, page, png(), token="")
    assert response.status_code == 400 and "security token" in response.get_data(as_text=True)
    assert stored(app) == (0, 0, 0)


def test_readers_and_anonymous_visitors_cannot_upload(app, client, make_page, make_user, login):
    make_page("Design", "text")
    token = csrf_token(client, "/-/login")
    anonymous = upload(client, "Design", png(), token=token)
    assert anonymous.status_code == 403
    login(make_user("rita", role="reader"))
    reader = upload(client, "Design", png(), token=csrf_token(client, "/-/login"))
    assert reader.status_code == 403 and "may read but not edit" in reader.get_data(as_text=True)
    assert stored(app) == (0, 0, 0)


def test_protected_pages_files_are_changed_by_admins_only(app, client, make_page, make_user, login):
    make_page("Locked", "text")
    from wiki.models import Page
    with app.app_context():
        db.session.execute(db.update(Page).values(protection="admin"))
        db.session.commit()
    login(make_user("eddie"))
    assert upload(client, "Locked", png(), token=csrf_token(client, "/-/login")).status_code == 403
    login(make_user("ada", role="admin"))
    assert upload(client, "Locked", png()).status_code == 303


def test_delete_by_an_editor_and_restore_by_an_admin_are_audited(app, client, page, make_user, login):
    upload(client, page, png(), "architecture.png")
    token = csrf_token(client, "/wiki/Design/-/files")
    assert client.post("/wiki/Design/-/files/architecture.png/delete", data={"csrf_token": token}).status_code == 303
    assert client.get("/wiki/Design/-/files/architecture.png").status_code == 404
    assert "missing-file" in client.get("/wiki/Design").get_data(as_text=True)
    again = upload(client, page, png(), "architecture.png")
    assert again.status_code == 400 and "administrator can restore it" in again.get_data(as_text=True)
    assert client.post("/wiki/Design/-/files/architecture.png/restore", data={"csrf_token": token}).status_code == 403
    login(make_user("ada", role="admin"))
    token = csrf_token(client, "/wiki/Design/-/files")
    assert client.post("/wiki/Design/-/files/architecture.png/restore", data={"csrf_token": token}).status_code == 303
    assert client.get("/wiki/Design/-/files/architecture.png").status_code == 200
    with app.app_context():
        actions = [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["file_delete", "file_restore"]


def test_resized_widths_are_made_once_and_kept(client, page):
    upload(client, page, png(width=800, height=400), "wide.png")
    small = client.get("/wiki/Design/-/files/wide.png?width=320")
    assert Image.open(io.BytesIO(small.data)).size == (320, 160)
    assert client.get("/wiki/Design/-/files/wide.png?width=321").status_code == 400


@pytest.mark.parametrize("app_config", [{"ANONYMOUS_ACCESS": "none"}], indirect=True)
def test_closed_wiki_hides_files_from_visitors(app, client, make_page, make_user, login):
    make_page("Design", "text")
    login(make_user("alice"))
    upload(client, "Design", png(), "a.png")
    client.post("/-/logout", data={"csrf_token": csrf_token(client, "/wiki/Design")})
    hidden = client.get("/wiki/Design/-/files/a.png")
    assert hidden.status_code == 302 and "/-/login" in hidden.headers["Location"]
    assert client.get("/-/files").status_code == 302


def test_relative_links_to_non_markdown_files_never_point_at_pages(client, make_page, editor):
    make_page("Notes", "[nb](notebook.ipynb) ![d](images/diagram.png) [deck](deck.apkg) [page](Other)", editor)
    make_page("Notes", "[nb](notebook.ipynb) ![d](images/diagram.png) [deck](deck.apkg) [page](Other) v2", editor)
    upload(client, "Notes", png(), "diagram.png")
    html = client.get("/wiki/Notes").get_data(as_text=True)
    assert 'src="/wiki/Notes/-/files/diagram.png"' in html
    assert 'href="/wiki/Notes/-/files?name=notebook.ipynb#upload"' in html
    old = client.get("/wiki/Notes/-/revisions/1").get_data(as_text=True)
    assert 'href="notebook.ipynb"' not in old and "/-/revisions/notebook" not in old
    files = client.get("/wiki/Notes/-/files").get_data(as_text=True)
    assert "deck.apkg" in files.split('id="missing"')[1]


@pytest.mark.parametrize("app_config", [{"FILE_QUOTA_BYTES_PER_USER": 150}], indirect=True)
def test_the_quota_is_per_user_and_says_so(app, client, page):
    assert upload(client, page, png(), "one.png").status_code == 303  # about 100 bytes
    refused = upload(client, page, png(width=41), "two.png")
    assert refused.status_code == 400 and "past your quota" in refused.get_data(as_text=True)
    assert stored(app)[1] == 1


@pytest.mark.parametrize("app_config", [{"FILE_UPLOADS_PER_USER": "2 per minute", "RATELIMIT_ENABLED": True}],
                         indirect=True)
def test_uploads_are_rate_limited_per_user(app, client, page):
    assert upload(client, page, png(width=10), "a.png").status_code == 303
    assert upload(client, page, png(width=11), "b.png").status_code == 303
    limited = upload(client, page, png(width=12), "c.png")
    assert limited.status_code == 429 and "Too many file uploads" in limited.get_data(as_text=True)
    assert "Retry-After" in limited.headers
    assert stored(app)[1] == 2


def test_a_width_not_made_yet_is_not_cached_for_good(app, client, page):
    upload(client, page, png(width=700, height=100), "wide.png")
    listing = client.get("/wiki/Design/-/files").get_data(as_text=True)
    version_url = re.search(r'href="(/wiki/Design/-/files/wide.png/[0-9a-f]{16})"', listing).group(1)
    with app.app_context():
        db.session.execute(db.delete(FileVariant))  # as if the job had not run yet
        db.session.commit()
    pending = client.get(version_url + "?width=320")
    assert "immutable" not in pending.headers["Cache-Control"]
    assert Image.open(io.BytesIO(pending.data)).size == (700, 100)
