"""Watch buttons, the watchlist (and its private feed), notifications, their preferences and
the unsubscribe link mailed with every notification. Thin: parse, call a service, render."""
from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for)
from flask_login import current_user

from wiki.blueprints.watch.forms import ActionForm, PrefixForm, PreferencesForm
from wiki.core import notices
from wiki.extensions import csrf
from wiki.services import notifications, preferences, tokens, watching
from wiki.services.errors import InvalidInput
from wiki.web import hosts
from wiki.web.common import is_safe_next, wiki_url
from wiki.web.lookup import int_arg, live_page

bp = Blueprint("watch", __name__)

DAMAGED = "The form is damaged; reload the page and try again."


def _me():
    return current_user._get_current_object()


def _mail_on() -> bool:
    return notifications.settings_from(current_app.config).mail_on


@bp.post("/wiki/<path:title>/-/watch")
def watch(title):
    """Watch the page; ``?unwatch`` (or a form field ``unwatch``) stops watching it."""
    page, _response = live_page(title, "watch.watch")
    if not ActionForm().validate():
        abort(400, description=DAMAGED)
    name = page.title  # read before the commit
    if "unwatch" in request.args or "unwatch" in request.form:
        if watching.unwatch(_me(), page):
            flash(f"You no longer watch “{name}”.", "success")
        else:
            flash(f"You do not watch “{name}” itself"
                  + (" (a title prefix you watch still covers it: see your watchlist)." if watching.is_watching(
                      current_user.id, page) else "."), "info")
    else:
        watching.watch(_me(), page)
        flash(f"You watch “{name}”: changes by others show on your watchlist and in your notifications.",
              "success")
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else wiki_url("pages.view", name), code=303)


@bp.get("/-/watchlist")
def watchlist():
    me = _me()
    listing = watching.watchlist(me)
    prefs = preferences.of(me.id)
    feed_url = hosts.absolute_or_path(url_for("watch.watchlist_feed", key=prefs.feed_token)) \
        if prefs.feed_token else None
    return render_template("watch/watchlist.html", listing=listing, watches=watching.watches(me),
                           prefix_form=PrefixForm(), feed_url=feed_url)


@bp.post("/-/watchlist/seen")
def mark_seen():
    if not ActionForm().validate():
        abort(400, description=DAMAGED)
    watching.mark_seen(_me())
    flash("Every change on your watchlist is marked as seen.", "success")
    return redirect(url_for("watch.watchlist"), code=303)


@bp.post("/-/watchlist/prefix")
def watch_prefix():
    form = PrefixForm()
    me = _me()
    if form.validate():
        try:
            prefix = watching.watch_prefix(me, form.prefix.data)
        except InvalidInput as error:
            form.prefix.errors = [str(error)]
        else:
            flash(f"You watch every page whose title starts with “{prefix}”.", "success")
            return redirect(url_for("watch.watchlist"), code=303)
    prefs = preferences.of(me.id)
    feed_url = hosts.absolute_or_path(url_for("watch.watchlist_feed", key=prefs.feed_token)) \
        if prefs.feed_token else None
    return render_template("watch/watchlist.html", listing=watching.watchlist(me), watches=watching.watches(me),
                           prefix_form=form, feed_url=feed_url), 400


@bp.post("/-/watchlist/unwatch/<int:watch_id>")
def unwatch(watch_id):
    if not ActionForm().validate():
        abort(400, description=DAMAGED)
    if not watching.unwatch_by_id(_me(), watch_id):
        abort(404, description="You have no such watch; it may have been removed already.")
    flash("Removed from your watchlist.", "success")
    return redirect(url_for("watch.watchlist"), code=303)


@bp.post("/-/watchlist/feed")
def feed_key():
    """A new private feed address (the old one stops working), or none (``revoke``)."""
    if not ActionForm().validate():
        abort(400, description=DAMAGED)
    if "revoke" in request.form:
        preferences.revoke_feed(_me())
        flash("Your watchlist feed address no longer works.", "success")
    else:
        preferences.new_feed_key(_me())
        flash("Your watchlist has a new private feed address; any older one no longer works.", "success")
    return redirect(url_for("watch.watchlist"), code=303)


