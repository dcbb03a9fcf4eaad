"""GET /-/diagram-frame: where static/js/diagrams.js has Mermaid draw a page's diagrams.

Mermaid writes inline <style> elements and style attributes while it draws, which the wiki's
Content-Security-Policy (style-src 'self') refuses. So it runs here, in a frame the page
embeds with sandbox="allow-scripts" (an opaque origin: no cookies, no access to the page),
whose own policy allows inline styles and nothing else more: scripts are still only ours.
The frame sends back SVG text; the page strips anything active from it and applies its
styles through the CSSOM (constructed style sheets, element.style), which style-src does not
govern, so the wiki's own pages keep style-src 'self'. SECURITY.md explains the trade-off.
"""
from flask import Blueprint, make_response, render_template

bp = Blueprint("diagrams", __name__)

FRAME_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",  # Mermaid's own styles, in this frame only
    "img-src 'self' data:",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'self'",
])


@bp.get("/-/diagram-frame")
def frame():
    """The renderer frame: Mermaid and the script that answers the page's messages."""
    response = make_response(render_template("diagrams/frame.html"))
    response.headers["Content-Security-Policy"] = FRAME_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
