"""Admin pages (access: wiki.web.access, admins only). Thin: parse the request, call a service, render."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from wiki.blueprints.admin.forms import ActiveForm, ConfirmForm, InvitationForm, RoleForm
from wiki.web import hosts
from wiki.web.lookup import int_arg
from wiki.models import ROLES
from wiki.services import admin, jobs, linkhealth, review
from wiki.services.errors import DomainError

bp = Blueprint("admin", __name__, url_prefix="/-/admin")

AUDIT_PAGE_SIZE = 100


@bp.get("")
def dashboard():
    """Issue 20: the administration's front page: counts (each one indexed query) and links."""
    return render_template("admin/dashboard.html", users=admin.user_counts(), jobs=jobs.counts(),
                           broken=linkhealth.count(), due=review.due_count())


@bp.get("/users")
def users():
    return render_template("admin/users.html", users=admin.list_users(), roles=ROLES)


@bp.post("/users/<int:user_id>/role")
def set_role(user_id):
    user = admin.get_user(user_id)
    form = RoleForm()
    if not form.validate():
        abort(400, description="Choose one of the roles " + ", ".join(ROLES) + ".")
    try:
        if admin.set_role(current_user, user, form.role.data):
            flash(f"{user.username} is now {'an' if user.role in ('admin', 'editor') else 'a'} {user.role}.", "success")
    except DomainError as error:
        flash(str(error), "error")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:user_id>/active")
def set_active(user_id):
    user = admin.get_user(user_id)
    form = ActiveForm()
    if not form.validate():
        abort(400, description="The form is damaged; reload the page and try again.")
    try:
        if admin.set_active(current_user, user, form.active.data == "1"):
            flash(f"{user.username} is reactivated and can log in again." if user.active
                  else f"{user.username} is deactivated: logged out everywhere, and cannot log in.", "success")
    except DomainError as error:
        flash(str(error), "error")
    return redirect(url_for("admin.users"), code=303)


@bp.route("/invitations", methods=["GET", "POST"])
def invitations():
    form = InvitationForm()
    if not form.is_submitted():
        form.days.data = current_app.config["INVITATION_DAYS"]
    link = None
    status = 200
    if form.is_submitted():
        if form.validate():
            token = admin.create_invitation(current_user, form.role.data, form.note.data or "", form.days.data)
            link = hosts.absolute_or_path(url_for("auth.register", invite=token))  # never the Host header
            flash("Invitation created. Copy the link now: it is shown only once.", "success")
        else:
            status = 400
    mode = current_app.config["REGISTRATION"]
    return render_template("admin/invitations.html", form=form, link=link, mode=mode,
                           invitations=admin.list_invitations(), confirm=ConfirmForm()), status


@bp.post("/invitations/<int:invitation_id>/revoke")
def revoke_invitation(invitation_id):
    if not ConfirmForm().validate():
        abort(400, description="The form is damaged; reload the page and try again.")
    admin.revoke_invitation(current_user, invitation_id)
    flash("The invitation is revoked; its link no longer works.", "success")
    return redirect(url_for("admin.invitations"), code=303)


@bp.get("/audit")
def audit():
    number = int_arg("page", 1) or 1
    events, more = admin.audit_log(number, AUDIT_PAGE_SIZE)
    if number > 1 and not events:
        abort(404, description="The audit log has no such page.")
    def url(n):
        return url_for("admin.audit", page=n)
    return render_template("admin/audit.html", events=events, page_number=number,
                           newer_url=url(number - 1) if number > 1 else None,
                           older_url=url(number + 1) if more else None)


@bp.get("/jobs", endpoint="jobs")
def jobs_page():
    """Background jobs that wait, run or failed, and the queue's state."""
    from wiki.jobqueue import queue_of

    queue = queue_of(current_app._get_current_object())
    broker, waiting = queue.broker_state()
    return render_template("admin/jobs.html", jobs=jobs.listing(), counts=jobs.counts(), queue=queue.kind,
                           broker=broker, waiting=waiting, max_attempts=queue.settings.max_attempts)


@bp.post("/jobs/<int:job_id>/retry")
def retry_job(job_id):
    if not ConfirmForm().validate():
        abort(400, description="The form is damaged; reload the page and try again.")
    if jobs.retry(job_id):
        flash(f"Job {job_id} is queued again.", "success")
    else:
        flash(f"Job {job_id} has not failed (it is done, running or queued already); nothing to retry.", "info")
    return redirect(url_for("admin.jobs"), code=303)
