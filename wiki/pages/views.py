"""Page views: read, edit, raw source. Thin: parse the request, call a service, render."""
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request
from flask_login import current_user

from wiki.pages.forms import EditForm
from wiki.services import pages as page_service
from wiki.services.errors import BodyTooLarge, InvalidInput, NotFound, StaleRevision
from wiki.markup import slugify_heading
from wiki.markup.redirects import redirect_target
from wiki.markup.sections import get_section
from wiki.services import moves
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


def valid_title(title: str) -> bool:
    try:
        normalize_title(title)
    except InvalidTitle:
        return False
    return True


@bp.get("/wiki/<path:title>")
def view(title):
    display, page = load(title)
    if (response := canonical_redirect("pages.view", title, display)) is not None:
        return response
    if page is None:
        deleted = page_service.find_deleted_page(display)
        return render_template("pages/missing.html", title=display, deleted=deleted), 404
    redirected_from = None
    if redirect_target(page.current_revision.source) is not None and request.args.get("redirect") != "no":
        outcome = moves.follow_redirects(page)
        if outcome.page is not None and outcome.page.id != page.id:
            return redirect(wiki_url("pages.view", outcome.page.title, redirected_from=page.title))
        flash(f"This page is a redirect, but {outcome.problem}.", "error")
    if (source_title := request.args.get("redirected_from")) is not None:
        source = page_service.find_page(source_title) if valid_title(source_title) else None
        if source is not None and redirect_target(source.current_revision.source) is not None:
            redirected_from = source.title
    return render_template("pages/view.html", page=page, revision=page.current_revision,
                           redirected_from=redirected_from)


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
    if form.is_submitted():
        raw_section = form.section.data or ""  # a malformed value fails form validation below
        number = int(raw_section) if raw_section.isdigit() and len(raw_section) <= 6 else None
    else:
        number = section_number(request.args.get("section"), page, display)
    section = page_service.find_section(page, number)[0] if number and not form.is_submitted() else None
    if not form.is_submitted():
        if page is None and (deleted := page_service.find_deleted_page(display)) is not None:
            abort(404, description=f"“{deleted.title}” was deleted; an administrator can restore it.")
        form.body.data = page_service.find_section(page, number)[1] if section else (current.source if current else "")
        form.base_revision.data = str(current.number if current else 0)
        form.section.data = str(number or "")
        return render_template("pages/edit.html", form=form, title=display, page=page, section=section)

    def again(message: str, status: int, **context):
        # Every failed save comes back here: the user's text stays in the form.
        flash(message, "error")
        return render_template("pages/edit.html", form=form, title=display, page=page,
                               section=section_in(current, number), **context), status

    if not current_user.is_authenticated:
        return again("You are not logged in any more. Log in (in another tab), then save again.", 403)
    if not can_edit():
        return again("Your account may not edit pages.", 403)
    if not form.validate():
        problems = [f"{form[name].label.text}: {'; '.join(msgs)}" if name != "base_revision" else msgs[0]
                    for name, msgs in form.errors.items()]
        return again(" ".join(problems), 400)
    base = int(form.base_revision.data)
    if number and page is None:
        return again(f"“{display}” does not exist any more, so its section cannot be saved.", 404)
    try:
        if number:
            result = page_service.save_section(
                page, number, form.body_text(), form.summary.data or "", current_user,
                base_revision=base, max_bytes=current_app.config["MAX_PAGE_BYTES"])
        else:
            result = page_service.save_page(
                display, form.body_text(), form.summary.data or "", current_user,
                base_revision=base, max_bytes=current_app.config["MAX_PAGE_BYTES"])
    except BodyTooLarge as error:
        return again(str(error), 413)
    except NotFound as error:
        return again(str(error), 404)
    except InvalidInput as error:
        return again(str(error), 400)
    except StaleRevision as error:
        newer = error.current
        message = (f"{error} Your text was not saved; it is still in the form below. "
                   "Compare with the newer revision, then save again.")
        if newer is not None and same_section(page, base, newer, number):
            form.base_revision.data = str(newer.number)  # a new save means "I have seen it"
        elif newer is not None:
            message = (f"{error} The section you were editing has moved or changed its heading, "
                       "so your text was not saved. Copy it from the form below and edit the whole page.")
        return again(message, 409, stale_from=base, stale_to=newer.number if newer else None)
    if result.created:
        flash(f"Saved revision {result.revision.number}.", "success")
    else:
        flash("No changes: the text is the same as the current revision, so no new revision was made.", "info")
    anchor = ""
    if number and (saved := get_section(result.revision.source, number)) is not None:
        anchor = "#" + slugify_heading(saved.title)  # back to the section just edited
    return redirect(wiki_url("pages.view", result.page.title) + anchor, code=303)


def section_number(arg: str | None, page, display: str) -> int | None:
    """The ?section= of an edit link: None for the whole page; 400/404 if unusable."""
    if not arg:
        return None
    if not arg.isdigit() or len(arg) > 6 or int(arg) == 0:
        abort(400, description="The section to edit must be given by its number, e.g. ?section=2.")
    if page is None:
        abort(404, description=f"There is no page called “{display}”, so it has no sections.")
    return int(arg)


def section_in(revision, number):
    """Section ``number`` of a revision's text, if both exist."""
    return get_section(revision.source, number) if revision is not None and number else None


def same_section(page, base_number, newer, number) -> bool:
    """Whether a section number still means the same heading in a newer revision."""
    if not number:
        return True
    try:
        base = page_service.get_revision(page, base_number)
    except NotFound:
        return False
    old, new = section_in(base, number), section_in(newer, number)
    return old is not None and new is not None and old.title == new.title