@bp.get("/-/watchlist.atom")
def watchlist_feed():
    """The watchlist as Atom, for feed readers (which send no cookies): the key is the login."""
    user = preferences.feed_user(request.args.get("key", ""))
    if user is None:
        abort(404, description="This watchlist feed address is not valid: it was replaced or revoked. "
                               "Copy the current one from your watchlist.")
    rows = watching.watchlist(user, limit=50).rows
    self_path = url_for("watch.watchlist_feed", key=request.args["key"])
    body = render_template("changes/atom.xml", feed_title=f"{current_app.config['SITE_NAME']}: {user.username}'s "
                                                           "watchlist",
                           feed_id=hosts.atom_id(url_for("watch.watchlist"), "watchlist", user.id),
                           self_url=hosts.absolute_or_path(self_path),
                           alternate_url=hosts.absolute_or_path(url_for("watch.watchlist")), rows=rows)
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/-/notifications")
def notifications_list():
    number = int_arg("page", 1) or 1
    rows, more = notifications.listing(current_user.id, number)
    events = [(row, notices.describe(notices.Event(row.kind, row.title, row.actor.username if row.actor else None,
                                                   row.summary, row.number))) for row in rows]
    return render_template("watch/notifications.html", events=events, page_number=number,
                           newer_url=url_for("watch.notifications_list", page=number - 1) if number > 1 else None,
                           older_url=url_for("watch.notifications_list", page=number + 1) if more else None)


@bp.get("/-/notifications/<int:notification_id>")
def open_notification(notification_id):
    """Mark one notification read and go where it points (the diff, or the page)."""
    item = notifications.open_notification(current_user.id, notification_id)
    if item is None:
        abort(404, description="You have no such notification.")
    return redirect(notifications.target_path(item), code=303)


@bp.post("/-/notifications/read")
def mark_read():
    if not ActionForm().validate():
        abort(400, description=DAMAGED)
    notifications.mark_all_read(current_user.id)
    flash("Every notification is marked as read.", "success")
    return redirect(url_for("watch.notifications_list"), code=303)


@bp.route("/-/notifications/preferences", methods=["GET", "POST"])
def preferences_page():
    me = _me()
    prefs = preferences.of(me.id)
    form = PreferencesForm(data={"mail": prefs.mail, "auto_watch": prefs.auto_watch})
    if form.is_submitted():
        form = PreferencesForm()
        if form.validate():
            preferences.set_choices(me, form.mail.data, form.auto_watch.data)
            flash("Your notification preferences are saved.", "success")
            return redirect(url_for("watch.preferences_page"), code=303)
    status = 400 if form.errors else 200
    return render_template("watch/preferences.html", form=form, prefs=prefs, mail_on=_mail_on()), status


@csrf.exempt
@bp.route("/-/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token):
    """The link in every notification mail. GET asks to confirm with one button (link
    scanners open GETs); POST stops the mail: from that button or straight from a mail
    client (RFC 8058 one-click, List-Unsubscribe-Post), authenticated by the signed link
    itself, so it needs no session and no CSRF token."""
    try:
        user_id = notices.payload_user(tokens.load(current_app.config["SECRET_KEY"], notices.UNSUBSCRIBE, token))
    except tokens.InvalidToken:
        user_id = None
    if user_id is None:
        abort(400, description="This unsubscribe link's security token is not valid: it is damaged or was not "
                               "made by this wiki. Change your mail preferences after logging in instead.")
    if request.method == "GET":
        return render_template("watch/unsubscribe.html", token=token, done=False)
    if not preferences.stop_mail(user_id):
        abort(404, description="This account no longer exists.")
    return render_template("watch/unsubscribe.html", token=token, done=True)
