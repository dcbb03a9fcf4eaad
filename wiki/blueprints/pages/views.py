"""Page views: read, edit, raw source. Thin: parse the request, call a service, render."""
from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request
from flask_login import current_user
from markupsafe import escape

from wiki.web import caching, frames, outages
from wiki.core.markup import slugify_heading
from wiki.core.markup.redirects import redirect_target
from wiki.core.markup.sections import get_section, parent_sections
from wiki.web import ratelimit
from wiki.web.access import access_denied
from wiki.blueprints.pages import conflicts
from wiki.blueprints.pages.forms import EditForm, ProtectForm
from wiki.services import admin, completion, discussions, moves, paths, rendering, review
from wiki.core.discussions import with_counts
from wiki.services import pages as page_service
from wiki.services.errors import BodyTooLarge, EditConflict, InvalidInput, NotFound, StaleRevision
from wiki.core.titles import InvalidTitle, Title
from wiki.web.common import canonical_redirect, wiki_url
from wiki.web.errors import keeps_text_on_csrf
from wiki.web.lookup import load, load_title, parse_title

bp = Blueprint("pages", __name__)
bp.add_app_template_global(parent_sections, "section_parents")  # the section editor's breadcrumb

HOME = "Home"


@bp.get("/")
def index():
    return redirect(wiki_url("pages.view", HOME))


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
        source = page_service.find_page(name) if (name := parse_title(source_title)) else None
        if source is not None and redirect_target(source.current_revision.source) is not None:
            redirected_from = source.title
    version = discussions.version(page.id)  # issue 16: its counts change without a new revision
    review_state = review.page_state(page.id)  # issue 20: the banner changes with time, not revisions
    # Issue 20: the page's place in learning paths and the viewer's progress; its digest is
    # part of the validator (only for pages in a path: the cached doors serve no other).
    path_state = paths.viewer_path_state(page, current_user.id if current_user.is_authenticated else None,
                                         path_arg())
    if (unchanged := caching.not_modified("view", page, page.current_revision, redirected_from,
                                          version, review.view_key(review_state),
                                          *((path_state.key,) if path_state.key else ()))) is not None:
        return unchanged
    talk = discussions.summary(page, version)
    content = with_counts(page.current_revision.html, talk.counts, wiki_url("discussion.discussion", page.title))
    context = dict(revision=page.current_revision, redirected_from=redirected_from, discussion=talk, content=content,
                   review_state=review_state, path_state=path_state)
    if frames.member():  # issue 21: a frame shared by the role, and this user's fragments
        return frames.render("pages/view.html", page, **context)
    return render_template("pages/view.html", page=page, **context)


def path_arg() -> int | None:
    """``?path=``: the learning path (its page id) to follow on a page in several; any other
    value is ignored (the page then shows its paths in the usual order)."""
    value = request.args.get("path", "")
    return int(value) if value.isdigit() and len(value) <= 9 else None


