"""Discussion views. Thin: parse the request, call the discussions service, render.

Everything works without JavaScript: every action is a form POST answered with a redirect
(303) back to the thread, or the same page again with the text kept and the problem said.
"""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request
from flask_login import current_user

from wiki.blueprints.discussion.forms import ActionForm, CommentForm, ThreadForm
from wiki.core import discussions as core
from wiki.core.diff.textdiff import diff_texts
from wiki.core.errors import InvalidInput
from wiki.services import discussions
from wiki.services.errors import NotFound
from wiki.web import outages, ratelimit
from wiki.web.common import wiki_url
from wiki.web.lookup import live_page

bp = Blueprint("discussion", __name__)


def _url(page, thread_id=None, comment_id=None) -> str:
    url = wiki_url("discussion.discussion", page.title)
    if comment_id:
        return f"{url}#comment-{comment_id}"
    return f"{url}#thread-{thread_id}" if thread_id else url


def _found(lookup, *args):
    try:
        return lookup(*args)
    except NotFound as error:
        abort(404, description=str(error))


def _groups(page, threads: list[discussions.ThreadView]):
    """Threads grouped for the page: each section still on the page (in page order), then
    the whole page, then sections no longer on it. Open threads before resolved ones."""
    order = {anchor: n for n, anchor in enumerate(discussions.sections_of(page.current_revision))} \
        if any(t.thread.anchor for t in threads) else {}
    sections: dict[str, list] = {}
    whole, gone = [], []
    for view in threads:
        if view.anchoring.located:
            sections.setdefault(view.anchoring.anchor, []).append(view)
        elif view.anchoring.state == "page":
            whole.append(view)
        else:
            gone.append(view)
    groups = [("section", anchor, items[0].anchoring.heading, items)
              for anchor, items in sorted(sections.items(), key=lambda kv: order.get(kv[0], len(order)))]
    if whole:
        groups.append(("page", None, "", whole))
    if gone:
        groups.append(("gone", None, "", gone))
    return groups


def _show(page, form=None, status=200, section=None, **context):
    found = discussions.discussion(page)
    may_write = current_user.is_authenticated and (not found.locked or current_user.role == "admin")
    heading = None
    if section is not None:
        here = discussions.sections_of(page.current_revision).get(section)
        heading = discussions.heading_text(page.current_revision, section, here)
    if form is None:
        form = ThreadForm(formdata=None)
    return render_template(
        "discussion/discussion.html", page=page, discussion=found, groups=_groups(page, found.threads),
        form=form, reply_form=CommentForm(formdata=None), action=ActionForm(), may_write=may_write,
        section=section, section_heading=heading, may_resolve=discussions.may_resolve, **context), status


def _body(form) -> str:
    return core.comment_body(form.body.data, current_app.config["COMMENT_MAX_BYTES"])


@bp.route("/wiki/<path:title>/-/discussion", methods=["GET", "POST"])
def discussion(title):
    page, response = live_page(title, "discussion.discussion")
    if response and request.method == "GET":
        return response
    form = ThreadForm()
    if request.method == "GET":
        try:
            section = core.anchor_arg(request.args.get("section"))
        except InvalidInput as error:
            abort(400, description=str(error))
        form.section.data = section or ""
        if section is not None and section not in discussions.sections_of(page.current_revision):
            flash("This page has no section with that heading any more: the thread would be about the whole page.",
                  "info")
            form.section.data = ""
            section = None
        return _show(page, form, section=section)
    if not form.validate():
        abort(400, description="The form is damaged or expired; reload the page and try again.")
    try:
        section = core.anchor_arg(form.section.data)
        body = _body(form)
        ratelimit.check_and_hit("COMMENTS_PER_USER", str(current_user.id))
        thread = discussions.start_thread(page, current_user, body, section)
    except (InvalidInput, discussions.Refused, ratelimit.RateLimited) as error:
        flash(_message(error), "error")
        return _show(page, form, _status(error), section=form.section.data or None)
    flash("Your thread is started.", "success")
    return redirect(_url(page, thread.id), code=303)


def _message(error) -> str:
    return error.description if isinstance(error, ratelimit.RateLimited) else str(error)


def _status(error) -> int:
    if isinstance(error, ratelimit.RateLimited):
        return 429
    return 403 if isinstance(error, discussions.Refused) else 400


@bp.post("/wiki/<path:title>/-/discussion/<int:thread_id>/reply")
def reply(title, thread_id):
    page, _ = live_page(title, "discussion.reply", thread_id=thread_id)
    thread = _found(discussions.find_thread, page, thread_id)
    form = CommentForm()
    if not form.validate():
        abort(400, description="The form is damaged or expired; reload the page and try again.")
    try:
        body = _body(form)
        ratelimit.check_and_hit("COMMENTS_PER_USER", str(current_user.id))
        comment = discussions.reply(thread, current_user, body)
    except (InvalidInput, discussions.Refused, ratelimit.RateLimited) as error:
        flash(_message(error), "error")
        return _show(page, status=_status(error), reply_to=thread_id, reply_text=form.body.data or "")
    return redirect(_url(page, comment_id=comment.id), code=303)


