"""The conflict page: a stale edit whose changes overlap a newer revision, resolved one
overlapping change ("hunk") at a time.

Nothing is kept on the server between the conflict page and its answer: the form carries
the user's text as they wrote it and the two revision numbers the conflict is between, and
the merge is computed again from them, so a forged or stale form is recognised and refused
with the text kept. No single control overwrites the other person's change: each hunk needs
its own choice (mine, theirs, both mine first, both theirs first), and the edit summary
records the choices.
"""
from flask import current_app, flash, redirect, render_template, request
from flask_login import current_user

from wiki.blueprints.pages.forms import EditForm, ResolveForm
from wiki.core.diff.merge import CHOICES, MergeResult, merge3, resolution_note, resolve
from wiki.core.diff.textdiff import diff_texts
from wiki.core.edits import MAX_SUMMARY_LENGTH
from wiki.services import pages as page_service
from wiki.services.errors import BodyTooLarge, EditConflict, InvalidInput, NotFound, StaleRevision
from wiki.web import outages, ratelimit
from wiki.web.access import access_denied
from wiki.web.common import wiki_url
from wiki.web.errors import keeps_text_on_csrf
from wiki.web.lookup import load_title

CHOICE_LABELS = {
    "mine": "Keep mine",
    "theirs": "Keep theirs",
    "mine-first": "Keep both, mine first",
    "theirs-first": "Keep both, theirs first",
}
assert tuple(CHOICE_LABELS) == CHOICES


def render_conflict(display, page, *, yours, base_number, theirs, merge: MergeResult, summary="", minor=False,
                    chosen=None, status=409, form=None):
    """The conflict page for ``yours`` (based on revision ``base_number``) against the newer
    revision ``theirs``; ``chosen`` keeps the choices already made when the page comes back."""
    if form is None:
        form = ResolveForm(formdata=None)
    form.yours.data = yours
    form.base_revision.data = str(base_number)
    form.theirs_revision.data = str(theirs.number)
    form.summary.data = summary
    form.minor.data = minor
    base_source = _source(page, base_number) or ""
    return render_template(
        "pages/conflict.html", form=form, title=display, page=page, merge=merge, theirs=theirs,
        base_number=base_number, chosen=chosen or {}, labels=CHOICE_LABELS,
        theirs_diff=diff_texts(base_source, theirs.source),
    ), status


def from_edit_conflict(display, page, conflict: EditConflict, summary: str, minor: bool):
    """The conflict page for a save that raised EditConflict."""
    return render_conflict(display, page, yours=conflict.yours, base_number=conflict.base_number,
                           theirs=conflict.current, merge=conflict.merge, summary=summary, minor=minor)


def _source(page, number: int) -> str | None:
    if number == 0:
        return ""
    try:
        return page_service.get_revision(page, number).source
    except NotFound:
        return None


def _editor(display, page, body: str, base: int, summary: str, minor: bool, status: int = 200):
    """The ordinary editor with ``body``, based on revision ``base``."""
    form = EditForm(formdata=None)
    form.body.data, form.base_revision.data, form.section.data = body, str(base), ""
    form.summary.data, form.minor.data = summary, minor
    return render_template("pages/edit.html", form=form, title=display, page=page, section=None), status


def with_note(summary: str, note: str) -> str:
    """The user's summary followed by the record of the choices, within the summary limit."""
    summary = " ".join(summary.split())
    if not summary:
        return note[:MAX_SUMMARY_LENGTH]
    room = MAX_SUMMARY_LENGTH - len(note) - 2
    if len(summary) > room:
        summary = summary[: max(room - 1, 0)].rstrip() + "…"
    return f"{summary} ({note})"[:MAX_SUMMARY_LENGTH]