@bp.get("/-/new")
def new():
    """Start a page by its title: a valid title goes to its editor (or to the page if it exists)."""
    raw_title = request.args.get("title", "")
    template = request.args.get("template", "")
    templates = page_service.list_templates()
    error = None
    if template and page_service.find_template(template) is None:
        error = f"There is no template called “{template}”; pick one of the list."
    elif raw_title.strip():
        try:
            title = Title.parse(raw_title)
        except InvalidTitle as invalid:
            error = str(invalid)
        else:
            page = page_service.find_page(title)
            if page is not None:
                flash(f"“{page.title}” already exists; here it is.", "info")
                return redirect(wiki_url("pages.view", page.title))
            return redirect(wiki_url("pages.edit", title.display, template=template or None))
    return render_template("pages/new.html", title=raw_title, error=error, templates=templates,
                           template=template), 400 if error else 200


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
    name, page = load_title(title)  # the title is normalized here, once, and passed down
    display = name.display
    if request.method == "GET" and (response := canonical_redirect("pages.edit", title, display)):
        return response  # a POST is never redirected: that would drop the user's text
    current = page.current_revision if page else None
    form = EditForm()
    if form.is_submitted():
        raw_section = form.section.data or ""  # a malformed value fails form validation below
        number = int(raw_section) if raw_section.isdigit() and len(raw_section) <= 6 else None
    else:
        number = section_number(request.args.get("section"), page, display)
    if not form.is_submitted():
        if page is None and (deleted := page_service.find_deleted_page(name)) is not None:
            abort(404, description=f"“{deleted.title}” was deleted; an administrator can restore it.")
        section, section_source = page_service.find_section(page, number) if number else (None, None)
        form.body.data = section_source if section else (current.source if current else "")
        if page is None and (template := request.args.get("template")):
            found = page_service.find_template(template)
            if found is None:
                abort(404, description=f"There is no template called “{template}”.")
            form.body.data = found.current_revision.source  # a new page starts from its template
        form.base_revision.data = str(current.number if current else 0)
        form.section.data = str(number or "")
        return render_template("pages/edit.html", form=form, title=display, page=page, section=section)

    def again(message: str, status: int, **context):
        # Every failed save comes back here: the user's text stays in the form.
        flash(message, "error")
        return render_template("pages/edit.html", form=form, title=display, page=page,
                               section=section_in(current, number), **context), status

    if (denied := access_denied()) is not None:
        if not current_user.is_authenticated:
            return again("You are not logged in any more. Log in (in another tab), then save again.", 403)
        return again(f"{denied.message} Your text was not saved; it is still in the form below.", 403)
    if not form.validate():
        problems = [f"{form[name].label.text}: {'; '.join(msgs)}" if name != "base_revision" else msgs[0]
                    for name, msgs in form.errors.items()]
        return again(" ".join(problems), 400)
    limit = "PREVIEWS_PER_USER" if request.form.get("preview") else "SAVES_PER_USER"
    try:
        ratelimit.check_and_hit(limit, str(current_user.id))
    except ratelimit.RateLimited as limited:
        body, status = again(f"{limited.description} Your text was not saved; it is still in the form below.", 429)
        return body, status, {"Retry-After": str(limited.retry_after)}
    max_bytes = current_app.config["MAX_PAGE_BYTES"]
    if request.form.get("preview"):  # the Preview button without JavaScript: render, save nothing
        try:
            page_service.check_size(form.body_text(), max_bytes)
        except BodyTooLarge as error:
            return again(str(error), 413)
        return render_template("pages/edit.html", form=form, title=display, page=page,
                               section=section_in(current, number),
                               preview=_review_note(form.body_text()) + rendering.render_preview(display, form.body_text()))
    base = int(form.base_revision.data)
    if number and page is None:
        return again(f"“{display}” does not exist any more, so its section cannot be saved.", 404)
    try:
        if number:  # the section's text is validated once it is spliced into the page
            result = page_service.save_section(
                page, number, form.body_text(), form.summary.data or "", current_user,
                base_revision=base, max_bytes=max_bytes, minor=form.minor.data)
        else:
            edit = page_service.Edit.make(name, form.body_text(), form.summary.data or "", max_bytes=max_bytes,
                                          base_revision=base, minor=form.minor.data,
                                          previous=current.source if current else "")
            result = page_service.save_edit(edit, current_user, max_bytes=max_bytes)
    except BodyTooLarge as error:
        return again(str(error), 413)
    except NotFound as error:
        return again(str(error), 404)
    except InvalidInput as error:
        return again(str(error), 400)
    except EditConflict as conflict:
        # Nothing saved. The conflict page carries the user's whole text (a section edit comes
        # back as the whole page it was spliced into) and resolves it hunk by hunk.
        flash(f"{conflict} Nothing was saved: choose below what to keep of each overlapping change.", "error")
        return conflicts.from_edit_conflict(display, page, conflict, form.summary.data or "", bool(form.minor.data))
    except StaleRevision as error:
        newer = error.current
        if newer is not None and not number:
            # A new save means "I have seen it". A section edit keeps its base: its text is
            # one section, which must be spliced into the revision it was cut from.
            form.base_revision.data = str(newer.number)
        return again(f"{error} Your text was not saved; it is still in the form below. "
                     "Compare with the newer revision, then save again.", 409,
                     stale_from=base, stale_to=newer.number if newer else None)
    # From here on only values read before the commit: nothing can fail once it is saved.
    if result.merged_number is not None:
        other = result.merged_author or "someone"
        flash(f"Saved revision {result.number}. While you were editing, {other} saved revision "
              f"{result.merged_number}; your changes did not overlap, so both are kept.", "success")
    elif result.created:
        flash(f"Saved revision {result.number}.", "success")
    else:
        flash("No changes: the text is the same as the current revision, so no new revision was made.", "info")
    anchor = ""
    if number and (saved := get_section(result.source, number)) is not None:
        anchor = "#" + slugify_heading(saved.title)  # back to the section just edited
    return redirect(wiki_url("pages.view", result.title) + anchor, code=303)


bp.post("/wiki/<path:title>/-/conflict")(conflicts.conflict)


