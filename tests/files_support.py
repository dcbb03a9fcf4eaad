"""Sample files for the file tests: real images made with Pillow, and hostile ones."""
import io

from PIL import Image


def png(width=40, height=30, color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def jpeg_with_gps(width=64, height=48) -> bytes:
    image = Image.new("RGB", (width, height), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    gps = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def gif(width=8, height=8) -> bytes:
    out = io.BytesIO()
    Image.new("P", (width, height), 1).save(out, format="GIF")
    return out.getvalue()


def gif_js_polyglot() -> bytes:
    """GIF89a/*...*/=alert(document.domain);// : a GIF that is also JavaScript."""
    body = gif()
    return b"GIF89a/*" + body[8:] + b"*/=alert(document.domain);//"


def bomb() -> bytes:
    """A small PNG that decodes to 8,000 × 8,000 pixels."""
    out = io.BytesIO()
    Image.new("1", (8000, 8000), 0).save(out, format="PNG", optimize=True)
    return out.getvalue()


HTML_AS_PNG = b"<!DOCTYPE html><html><body><script>alert(document.domain)</script></body></html>"
SVG_WITH_SCRIPT = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                   b'<script>alert(document.domain)</script><rect width="10" height="10"/></svg>')
SVG_ONLOAD = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>'
SVG_CLEAN = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/></svg>'