def choices(merge: MergeResult) -> tuple[dict[int, str], list[int], str | None]:
    """The posted choice of each conflict: (chosen, missing numbers, problem). A problem
    (an unknown choice, a conflict that does not exist) means the form was tampered with."""
    count = len(merge.conflicts)
    chosen: dict[int, str] = {}
    for key, value in request.form.items(multi=True):
        if not key.startswith("hunk-"):
            continue
        number = key[len("hunk-"):]
        if not number.isdigit() or len(number) > 4 or not 0 <= int(number) < count:
            return {}, [], f"The form names an overlapping change that does not exist ({key})."
        if value not in CHOICES or int(number) in chosen:
            return {}, [], f"The form holds an unknown choice for overlapping change {int(number) + 1}."
        chosen[int(number)] = value
    return chosen, [i for i in range(count) if i not in chosen], None


@keeps_text_on_csrf("pages.conflict")
def conflict_without_token(message: str):
    """A resolution posted without a valid CSRF token: the editor with the user's own text,
    based on the revision they started from (so saving it again conflicts, never overwrites)."""
    name, page = load_title((request.view_args or {}).get("title", ""))
    form = ResolveForm(meta={"csrf": False})
    base = form.base_revision.data if (form.base_revision.data or "").isdigit() else "0"
    flash(message, "error")
    return _editor(name.display, page, form.yours_text(), int(base[:9]), form.summary.data or "",
                   bool(form.minor.data), 400)


@outages.keeps_input("pages.conflict")
def conflict_unavailable(problem: outages.Problem):
    """The database went away while a conflict was being resolved: the editor with the user's
    own text, built from the request alone, based on the revision they started from (saving
    it later conflicts again rather than overwriting)."""
    form = ResolveForm()
    raw = (request.view_args or {}).get("title", "")
    seen = outages.seen_page(raw)
    editor = EditForm(formdata=None)
    base = form.base_revision.data if (form.base_revision.data or "").isdigit() else "0"
    editor.body.data, editor.base_revision.data, editor.section.data = form.yours_text(), base[:9], ""
    editor.summary.data, editor.minor.data = form.summary.data or "", bool(form.minor.data)
    outages.flash_problem(problem, "Nothing was saved; your text is in the editor below: save again in a few "
                          "seconds to see the conflict again.")
    return render_template("pages/edit.html", form=editor, title=seen.title, page=seen, section=None,
                           outage=problem)