@keeps_text_on_csrf("pages.edit")
def edit_without_token(message: str):
    """An edit posted without a valid CSRF token: the editor again with the posted text."""
    name, page = load_title((request.view_args or {}).get("title", ""))
    form = EditForm(meta={"csrf": False})
    current = page.current_revision if page else None
    raw_section = form.section.data or ""
    number = int(raw_section) if raw_section.isdigit() and len(raw_section) <= 6 else None
    flash(message, "error")
    return render_template("pages/edit.html", form=form, title=name.display, page=page,
                           section=section_in(current, number)), 400


@outages.keeps_input("pages.edit")
def edit_unavailable(problem: outages.Problem):
    """The database went away during a save (or before it): the editor again, with the text
    as it was posted, built from the request alone."""
    if request.method != "POST":
        return None  # nothing typed yet: the plain outage page
    form = EditForm()  # the posted values
    raw = (request.view_args or {}).get("title", "")
    seen = outages.seen_page(raw)
    existed = outages.page_existed(raw)
    if existed is None:  # not looked up before the outage: the form says what it was based on
        existed = (form.base_revision.data or "0") not in ("", "0")
    raw_section = form.section.data or ""
    number = int(raw_section) if raw_section.isdigit() and len(raw_section) <= 6 else None
    section = get_section(seen.source, number) if seen.source is not None and number else None
    if problem.kind == "unconfirmed":
        kept = "Your text is still in the form below."
    elif problem.changed_nothing:
        kept = "Your text was not saved; it is still in the form below: save again in a few seconds."
    else:
        kept = "Your text is still in the form below."
    outages.flash_problem(problem, kept)
    return render_template("pages/edit.html", form=form, title=seen.title, page=seen if existed else None,
                           section=section, outage=problem)


@outages.keeps_input("pages.new")
def new_unavailable(problem: outages.Problem):
    outages.flash_problem(problem, "The title you gave is still in the form below: continue in a few seconds.")
    return render_template("pages/new.html", title=request.args.get("title", ""), error=None, outage=problem,
                           templates=[], template=request.args.get("template", ""))


@bp.post("/wiki/<path:title>/-/protect")
def protect(title):
    """Admins: protect a page (only admins may then change it) or lift the protection."""
    display, page = load(title)
    if page is None:
        abort(404, description=f"There is no page called “{display}”.")
    form = ProtectForm()
    if not form.validate():
        abort(400, description="The protection form is damaged; reload the page and try again.")
    if admin.set_protection(current_user, page, form.protection.data):
        flash("The page is protected: only administrators can change it now." if form.protection.data == "admin"
              else "The protection is lifted: editors can change the page again.", "success")
    return redirect(wiki_url("pages.view", page.title), code=303)


@bp.post("/wiki/<path:title>/-/preview")
def preview(title):
    """The editor's live preview: the text rendered through the same sanitizing pipeline."""
    display, _page = load(title)
    ratelimit.check_and_hit("PREVIEWS_PER_USER", str(current_user.id))
    body = request.form.get("body", "").replace("\r\n", "\n")
    try:
        page_service.check_size(body, current_app.config["MAX_PAGE_BYTES"])
    except BodyTooLarge as error:
        abort(413, description=str(error))
    return Response(_review_note(body) + rendering.render_preview(display, body), mimetype="text/html")


def _review_note(body: str) -> str:
    """Issue 20: what is wrong with the text's review settings, said in the preview before a
    save refuses them ("" when nothing is)."""
    problems = review.problems_of(body)
    if not problems:
        return ""
    return f'<p class="notice review-problem" role="alert">{escape("Review settings: " + " ".join(problems))}</p>'


@bp.get("/-/complete")
def complete():
    """The editor's ``[[`` completions as JSON: ``?title=`` gives page titles, ``?title=&section=``
    that page's section names. Follows the read rule; rate-limited per user (or address)."""
    who = str(current_user.id) if current_user.is_authenticated else "ip:" + ratelimit.client_address()
    ratelimit.check_and_hit("COMPLETIONS_PER_USER", who)
    typed = request.args.get("title", "")[:completion.MAX_QUERY]
    if "section" in request.args:
        wanted = request.args.get("section", "").casefold()
        names = completion.sections(typed) if typed.strip() else None
        if names is None:
            return _json({"title": typed, "sections": [], "missing": True})
        chosen = [name for name in names if name.casefold().startswith(wanted)]
        chosen += [name for name in names if wanted in name.casefold() and name not in chosen]
        return _json({"title": typed, "sections": chosen[:20]})
    return _json({"title": typed, "titles": completion.titles(typed)})


def _json(data):
    response = jsonify(data)
    response.headers["Cache-Control"] = "private, no-store"  # depends on the reader's access
    return response


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


