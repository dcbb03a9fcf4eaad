"""Files attached to pages: what a file is (decided from its bytes), what it may be called,
and how images are made safe. Pure: bytes and strings in, values out.

The rules (docs/architecture.md, *Files*):

- The type comes from the content's magic bytes, never from the name or the Content-Type a
  client sent. PNG, JPEG, GIF, WebP, PDF and plain UTF-8 text are known. Anything else is
  kept as ``application/octet-stream`` and only ever served as a download; HTML (however it
  is named) and SVG containing script are refused.
- A name whose extension is one of the known types' must match the content ("x.png" holding
  HTML is refused, with a message saying what it holds).
- Raster images are decoded and encoded again with Pillow, which drops EXIF (GPS included)
  and anything appended to the picture, under a pixel limit (decompression bombs).
- SVG is never shown inline: it is kept as a file served only as a sandboxed download.
"""
from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_NAME_LENGTH = 200
# Images wider or taller than this many pixels in total are refused before they are decoded.
MAX_PIXELS = 40_000_000
# ?width=N answers only for these widths (made once per image, and kept).
WIDTHS = (160, 320, 640, 1280)

PNG, JPEG, GIF, WEBP = "image/png", "image/jpeg", "image/gif", "image/webp"
PDF, TEXT, SVG, BINARY = "application/pdf", "text/plain", "image/svg+xml", "application/octet-stream"
IMAGES = (PNG, JPEG, GIF, WEBP)
# What each type is called by the extensions that claim it (a name with one of these
# extensions must hold that type).
EXTENSIONS = {
    PNG: ("png",), JPEG: ("jpg", "jpeg"), GIF: ("gif",), WEBP: ("webp",),
    PDF: ("pdf",), TEXT: ("txt",), SVG: ("svg",),
}
LABELS = {PNG: "PNG image", JPEG: "JPEG image", GIF: "GIF image", WEBP: "WebP image", PDF: "PDF document",
          TEXT: "text", SVG: "SVG drawing", BINARY: "binary file"}
# Served inline (shown by the browser); everything else is a download.
INLINE = frozenset(IMAGES + (TEXT,))

# Pillow's own guard, for every decode (resizing included): it warns past this and refuses past twice it.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_PILLOW_FORMATS = {PNG: "PNG", JPEG: "JPEG", GIF: "GIF", WEBP: "WEBP"}


class FileRefused(ValueError):
    """A file or name the wiki does not accept; the message says why, for the uploader."""


@dataclass(frozen=True)
class Prepared:
    """An accepted upload: the bytes to store (re-encoded for images) and what they are."""

    data: bytes
    media_type: str
    width: int | None = None
    height: int | None = None


# --- Names -----------------------------------------------------------------------------------

def check_name(raw: str) -> str:
    """The file name as stored (NFC, trimmed), or FileRefused saying what is wrong with it.

    No path separators, no control or invisible formatting characters (a right-to-left
    override can disguise "gnp.exe"), no "..", at most MAX_NAME_LENGTH characters.
    Any other Unicode is allowed."""
    name = unicodedata.normalize("NFC", raw or "").strip()
    if not name:
        raise FileRefused("The file needs a name.")
    if "/" in name or "\\" in name:
        raise FileRefused("A file name cannot contain “/” or “\\”.")
    if ".." in name:
        raise FileRefused("A file name cannot contain “..”.")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") for c in name):
        raise FileRefused("A file name cannot contain control or invisible characters.")
    if name.startswith("."):
        raise FileRefused("A file name cannot start with “.”.")
    if len(name) > MAX_NAME_LENGTH:
        raise FileRefused(f"A file name can be at most {MAX_NAME_LENGTH} characters long.")
    return name


def name_key(name: str) -> str:
    """Case-insensitive identity of a file name on its page."""
    return unicodedata.normalize("NFC", name).casefold()


def extension(name: str) -> str:
    """The lower-cased extension of a name, without its dot ("" for none)."""
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def basename(filename: str) -> str:
    """The last segment of a client-sent file name ("C:\\x\\a.png" -> "a.png")."""
    return re.split(r"[/\\]", filename or "")[-1]


# --- Types -----------------------------------------------------------------------------------

# The WHATWG sniffing patterns for HTML (plus XML/SVG roots): text that starts like this is
# treated as markup a browser might run, whatever it is named.
_HTML_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?[\t\n\x0c\r ]*<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|"
    rb"style|title|b|body|br|p|!--|\?xml|svg|meta|link|object|embed|img|form|base)[\s>/]",
    re.IGNORECASE,
)
_SVG_ROOT = re.compile(rb"<svg[\s>]", re.IGNORECASE)


def detect_type(data: bytes) -> str:
    """The media type of ``data`` from its first bytes (BINARY when none is recognised)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    if _is_text(data):
        head = data[:4096]
        if _SVG_ROOT.search(head) and re.match(rb"\A(?:\xef\xbb\xbf)?\s*<", head):
            return SVG
        return TEXT
    return BINARY


def looks_like_html(data: bytes) -> bool:
    """True when a browser sniffing this content could take it for HTML."""
    return bool(_HTML_START.match(data[:1024]))


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    controls = sum(1 for c in text[:4096] if ord(c) < 32 and c not in "\t\n\r\x0c")
    return controls == 0


# Anything in an SVG that can run script or load other documents.
_SVG_ACTIVE = re.compile(
    rb"<\s*(?:script|foreignobject|iframe|embed|object|handler|listener)\b|\son[a-z]+\s*=|javascript:|"
    rb"<!doctype|<!entity|xlink:href\s*=\s*[\"'](?!#)|\shref\s*=\s*[\"'](?!#)|<\s*(?:set|animate)\b[^>]*\bhref",
    re.IGNORECASE,
)


def check_svg(data: bytes) -> None:
    """Refuse an SVG that holds script, event handlers, links to other documents or DTDs.

    SVGs are served only as sandboxed downloads, so even an accepted one never runs in the
    wiki's origin; refusing the active ones tells the uploader instead of storing a trap."""
    if _SVG_ACTIVE.search(data):
        raise FileRefused("This SVG contains script, event handlers or links to other documents, "
                          "which the wiki does not accept. Export it without them, or as PNG.")


