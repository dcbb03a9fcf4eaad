"""Views over the Link table. Thin: call a service, render."""
from flask import Blueprint, abort, render_template, request, url_for

from wiki.core import linkhealth as link_rules
from wiki.web.lookup import load
from wiki.services import linkhealth, links, tags
from wiki.services.errors import NotFound
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
    tag = _tag_arg()
    window = tags.tagged_titles(tag, *_window_args()) if tag else links.list_titles(*_window_args())
    return render_template("links/pages.html", root=links.page_index(window.titles), window=window, tag=tag,
                           **_window_urls("links.all_pages", window, tag=tag))


def _tag_arg() -> str | None:
    """?tag= of All pages, normalised (issue 20); 400 saying why for a value no tag can be."""
    raw = request.args.get("tag", "")
    if not raw.strip():
        return None
    try:
        return tags.parse_tag(raw)
    except NotFound as error:
        abort(400, description=str(error))


@bp.get("/-/wanted")
def wanted():
    return render_template("links/wanted.html", wanted=links.wanted_pages())


@bp.get("/-/orphans")
def orphans():
    window = links.orphaned_pages(*_window_args())
    return render_template("links/orphans.html", window=window, **_window_urls("links.orphans", window))


@bp.get("/-/links/broken")
def broken():
    """Issue 20: every broken link (missing page, section or file), grouped by page, each with
    its line and the editor at its section; ?kind=, ?prefix= and ?page= narrow it."""
    kind, prefix, number = broken_filters()
    found = linkhealth.screen(kind, prefix, number)
    if number > 1 and not found.groups:
        abort(404, description=f"There is no page {number} of broken links; the list has fewer.")
    args = {key: value for key, value in (("kind", kind), ("prefix", prefix)) if value}
    return render_template(
        "links/broken.html", screen=found, kind=kind or "", prefix=prefix, kinds=link_rules.KINDS,
        labels=link_rules.KIND_LABELS,
        next_url=url_for("links.broken", page=number + 1, **args) if found.has_next else None,
        previous_url=url_for("links.broken", page=number - 1, **args) if number > 1 else None)


def broken_filters() -> tuple[str | None, str, int]:
    """?kind=, ?prefix= and ?page= of the broken-link list; 400 saying why for bad values."""
    try:
        kind = link_rules.parse_kind(request.args.get("kind"))
    except ValueError as error:
        abort(400, description=str(error))
    prefix = request.args.get("prefix", "")
    if len(prefix) > 255:
        abort(400, description="“prefix” is longer than any title (255 characters).")
    if any(ord(c) < 32 for c in prefix):
        abort(400, description="“prefix” may not contain control characters.")
    raw = request.args.get("page", "")
    if raw and (not raw.isdigit() or not 1 <= int(raw[:9]) <= linkhealth.MAX_SCREEN or len(raw) > 9):
        abort(400, description=f"“page” must be a whole number from 1 to {linkhealth.MAX_SCREEN:,}.")
    return kind, prefix, int(raw) if raw else 1


def _window_args() -> tuple[str, str | None, str | None]:
    """?prefix=, ?after= and ?before= of a title list; 400 for values no title key can be."""
    values = [request.args.get(name) for name in ("prefix", "after", "before")]
    for name, value in zip(("prefix", "after", "before"), values):
        if value is not None and len(value) > 255:
            abort(400, description=f"“{name}” is longer than any title (255 characters).")
    return values[0] or "", values[1], values[2]


def _window_urls(endpoint: str, window: links.TitleWindow, tag: str | None = None) -> dict:
    prefix = {"prefix": request.args["prefix"]} if request.args.get("prefix") else {}
    if tag:
        prefix["tag"] = tag
    return {
        "prefix": request.args.get("prefix", ""),
        "next_url": url_for(endpoint, after=window.next_after, **prefix) if window.next_after else None,
        "previous_url": (url_for(endpoint, before=window.previous_before, **prefix)
                         if window.previous_before else None),
        "first_url": url_for(endpoint, **prefix) if request.args.get("after") or request.args.get("before") else None,
        "tagged": {"tag": tag} if tag else {},
    }
