"""History views. Thin: parse the request, call a service, render."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import Regexp

from wiki.web import caching
from wiki.web.lookup import int_arg, live_page
from wiki.services import blame as blame_service
from wiki.services import pages as page_service
from wiki.services import review
from wiki.services.errors import StaleRevision
from wiki.core.diff.textdiff import diff_texts
from wiki.web.common import wiki_url

bp = Blueprint("history", __name__)


class RevertForm(FlaskForm):
    """One-click revert: a CSRF token and the revision the user saw as current."""

    base_revision = HiddenField(validators=[Regexp(r"^\d{1,9}$")])


@bp.get("/wiki/<path:title>/-/history")
def history(title):
    page, response = live_page(title, "history.history")
    if response:
        return response
    per_page = current_app.config["HISTORY_PAGE_SIZE"]
    number = int_arg("page", 1) or 1
    revisions, total = page_service.history(page, number, per_page)
    pages = max(1, -(-total // per_page))
    if number > pages:
        abort(404, description=f"The history of “{page.title}” has only {pages} page(s).")
    return render_template(
        "history/history.html", page=page, revisions=revisions, total=total,
        page_number=number, pages=pages, events=review.events(page.id) if number == 1 else [],
    )


@bp.get("/wiki/<path:title>/-/revisions/<int:number>")
def revision(title, number):
    page, response = live_page(title, "history.revision", number=number)
    if response:
        return response
    revision = page_service.get_revision(page, number)
    if (unchanged := caching.not_modified("revision", page, revision)) is not None:
        return unchanged
    # No form object: the template's revert button (shown to editors only) carries its own
    # CSRF token, and building one here gave every anonymous reader a session cookie.
    return render_template("history/revision.html", page=page, revision=revision)


@bp.get("/wiki/<path:title>/-/diff")
def diff(title):
    page, response = live_page(title, "history.diff")
    if response:
        return response
    current = page.current_revision.number
    to_number = int_arg("to", current)
    from_number = int_arg("from", max(to_number - 1, 0))
    new = page_service.get_revision(page, to_number)
    old = page_service.get_revision(page, from_number) if from_number else None
    view = "inline" if request.args.get("view") == "inline" else "side"
    result = diff_texts(old.source if old else "", new.source)
    return render_template(
        "history/diff.html", page=page, old=old, new=new, diff=result, view=view,
    )


@bp.get("/wiki/<path:title>/-/blame")
def blame(title):
    page, response = live_page(title, "history.blame")
    if response:
        return response
    return render_template("history/blame.html", page=page, rows=blame_service.blame_page(page))


@bp.post("/wiki/<path:title>/-/revert/<int:number>")
def revert(title, number):
    page, _ = live_page(title, "history.revert", number=number)
    form = RevertForm()
    if not form.validate():
        abort(400, description="The revert form is damaged; reload the page and try again.")
    title = page.title  # read now: a failed attempt rolls back, and reading it again would query
    try:
        result = page_service.revert_page(page, number, current_user, int(form.base_revision.data))
    except StaleRevision as error:
        flash(f"{error} Nothing was reverted; check the history and try again.", "error")
        return redirect(wiki_url("history.history", title), code=303)
    if result.created:  # values read before the commit: nothing can fail once it is saved
        flash(f"Reverted to revision {number}: saved as revision {result.number}.", "success")
    else:
        flash(f"Revision {number} has the same text as the current revision; nothing to revert.", "info")
    return redirect(wiki_url("pages.view", result.title), code=303)