def conflict(title):
    """POST /wiki/<title>/-/conflict: apply the choices, open the result (or the text with
    markers) in the editor, or save it."""
    name, page = load_title(title)
    display = name.display
    form = ResolveForm()
    yours = form.yours_text()
    summary, minor = form.summary.data or "", bool(form.minor.data)
    action = request.form.get("action", "save")

    def refuse(message: str, status: int):
        # The form cannot be trusted: the editor with the user's own text, based on nothing
        # newer than the form says, so saving it can never silently replace their change.
        flash(message + " Your text was not saved; it is in the editor below.", "error")
        base = form.base_revision.data if (form.base_revision.data or "").isdigit() else "0"
        return _editor(display, page, yours, int(base[:9]), summary, minor, status)

    if (denied := access_denied()) is not None:
        if not current_user.is_authenticated:
            return refuse("You are not logged in any more. Log in (in another tab), then save again.", 403)
        return refuse(denied.message, 403)
    if page is None:
        return refuse(f"“{display}” does not exist any more.", 404)
    if not form.validate():
        problems = [msgs[0] if name in ("base_revision", "theirs_revision") else f"{form[name].label.text}: {msgs[0]}"
                    for name, msgs in form.errors.items()]
        return refuse(" ".join(dict.fromkeys(problems)), 400)
    if action not in ("save", "edit", "markers"):
        return refuse("The form was sent with an unknown button.", 400)
    base_number, theirs_number = int(form.base_revision.data), int(form.theirs_revision.data)
    current = page.current_revision
    base_source = _source(page, base_number)
    if base_source is None or not base_number < theirs_number <= current.number:
        return refuse("The form is damaged: the revisions it names are not those of a conflict on this page.", 400)
    theirs = page_service.get_revision(page, theirs_number)
    merge = merge3(base_source, theirs.source, yours)
    if merge.clean:
        return refuse("The form is damaged: your text does not conflict with revision "
                      f"{theirs_number}.", 400)
    if theirs_number != current.number:
        # Someone saved again while this page was open: the choices were made against an older
        # revision, so they are not applied; the conflict is shown again against the newest.
        newer = merge3(base_source, current.source, yours)
        author = current.author.username if current.author else "someone"
        if newer.clean:
            flash(f"While you were resolving the conflict, {author} saved revision {current.number}. Your text "
                  "merges with it without overlapping changes: check the result below, then save.", "error")
            return _editor(display, page, newer.merged, current.number, summary, minor, 409)
        flash(f"While you were resolving the conflict, {author} saved revision {current.number}, so your "
              "choices were not applied. Choose again against the newest revision. Nothing was saved.", "error")
        return render_conflict(display, page, yours=yours, base_number=base_number, theirs=current, merge=newer,
                               summary=summary, minor=minor, form=form)
    if action == "markers":
        return _editor(display, page, merge.text_with_markers, theirs_number, summary, minor)
    chosen, missing, problem = choices(merge)
    if problem is not None:
        flash(problem + " Nothing was saved; choose again below.", "error")
        return render_conflict(display, page, yours=yours, base_number=base_number, theirs=theirs, merge=merge,
                               summary=summary, minor=minor, status=400, form=form)
    if missing:
        listed = ", ".join(str(i + 1) for i in missing)
        flash(f"Choose what to keep for every overlapping change (no choice yet for {listed}). "
              "Nothing was saved.", "error")
        return render_conflict(display, page, yours=yours, base_number=base_number, theirs=theirs, merge=merge,
                               summary=summary, minor=minor, chosen=chosen, status=400, form=form)
    picked = [chosen[i] for i in range(len(merge.conflicts))]
    resolved = resolve(merge, picked)
    summary = with_note(summary, resolution_note(picked, theirs_number))
    if action == "edit":
        return _editor(display, page, resolved, theirs_number, summary, minor)
    try:
        ratelimit.check_and_hit("SAVES_PER_USER", str(current_user.id))
    except ratelimit.RateLimited as limited:
        flash(f"{limited.description} Nothing was saved; here is the resolved text.", "error")
        body, status = _editor(display, page, resolved, theirs_number, summary, minor, 429)
        return body, status, {"Retry-After": str(limited.retry_after)}
    max_bytes = current_app.config["MAX_PAGE_BYTES"]
    try:
        edit = page_service.Edit.make(name, resolved, summary, max_bytes=max_bytes, base_revision=theirs_number,
                                      minor=minor, previous=theirs.source)
        result = page_service.save_edit(edit, current_user, max_bytes=max_bytes)
    except EditConflict as again:  # a save got in between the check above and this one
        flash(f"{again} Nothing was saved; choose again below.", "error")
        return render_conflict(display, page, yours=yours, base_number=base_number, theirs=again.current,
                               merge=merge3(base_source, again.current.source, yours), summary=form.summary.data or "",
                               minor=minor, form=form)
    except (BodyTooLarge, InvalidInput, StaleRevision, NotFound) as error:
        flash(f"{error} Nothing was saved; here is the resolved text.", "error")
        return _editor(display, page, resolved, theirs_number, summary, minor, 413 if isinstance(error, BodyTooLarge)
                       else 409 if isinstance(error, StaleRevision) else 400)
    if not result.created:
        flash(f"Your choices give back the text of revision {result.number} exactly, so no new revision "
              "was made.", "info")
    else:
        flash(f"Saved revision {result.number}: the conflict with revision {theirs_number} is resolved.", "success")
    return redirect(wiki_url("pages.view", result.title), code=303)
