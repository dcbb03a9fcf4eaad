"""Learning paths (issue 20): ``/-/paths`` lists them; the POST actions mark a step done or
not done, follow a path, and make one's progress public or private. Every action works
without JavaScript and returns to the page it was sent from (``next``)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from wiki.blueprints.paths.forms import FollowForm, ProgressForm, VisibilityForm
from wiki.services import path_progress, paths
from wiki.services.errors import InvalidInput, NotFound
from wiki.web.common import is_safe_next, wiki_url

bp = Blueprint("paths", __name__)

DAMAGED = "The form is damaged; reload the page and try again."


def _me():
    return current_user._get_current_object()


def _back(default: str):
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else default, code=303)


def _form_errors(form) -> str:
    return " ".join(dict.fromkeys(message for messages in form.errors.values() for message in messages)) or DAMAGED


@bp.get("/-/paths")
def index():
    """Every learning path with its number of steps and the viewer's progress."""
    user_id = current_user.id if current_user.is_authenticated else None
    listing = paths.list_paths(user_id)
    public = path_progress.progress_public(user_id) if user_id is not None else False
    return render_template("paths/index.html", paths=listing, public=public)


def _path_or_error(raw: str):
    try:
        return path_progress.live_path(int(raw))
    except NotFound as missing:
        abort(404, description=str(missing))


@bp.post("/-/paths/progress")
def progress():
    """Mark a step of a path done, or (``done`` = 0) not done any more."""
    form = ProgressForm()
    if not form.validate():
        abort(400, description=_form_errors(form))
    path_page = _path_or_error(form.path.data)
    done = form.done.data == "1"
    name = path_page.title
    try:
        path_progress.mark(_me(), path_page, int(form.page.data), form.section.data or "", done)
    except InvalidInput as invalid:
        abort(400, description=str(invalid))
    flash("Marked as done." if done else "Marked as not done.", "success")
    return _back(wiki_url("pages.view", name))


@bp.post("/-/paths/follow")
def follow():
    """Follow a path: its steps are the ones shown first on pages that are in several paths."""
    form = FollowForm()
    if not form.validate():
        abort(400, description=_form_errors(form))
    path_page = _path_or_error(form.path.data)
    name = path_page.title
    path_progress.follow(_me(), path_page)
    flash(f"You follow “{name}”.", "success")
    return _back(wiki_url("pages.view", name))


@bp.post("/-/paths/visibility")
def visibility():
    """Show one's progress on one's profile (``public`` = 1) or keep it private (0)."""
    form = VisibilityForm()
    if not form.validate():
        abort(400, description=_form_errors(form))
    public = form.public.data == "1"
    path_progress.set_progress_public(_me(), public)
    flash("Your learning-path progress shows on your profile." if public else
          "Your learning-path progress is private: only you see it.", "success")
    return _back(url_for("paths.index"))
