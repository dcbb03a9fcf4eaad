"""Views over the Link table. Thin: call a service, render."""
from flask import Blueprint, render_template

from wiki.web.lookup import load
from wiki.services import links
from wiki.web.common import canonical_redirect

bp = Blueprint("links", __name__)


@bp.get("/wiki/<path:title>/-/backlinks")
def backlinks(title):
    display, page = load(title)
    if (response := canonical_redirect("links.backlinks", title, display)) is not None:
        return response
    # A missing page can be linked to as well: that is what makes it a wanted page.
    return render_template("links/backlinks.html", title=display, page=page, exists=page is not None,
                           backlinks=links.backlinks(display))


@bp.get("/-/pages")
def all_pages():
    return render_template("links/pages.html", root=links.page_index())


@bp.get("/-/wanted")
def wanted():
    return render_template("links/wanted.html", wanted=links.wanted_pages())


@bp.get("/-/orphans")
def orphans():
    return render_template("links/orphans.html", pages=links.orphaned_pages())
