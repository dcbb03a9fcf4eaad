"""Recent changes, contributions, Atom feeds. Thin: parse the request, call a service, render."""
from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_login import current_user

from wiki.web import hosts
from wiki.web.common import wiki_url
from wiki.web.lookup import int_arg, live_page
from wiki.services import changes, path_progress
from wiki.services import pages as page_service
from wiki.services import users
from wiki.services.changes import ChangeFilter

bp = Blueprint("changes", __name__)

FEED_SIZE = 50


def _filters(user=None, comments: bool | None = None) -> ChangeFilter:
    prefix = request.args.get("prefix", "")[:255]
    if comments is None:  # recent changes: comments when asked for (issue 16)
        comments = request.args.get("comments") == "1"
    return ChangeFilter(hide_minor=request.args.get("hideminor") == "1", user=user, prefix=prefix,
                        comments=comments)


def _page_urls(number: int, more: bool) -> dict:
    """Links to the newer and older pages of the same listing, filters kept."""
    def url(n):
        return url_for(request.endpoint, **request.view_args, **{**request.args.to_dict(), "page": n})

    return {"page_number": number, "newer_url": url(number - 1) if number > 1 else None,
            "older_url": url(number + 1) if more else None}


def _user_or_404(name: str):
    user = users.find_user(name) if len(name) <= 64 else None
    if user is None:
        abort(404, description=f"There is no user called “{name}”.")
    return user


@bp.get("/-/recent")
def recent():
    name = request.args.get("user", "").strip()
    user = _user_or_404(name) if name else None
    number = int_arg("page", 1) or 1
    rows, more = changes.recent_changes(_filters(user), number, current_app.config["HISTORY_PAGE_SIZE"], events=True)
    return render_template("changes/recent.html", rows=rows, filters=_filters(user), username=name,
                           **_page_urls(number, more))


@bp.get("/-/user/<name>")
def contributions(name):
    user = _user_or_404(name)
    number = int_arg("page", 1) or 1
    filters = _filters(user, comments=request.args.get("comments") != "0")  # their comments too, unless hidden
    rows, more = changes.recent_changes(filters, number, current_app.config["HISTORY_PAGE_SIZE"], events=True)
    # Issue 20: their learning-path progress, for themselves, or for all if they made it public
    public = path_progress.progress_public(user.id)
    mine = current_user.is_authenticated and current_user.id == user.id
    progress = path_progress.learner_progress(user.id) if mine or public else None
    return render_template("changes/contributions.html", user=user, rows=rows, filters=filters,
                           path_progress=progress, progress_public=public, **_page_urls(number, more))


def _atom(title: str, alternate_path: str, rows) -> Response:
    """A feed whose URLs name the configured host, or none at all (wiki.web.hosts): never the
    one the request sent."""
    self_path = request.script_root + request.full_path.rstrip("?")
    body = render_template("changes/atom.xml", feed_title=title, feed_id=hosts.atom_id(self_path),
                           self_url=hosts.absolute_or_path(self_path),
                           alternate_url=hosts.absolute_or_path(alternate_path), rows=rows)
    return Response(body, mimetype="application/atom+xml")


@bp.get("/-/recent.atom")
def recent_feed():
    # the feed carries comments unless ?comments=0 (a feed reader cannot tick a box)
    rows, _ = changes.recent_changes(_filters(comments=request.args.get("comments") != "0"), 1, FEED_SIZE)
    return _atom(f"{current_app.config['SITE_NAME']}: recent changes", url_for("changes.recent"), rows)


@bp.get("/wiki/<path:title>/-/history.atom")
def page_feed(title):
    page, response = live_page(title, "changes.page_feed")
    if response:
        return response
    revisions, _total = page_service.history(page, 1, FEED_SIZE)
    for revision in revisions:
        revision.page = page  # already loaded: no query per entry
    rows = sorted([*revisions, *changes.comments(limit=FEED_SIZE, page_id=page.id)],  # issue 16: its discussion
                  key=lambda row: row.created_at, reverse=True)[:FEED_SIZE]
    return _atom(f"{page.title}: history", wiki_url("pages.view", page.title), rows)
