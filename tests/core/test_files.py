"""Pure file rules: type from content, names, SVG decisions, image re-encoding, relative file links."""
import io

import pytest
from PIL import Image

from tests.files_support import HTML_AS_PNG, SVG_CLEAN, SVG_ONLOAD, SVG_WITH_SCRIPT, bomb, gif, gif_js_polyglot, jpeg_with_gps, png
from wiki.core import files
from wiki.core.files import FileRefused, check_name, detect_type, file_name_for_href, prepare


@pytest.mark.parametrize("data, expected", [
    (png(), files.PNG), (jpeg_with_gps(), files.JPEG), (gif(), files.GIF),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", files.WEBP), (b"%PDF-1.7\n", files.PDF),
    ("plain text, ünïcode\n".encode(), files.TEXT), (SVG_CLEAN, files.SVG),
    (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', files.SVG),
    (b"PK\x03\x04\x14\x00", files.BINARY), (b"\xff\xfeh\x00i\x00", files.BINARY), (b"a\x00b", files.BINARY),
    (b"text with a bell \x07", files.BINARY),
])
def test_the_type_comes_from_the_content(data, expected):
    assert detect_type(data) == expected


@pytest.mark.parametrize("name, expected", [
    ("diagram.png", "diagram.png"), ("  spaced name.png ", "spaced name.png"),
    ("Схема.png", "Схема.png"), ("図表 1.PNG", "図表 1.PNG"), ("e\u0301.txt", "\u00e9.txt"),  # NFC
])
def test_good_names(name, expected):
    assert check_name(name) == expected


@pytest.mark.parametrize("name, message", [
    ("", "needs a name"), ("a/b.png", "“/”"), ("a\\b.png", "“/”"), ("..", "“..”"), ("a..b", "“..”"),
    ("tab\there.png", "control"), ("nul\x00.png", "control"), ("evil\u202egnp.exe", "invisible"),
    ("zero\u200bwidth.png", "invisible"), (".hidden", "start with"), ("x" * 201, "at most 200"),
])
def test_bad_names_say_why(name, message):
    with pytest.raises(FileRefused, match=message):
        check_name(name)


def test_a_name_must_not_disagree_with_the_content():
    with pytest.raises(FileRefused, match="named like a PNG image, but its content is a JPEG image"):
        prepare("photo.png", jpeg_with_gps())
    with pytest.raises(FileRefused, match="named like a PDF document, but its content is text"):
        prepare("paper.pdf", b"just text")
    assert prepare("data.csv", b"a,b\n1,2\n").media_type == files.TEXT  # other extensions: the content decides


@pytest.mark.parametrize("data", [HTML_AS_PNG, b"  <html><body>x", b"\xef\xbb\xbf<script>alert(1)</script>",
                                  b"<!-- comment --><p>hi"])
def test_html_is_refused_whatever_its_name(data):
    with pytest.raises(FileRefused, match="HTML files cannot be uploaded"):
        prepare("readme.txt", data)


@pytest.mark.parametrize("data", [SVG_WITH_SCRIPT, SVG_ONLOAD,
                                  b'<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><rect/></a></svg>',
                                  b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div/></foreignObject></svg>',
                                  b'<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg"/>',
                                  b'<svg xmlns="http://www.w3.org/2000/svg"><use href="https://evil.example/x.svg#a"/></svg>'])
def test_active_svg_is_refused(data):
    with pytest.raises(FileRefused, match="SVG contains script"):
        prepare("logo.svg", data)


def test_a_clean_svg_is_kept_as_it_is():
    assert prepare("logo.svg", SVG_CLEAN).data == SVG_CLEAN


def test_images_are_reencoded_without_exif_or_trailing_data():
    source = jpeg_with_gps()
    assert b"SpyCam" in source
    out = prepare("photo.jpg", source)
    assert b"SpyCam" not in out.data and not Image.open(io.BytesIO(out.data)).getexif()
    assert (out.width, out.height) == (64, 48)
    appended = prepare("x.png", png() + b"<script>alert(1)</script>")
    assert b"script" not in appended.data


def test_bombs_polyglots_and_damaged_images_are_refused():
    with pytest.raises(FileRefused, match="8000 × 8000 pixels"):
        prepare("huge.png", bomb())
    with pytest.raises(FileRefused, match="polyglot"):
        prepare("anim.gif", gif_js_polyglot())
    with pytest.raises(FileRefused, match="damaged"):
        prepare("broken.png", png()[:40])


def test_resize_keeps_the_aspect_and_skips_narrow_images():
    wide = prepare("w.png", png(1000, 500)).data
    assert Image.open(io.BytesIO(files.resize(wide, files.PNG, 320))).size == (320, 160)
    assert files.resize(wide, files.PNG, 1280) is None


@pytest.mark.parametrize("href, name", [
    ("files/architecture.png", "architecture.png"), ("files/shot%20one.png", "shot one.png"),
    ("images/x.png", "x.png"), ("../images/x.png?raw=true", "x.png"), ("notebook.ipynb", "notebook.ipynb"),
    ("deck.apkg#frag", "deck.apkg"), ("./solutions/diagram.svg", "diagram.svg"),
    ("Other", None), ("other.md", None), ("guide/README.markdown#intro", None), ("v1.2", None),
    ("/wiki/Page", None), ("/static/x.png", None), ("https://example.org/x.png", None), ("//cdn/x.png", None),
    ("#section", None), ("mailto:a@b.c", None), ("", None), ("folder/", None),
])
def test_which_relative_links_name_files(href, name):
    assert file_name_for_href(href) == name


def test_markdown_for_an_upload():
    assert files.markdown_for("a b.png", files.PNG) == "![a b.png](files/a%20b.png)"
    assert files.markdown_for("paper.pdf", files.PDF) == "[paper.pdf](files/paper.pdf)"