@bp.post("/wiki/<path:title>/-/discussion/<int:thread_id>/status")
def status(title, thread_id):
    page, _ = live_page(title, "discussion.status", thread_id=thread_id)
    thread = _found(discussions.find_thread, page, thread_id)
    if not ActionForm().validate():
        abort(400, description="The form is damaged or expired; reload the page and try again.")
    resolve = request.form.get("resolve")
    if resolve not in ("0", "1"):
        abort(400, description="Say whether to resolve (1) or reopen (0) the thread.")
    try:
        changed = discussions.set_status(thread, current_user, resolve == "1")
    except discussions.Refused as error:
        abort(403, description=str(error))
    if changed:
        flash("Thread resolved." if resolve == "1" else "Thread reopened.", "success")
    return redirect(_url(page, thread_id), code=303)


@bp.get("/wiki/<path:title>/-/discussion/<int:thread_id>/changes")
def changes(title, thread_id):
    """How the thread's section changed since the thread started: its text then and now."""
    page, response = live_page(title, "discussion.changes", thread_id=thread_id)
    if response:
        return response
    thread = _found(discussions.find_thread, page, thread_id)
    if thread.anchor is None:
        abort(404, description="This thread is about the whole page, not one section.")
    revision = page.current_revision
    anchoring = core.locate(thread.anchor, thread.section_text, thread.section_hash,
                            discussions.sections_of(revision), {})
    result = diff_texts(thread.section_text, anchoring.text)
    return render_template("discussion/changes.html", page=page, thread=thread, anchoring=anchoring, diff=result,
                           view="inline" if request.args.get("view") == "inline" else "side", revision=revision)


@bp.route("/wiki/<path:title>/-/discussion/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit(title, comment_id):
    page, response = live_page(title, "discussion.edit", comment_id=comment_id)
    if response and request.method == "GET":
        return response
    comment = _found(discussions.find_comment, page, comment_id)
    if comment.author_id != current_user.id:
        abort(403, description="Only its author may edit a comment.")
    form = CommentForm()
    if request.method == "GET":
        form.body.data = comment.body
        return render_template("discussion/edit.html", page=page, comment=comment, form=form)
    if not form.validate():
        abort(400, description="The form is damaged or expired; reload the page and try again.")
    try:
        body = _body(form)
        ratelimit.check_and_hit("COMMENTS_PER_USER", str(current_user.id))
        changed = discussions.edit_comment(comment, current_user, body)
    except (InvalidInput, discussions.Refused, ratelimit.RateLimited) as error:
        flash(_message(error), "error")
        return render_template("discussion/edit.html", page=page, comment=comment, form=form), _status(error)
    flash("Comment saved." if changed else "The text is the same; nothing changed.", "success" if changed else "info")
    return redirect(_url(page, comment_id=comment_id), code=303)


@bp.get("/wiki/<path:title>/-/discussion/comments/<int:comment_id>/history")
def history(title, comment_id):
    page, response = live_page(title, "discussion.history", comment_id=comment_id)
    if response:
        return response
    comment = _found(discussions.find_comment, page, comment_id)
    if comment.hidden and not (current_user.is_authenticated and current_user.role == "admin"):
        abort(404, description="An administrator hid this comment.")
    return render_template("discussion/history.html", page=page, comment=comment,
                           versions=discussions.versions(comment))


@bp.post("/wiki/<path:title>/-/discussion/comments/<int:comment_id>/hide")
def hide(title, comment_id):
    page, _ = live_page(title, "discussion.hide", comment_id=comment_id)
    comment = _found(discussions.find_comment, page, comment_id)
    if not ActionForm().validate():
        abort(400, description="The form is damaged or expired; reload the page and try again.")
    hidden = request.form.get("hidden")
    if hidden not in ("0", "1"):
        abort(400, description="Say whether to hide (1) or show (0) the comment.")
    if discussions.set_hidden(comment, current_user, hidden == "1", request.form.get("reason", "")):
        flash("Comment hidden: only administrators see it now." if hidden == "1" else "Comment shown again.",
              "success")
    return redirect(_url(page, comment_id=comment_id), code=303)


@bp.post("/wiki/<path:title>/-/discussion/lock")
def lock(title):
    page, _ = live_page(title, "discussion.lock")
    if not ActionForm().validate():
        abort(400, description="The form is damaged or expired; reload the page and try again.")
    locked = request.form.get("locked")
    if locked not in ("0", "1"):
        abort(400, description="Say whether to lock (1) or unlock (0) the discussion.")
    if discussions.set_locked(page, current_user, locked == "1"):
        flash("Discussion locked: only administrators may comment." if locked == "1" else "Discussion open again.",
              "success")
    return redirect(_url(page), code=303)


# --- When the database cannot be reached (wiki.web.outages): the comment given back ---------

def _comment_unavailable(problem):
    if request.method != "POST":
        return None
    page = outages.seen_page((request.view_args or {}).get("title", ""))
    if problem.changed_nothing:
        outages.flash_problem(problem, "Your comment was not saved; it is still in the form below.")
    else:
        outages.flash_problem(problem, "Send it again only if it is not in the discussion.")
    return render_template("discussion/retry.html", page=page, action=request.path,
                           body=request.form.get("body", ""), section=request.form.get("section", ""))


for _endpoint in ("discussion.discussion", "discussion.reply", "discussion.edit"):
    outages.keeps_input(_endpoint)(_comment_unavailable)
