"""Register, log in, log out, change one's password. Rate limits: wiki.web.ratelimit."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from wiki.web import outages, ratelimit
from wiki.blueprints.auth.forms import LoginForm, LogoutForm, PasswordForm, RegisterForm
from wiki.services import admin, availability, users
from wiki.services.errors import InvalidInput
from wiki.web.common import is_safe_next

bp = Blueprint("auth", __name__)


def _next_url(form) -> str:
    """Where to go after logging in: the asked-for local path, else the home page."""
    target = form.next.data or request.args.get("next")
    return target if is_safe_next(target) else url_for("pages.index")


def _password_settings() -> dict:
    return {"min_length": current_app.config["MIN_PASSWORD_LENGTH"],
            "hash_method": current_app.config["PASSWORD_HASH_METHOD"]}


@bp.route("/-/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        return render_template("auth/login.html", form=form)
    if form.validate():
        account = users.username_key(form.username.data)
        # Refused before the password is even checked, so guessing gains nothing.
        ratelimit.check("LOGIN_FAILURES_PER_IP", ratelimit.client_address())
        ratelimit.check("LOGIN_FAILURES_PER_ACCOUNT", account)
        user = users.authenticate(form.username.data, form.password.data,
                                  hash_method=current_app.config["PASSWORD_HASH_METHOD"])
        if user is not None:
            login_user(user)
            flash(f"Welcome back, {user.username}.", "success")
            return redirect(_next_url(form), code=303)
        ratelimit.hit("LOGIN_FAILURES_PER_IP", ratelimit.client_address())
        ratelimit.hit("LOGIN_FAILURES_PER_ACCOUNT", account)
        flash("Wrong username or password.", "error")
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


def _registration_closed(invite_token: str):
    """(message, invitation): why registering is not possible now, or the invitation to use."""
    mode = current_app.config["REGISTRATION"]
    if mode == "open":
        return None, None
    if mode == "invite":
        if not invite_token:
            return "This wiki is open by invitation only: ask an administrator for an invitation link.", None
        invitation = admin.find_invitation(invite_token)
        if invitation is None:
            return "This invitation link is not valid: it has expired, was used already or was revoked. " \
                   "Ask an administrator for a new one.", None
        return None, invitation
    return "Registration is closed on this wiki. Ask an administrator for an account.", None


@bp.route("/-/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        form.invite.data = request.args.get("invite", "")
    closed, invitation = _registration_closed(form.invite.data or "")
    if closed:
        return render_template("auth/register.html", form=None, closed=closed), 403
    if request.method == "GET":
        return render_template("auth/register.html", form=form, invitation=invitation)
    if form.validate():
        ratelimit.check_and_hit("REGISTRATIONS_PER_IP", ratelimit.client_address())
        role = invitation.role if invitation else current_app.config["NEW_ACCOUNT_ROLE"]
        try:
            user = users.create_user(form.username.data, form.password.data, role=role,
                                     commit=invitation is None, **_password_settings())
            if invitation is not None:
                admin.use_invitation(invitation, user)
                availability.commit("the new account")
        except InvalidInput as error:  # includes Conflict (a taken username)
            field = form.password if error.field == "password" else form.username
            field.errors = [*field.errors, str(error)]
        else:
            login_user(user)
            note = "" if user.role != "reader" else " You can read and search; an administrator can let you edit."
            flash(f"Welcome, {user.username}! Your account is ready.{note}", "success")
            return redirect(_next_url(form), code=303)
    return render_template("auth/register.html", form=form, invitation=invitation), 400


@bp.route("/-/account", methods=["GET", "POST"])
def account():
    form = PasswordForm()
    if not form.is_submitted():
        return render_template("auth/account.html", form=form)
    if form.validate():
        try:
            users.change_password(current_user._get_current_object(), form.current_password.data,
                                  form.password.data, **_password_settings())
        except InvalidInput as error:
            field = form.current_password if error.field == "current_password" else form.password
            field.errors = [*field.errors, str(error)]
        else:
            login_user(current_user._get_current_object())  # this session goes on with the new token
            flash("Your password is changed. Every other session of your account is logged out.", "success")
            return redirect(url_for("auth.account"), code=303)
    return render_template("auth/account.html", form=form), 400


@outages.keeps_input("auth.login")
def login_unavailable(problem: outages.Problem):
    """The login form again with the username (never the password)."""
    if request.method != "POST":
        return None
    form = LoginForm()
    outages.flash_problem(problem, "You are not logged in yet: log in again in a few seconds.")
    return render_template("auth/login.html", form=form, outage=problem)


@outages.keeps_input("auth.register")
def register_unavailable(problem: outages.Problem):
    """The registration form again with the username (never the passwords)."""
    if request.method != "POST":
        return None
    if problem.changed_nothing:
        kept = "No account was created; choose your password again and register in a few seconds."
    else:
        kept = "Try logging in with the password you chose before registering again."
    outages.flash_problem(problem, kept)
    return render_template("auth/register.html", form=RegisterForm(), invitation=None, outage=problem)


@outages.keeps_input("auth.account")
def account_unavailable(problem: outages.Problem):
    """The password form again, empty: passwords are never sent back."""
    if request.method != "POST":
        return None
    if problem.changed_nothing:
        outages.flash_problem(problem, "Your password was not changed; try again in a few seconds.")
    else:
        outages.flash_problem(problem, "Try logging in with the new password in another browser to find out.")
    return render_template("auth/account.html", form=PasswordForm(), outage=problem)


@bp.post("/-/logout")
def logout():
    if LogoutForm().validate() and current_user.is_authenticated:
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("pages.index"), code=303)
