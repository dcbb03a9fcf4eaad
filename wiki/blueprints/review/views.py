"""Review views. Thin: parse the request, call the review service, render."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from datetime import datetime, timezone

from wiki.blueprints.review.forms import VerifyForm
from wiki.core.review import days_phrase, interval_phrase
from wiki.services import review
from wiki.services.errors import InvalidInput, NotFound
from wiki.web.common import wiki_url
from wiki.web.lookup import load

bp = Blueprint("review", __name__)
bp.add_app_template_global(days_phrase, "review_days")  # "1 day", "12 days" (the page's banner too)
bp.add_app_template_global(interval_phrase, "review_interval")  # 90 -> "90 days", 180 -> "6 months"


@bp.get("/-/review")
def review_list():
    """Pages and sections due for review, most overdue first; ``owner``, ``prefix``, ``page``,
    ``soon=1`` (due within two weeks instead)."""
    owner_name = request.args.get("owner", "")
    prefix = request.args.get("prefix", "")
    soon = request.args.get("soon") == "1"
    raw_page = request.args.get("page", "1") or "1"
    now = datetime.now(timezone.utc)
    error, items, more, number = None, [], False, 1
    try:
        if not raw_page.isdigit() or len(raw_page) > 6:
            raise InvalidInput("“page” must be a page number (1, 2, 3 …).", field="page")
        number = int(raw_page)
        owner = review.owner_filter(owner_name)
        items, more = review.due_items(now, owner=owner, prefix=prefix, page_number=number, soon=soon)
    except InvalidInput as invalid:
        error = str(invalid)
    args = {k: v for k, v in (("owner", owner_name), ("prefix", prefix), ("soon", "1" if soon else "")) if v}
    return render_template(
        "review/review_list.html", items=items, now=now, error=error, owner=owner_name, prefix=prefix, soon=soon,
        page_number=number, soon_days=review.SOON_DAYS,
        next_url=url_for("review.review_list", page=number + 1, **args) if more else None,
        previous_url=url_for("review.review_list", page=number - 1, **args) if number > 1 and not error else None,
    ), 400 if error else 200


@bp.post("/wiki/<path:title>/-/verify")
def verify(title):
    """Editors: "Mark verified" for the page (and its sections) or one section."""
    display, page = load(title)
    if page is None:
        abort(404, description=f"There is no page called “{display}”.")
    form = VerifyForm()
    if not form.validate():
        abort(400, description="The verification form is damaged; reload the page and try again.")
    anchor = form.section.data or None
    try:
        what = review.verify(page, current_user, anchor)
    except NotFound as error:
        abort(404, description=str(error))
    except InvalidInput as error:
        abort(400, description=str(error))
    flash(f"Marked {what} as verified: the next review is due one interval from now.", "success")
    return redirect(wiki_url("pages.view", page.title) + (f"#{anchor}" if anchor else ""), code=303)
