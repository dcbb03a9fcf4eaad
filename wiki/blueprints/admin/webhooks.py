"""Admin pages for webhooks (issue 17): list and add, one webhook's delivery log, delete."""
import secrets

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from wiki.blueprints.admin.forms import ConfirmForm, WebhookForm
from wiki.blueprints.admin.views import bp
from wiki.extensions import db
from wiki.models import Webhook
from wiki.services import webhooks
from wiki.services.errors import InvalidInput


@bp.route("/webhooks", methods=["GET", "POST"], endpoint="webhooks")
def webhooks_page():
    form = WebhookForm()
    status = 200
    if not form.is_submitted():
        form.secret.data = secrets.token_urlsafe(24)  # a good secret unless the admin brings one
    elif form.validate():
        try:
            hook = webhooks.create_webhook(current_user._get_current_object(), form.url.data or "",
                                           form.secret.data or "", form.events.data or [],
                                           allow_private=bool(current_app.config["WEBHOOKS_ALLOW_PRIVATE"]))
        except InvalidInput as error:
            target = {"events": form.events, "secret": form.secret}.get(error.field, form.url)
            target.errors = [*target.errors, str(error)]
            status = 400
        else:
            flash(f"Webhook {hook.id} added: {hook.url} receives {hook.events.replace(',', ', ')}.", "success")
            return redirect(url_for("admin.webhook", webhook_id=hook.id), code=303)
    else:
        status = 400
    return render_template("admin/webhooks.html", form=form, hooks=webhooks.listing(), confirm=ConfirmForm(),
                           allow_private=current_app.config["WEBHOOKS_ALLOW_PRIVATE"]), status



@bp.get("/webhooks/<int:webhook_id>")
def webhook(webhook_id):
    hook = db.session.get(Webhook, webhook_id) or abort(404, description="There is no such webhook.")
    return render_template("admin/webhook.html", hook=hook, deliveries=webhooks.deliveries(hook),
                           confirm=ConfirmForm())


@bp.post("/webhooks/<int:webhook_id>/delete")
def delete_webhook(webhook_id):
    hook = db.session.get(Webhook, webhook_id) or abort(404, description="There is no such webhook.")
    if not ConfirmForm().validate():
        abort(400, description="The form is damaged; reload the page and try again.")
    webhooks.delete_webhook(current_user._get_current_object(), hook)
    flash("The webhook is deleted, with its delivery log.", "success")
    return redirect(url_for("admin.webhooks"), code=303)
