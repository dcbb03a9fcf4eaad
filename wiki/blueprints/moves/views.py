"""Rename, delete and restore. Thin: parse the request, call a service, render."""
from flask import Blueprint, abort, flash, redirect, render_template, request
from flask_login import current_user

from wiki.web import outages

from wiki.blueprints.moves.forms import ConfirmForm, DeleteForm, RenameForm
from wiki.web.lookup import live_page, load
from wiki.services import moves
from wiki.services import pages as page_service
from wiki.services.errors import Conflict, InvalidInput
from wiki.core.titles import InvalidTitle, Title
from wiki.web.common import wiki_url

bp = Blueprint("moves", __name__)


@bp.route("/wiki/<path:title>/-/rename", methods=["GET", "POST"])
def rename(title):
    page, response = live_page(title, "moves.rename")
    form = RenameForm()
    if not form.is_submitted():
        if response:
            return response
        form.new_title.data = page.title
        return render_template("moves/rename.html", page=page, form=form)
    status = 400
    if form.validate():
        try:
            result = moves.rename_page(page, Title.parse(form.new_title.data), current_user,
                                       leave_redirect=form.leave_redirect.data,
                                       rewrite_links=form.rewrite_links.data)
        except InvalidTitle as error:
            form.new_title.errors = [str(error)]
        except InvalidInput as error:  # includes Conflict: the title is taken
            form.new_title.errors = [str(error)]
            status = 409 if isinstance(error, Conflict) else 400
        else:
            notes = [f"Renamed to “{result.title}”."]  # values read before the commit: nothing fails now
            if result.redirect_left:
                notes.append("The old title now redirects here.")
            if result.rewriting:
                notes.append(f"Links to the old title on {result.rewriting} page(s) are being updated.")
            flash(" ".join(notes), "success")
            return redirect(wiki_url("pages.view", result.title), code=303)
    return render_template("moves/rename.html", page=page, form=form), status


@bp.route("/wiki/<path:title>/-/delete", methods=["GET", "POST"])
def delete(title):
    page, response = live_page(title, "moves.delete")
    form = DeleteForm()
    if not form.is_submitted():
        return response or render_template("moves/delete.html", page=page, form=form)
    if not form.validate():
        if form.csrf_token.errors:
            abort(400, description="The form is damaged; reload the page and try again.")
        return render_template("moves/delete.html", page=page, form=form), 400
    title = page.title  # read before the commit, which expires the page
    moves.delete_page(page, current_user._get_current_object(), reason=form.reason.data or "")
    flash(f"“{title}” was deleted. Its history is kept; an administrator can restore it.", "success")
    return redirect(wiki_url("pages.view", title), code=303)


@outages.keeps_input("moves.rename")
def rename_unavailable(problem: outages.Problem):
    """The rename form again, with the new title and choices as posted."""
    if request.method != "POST":
        return None
    page = outages.seen_page((request.view_args or {}).get("title", ""))
    if problem.changed_nothing:
        outages.flash_problem(problem, "Nothing was renamed; the new title is still in the form below.")
    else:
        outages.flash_problem(problem, "The new title is still in the form below.")
    return render_template("moves/rename.html", page=page, form=RenameForm(), outage=problem)


@outages.keeps_input("moves.delete")
def delete_unavailable(problem: outages.Problem):
    """The confirmation again: deleting is one click once the wiki answers."""
    if request.method != "POST":
        return None
    page = outages.seen_page((request.view_args or {}).get("title", ""))
    if problem.changed_nothing:
        outages.flash_problem(problem, f"“{page.title}” was not deleted; confirm again in a few seconds.")
    else:
        outages.flash_problem(problem, "Confirm again only if the page is still there.")
    return render_template("moves/delete.html", page=page, form=DeleteForm(), outage=problem)


@bp.post("/wiki/<path:title>/-/restore")
def restore(title):
    if not ConfirmForm().validate():
        abort(400, description="The form is damaged; reload the page and try again.")
    display, page = load(title)
    deleted = page_service.find_deleted_page(display)
    if deleted is None:
        abort(404, description=f"There is no deleted page called “{display}”.")
    title = deleted.title  # read before the commit, which expires the page
    moves.restore_page(deleted, current_user._get_current_object())
    flash(f"“{title}” was restored.", "success")
    return redirect(wiki_url("pages.view", title), code=303)