def _check_name_matches(name: str, media_type: str) -> None:
    ext = extension(name)
    for claimed, extensions in EXTENSIONS.items():
        if ext in extensions and claimed != media_type:
            raise FileRefused(f"“{name}” is named like a {LABELS[claimed]}, but its content is "
                              f"{'a ' if media_type != TEXT else ''}{LABELS[media_type]}. "
                              "Rename it or upload the right file.")


def prepare(name: str, data: bytes) -> Prepared:
    """Decide what an upload is and make it safe to store, or raise FileRefused."""
    if not data:
        raise FileRefused("The file is empty.")
    media_type = detect_type(data)
    if media_type == TEXT and looks_like_html(data):
        raise FileRefused("HTML files cannot be uploaded: a browser would run them as part of the wiki.")
    if media_type == BINARY and looks_like_html(data.lstrip(b"\x00")):
        raise FileRefused("HTML files cannot be uploaded: a browser would run them as part of the wiki.")
    _check_name_matches(name, media_type)
    if media_type == SVG:
        check_svg(data)
    if media_type in IMAGES:
        return reencode(data, media_type)
    return Prepared(data, media_type)


def _check_polyglot(data: bytes, media_type: str) -> None:
    # "GIF89a/*": a GIF whose header also opens a JavaScript comment, the classic GIF/JS polyglot.
    if media_type == GIF and data[6:8] == b"/*":
        raise FileRefused("This GIF is also a script (a GIF/JavaScript polyglot); it was not stored.")


def reencode(data: bytes, media_type: str) -> Prepared:
    """Decode and encode an image again: drops EXIF and trailing data; refuses bombs."""
    _check_polyglot(data, media_type)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # checked just below
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise FileRefused(f"This image is {width} × {height} pixels, more than the "
                                  f"{MAX_PIXELS // 1_000_000} million the wiki accepts.")
            frames = getattr(image, "n_frames", 1)
            if frames > 1 and width * height * frames > MAX_PIXELS * 2:
                raise FileRefused("This animation has too many large frames.")
            image.load()
            out = io.BytesIO()
            fmt = _PILLOW_FORMATS[media_type]
            if frames > 1 and media_type in (GIF, WEBP):
                image.save(out, format=fmt, save_all=True, loop=image.info.get("loop", 0),
                           duration=image.info.get("duration", 100))
            else:
                if media_type == JPEG:
                    image = ImageOps.exif_transpose(image)  # keep photos upright once EXIF is gone
                    if image.mode not in ("RGB", "L", "CMYK"):
                        image = image.convert("RGB")
                    image.save(out, format=fmt, quality=90)
                else:
                    image.save(out, format=fmt)
    except FileRefused:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise FileRefused(f"This image has more than the {MAX_PIXELS // 1_000_000} million pixels "
                          "the wiki accepts.") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as error:
        raise FileRefused(f"This {LABELS[media_type]} is damaged and cannot be read ({error}).") from None
    return Prepared(out.getvalue(), media_type, width, height)


def resize(data: bytes, media_type: str, width: int) -> bytes | None:
    """The image scaled down to ``width`` pixels wide (one frame), or None when it is not wider."""
    image = Image.open(io.BytesIO(data))
    if image.width <= width:
        return None
    height = max(1, round(image.height * width / image.width))
    image.seek(0)
    small = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB").resize(
        (width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    fmt = _PILLOW_FORMATS[media_type]
    if fmt == "JPEG":
        small = small.convert("RGB")
    small.save(out, format=fmt)
    return out.getvalue()


# --- Links to files in page text -------------------------------------------------------------

_MARKDOWN_EXTENSIONS = frozenset({"md", "markdown", "mdown", "mkd"})
_EXT = re.compile(r"[A-Za-z0-9]{1,10}")
_SCHEME = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.\-]*:|[/\\]{2})")


def file_name_for_href(href: str) -> str | None:
    """The page file a relative link names, or None when it is not a link to a file.

    ``files/name`` always names the page's file ``name``. Any other relative path whose last
    segment has an extension other than Markdown's (``images/x.png``, ``notebook.ipynb``)
    names the page's file called like that last segment: such a link never points at a wiki
    page. Absolute paths, other sites, fragments and extension-less paths are not files."""
    import urllib.parse

    href = (href or "").strip()
    if not href or href[0] in "#/\\?" or _SCHEME.match(href):
        return None
    path = re.split(r"[?#]", href, maxsplit=1)[0]
    path = urllib.parse.unquote(path)
    if path.startswith("files/") and path.count("/") == 1 and len(path) > len("files/"):
        return path[len("files/"):]
    last = path.rstrip("/").rsplit("/", 1)[-1] if not path.endswith("/") else ""
    ext = extension(last)
    if not ext or ext in _MARKDOWN_EXTENSIONS or not _EXT.fullmatch(ext) or ext.isdigit():
        return None
    return last


def markdown_for(name: str, media_type: str) -> str:
    """What the editor inserts for an uploaded file: an image, or a link for anything else."""
    import urllib.parse

    target = "files/" + urllib.parse.quote(name)
    label = name.replace("[", "").replace("]", "")
    if media_type in IMAGES:
        return f"![{label}]({target})"
    return f"[{label}]({target})"
