"""Page views: read, edit, raw source. Thin: parse the request, call a service, render."""
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request
from flask_login import current_user

from wiki.pages.forms import EditForm
from wiki.services import pages as page_service
from wiki.services.errors import BodyTooLarge, InvalidInput, StaleRevision
from wiki.titles import InvalidTitle, normalize_title
from wiki.web import can_edit, canonical_redirect, wiki_url

bp = Blueprint("pages", __name__)

HOME = "Home"


@bp.get("/")
def index():
    return redirect(wiki_url("pages.view", HOME))


def load(raw_title: str):
    """(display title, live page or None) for a URL title; 404 for a title no page can have."""
    if "/-/" in f"/{raw_title}/":  # e.g. a GET of a POST-only action such as /-/revert/3
        abort(404, description="There is no such page action.")
    try:
        title = normalize_title(raw_title)
    except InvalidTitle as error:
        abort(404, description=f"No page can have this title: {error}")
    page = page_service.find_page(title)
    return (page.title if page else title), page


@bp.get("/wiki/<path:title>")
def view(title):
    display, page = load(title)
    if (response := canonical_redirect("pages.view", title, display)) is not None:
        return response
    if page is None:
        return render_template("pages/missing.html", title=display), 404
    return render_template("pages/view.html", page=page, revision=page.current_revision)


@bp.get("/wiki/<path:title>/-/raw")
def raw(title):
    display, page = load(title)
    if (response := canonical_redirect("pages.raw", title, display)) is not None:
        return response
    if page is None:
        abort(404, description=f"There is no page called “{display}”.")
    return Response(page.current_revision.source, mimetype="text/plain", content_type="text/plain; charset=utf-8")


@bp.route("/wiki/<path:title>/-/edit", methods=["GET", "POST"])
def edit(title):
    display, page = load(title)
    if request.method == "GET" and (response := canonical_redirect("pages.edit", title, display)):
        return response  # a POST is never redirected: that would drop the user's text
    current = page.current_revision if page else None
    form = EditForm()
    if not current_user.is_authenticated and not form.is_submitted():
        return current_app.login_manager.unauthorized()
    if not form.is_submitted():
        form.body.data = current.source if current else ""
        form.base_revision.data = str(current.number if current else 0)
        return render_template("pages/edit.html", form=form, title=display, page=page)

    def again(message: str, status: int, **context):
        # Every failed save comes back here: the user's text stays in the form.
        flash(message, "error")
        return render_template("pages/edit.html", form=form, title=display, page=page, **context), status

    if not current_user.is_authenticated:
        return again("You are not logged in any more. Log in (in another tab), then save again.", 403)
    if not can_edit():
        return again("Your account may not edit pages.", 403)
    if not form.validate():
        problems = [f"{form[name].label.text}: {'; '.join(msgs)}" if name != "base_revision" else msgs[0]
                    for name, msgs in form.errors.items()]
        return again(" ".join(problems), 400)
    try:
        result = page_service.save_page(
            display,
            form.body_text(),
            form.summary.data or "",
            current_user,
            base_revision=int(form.base_revision.data),
            max_bytes=current_app.config["MAX_PAGE_BYTES"],
        )
    except BodyTooLarge as error:
        return again(str(error), 413)
    except InvalidInput as error:
        return again(str(error), 400)
    except StaleRevision as error:
        base = int(form.base_revision.data)
        newer = error.current
        if newer is not None:
            form.base_revision.data = str(newer.number)  # a new save means "I have seen it"
        return again(f"{error} Your text was not saved; it is still in the form below. "
                     "Compare with the newer revision, then save again.", 409, stale_from=base, stale_to=newer.number if newer else None)
    if result.created:
        flash(f"Saved revision {result.revision.number}.", "success")
    else:
        flash("No changes: the text is the same as the current revision, so no new revision was made.", "info")
    return redirect(wiki_url("pages.view", result.page.title), code=303)
