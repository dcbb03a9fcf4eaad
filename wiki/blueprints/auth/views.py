"""Register, log in, log out, change one's password. Rate limits: wiki.web.ratelimit."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from wiki.web import outages, ratelimit
from wiki.blueprints.auth.forms import (EmailForm, ForgotForm, LoginForm, LogoutForm, PasswordForm, RegisterForm,
                                        ResetForm)
from wiki.services import admin, availability, jobs, notifications, preferences, recovery, tokens, users
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
            email = preferences.validate_email(form.email.data or "")  # checked before anything is written
            user = users.create_user(form.username.data, form.password.data, role=role, commit=False,
                                     **_password_settings())
            if invitation is not None:
                admin.use_invitation(invitation, user)
            change = preferences.set_email(user, email or "", commit=False) if email else None
            availability.commit("the new account", committer=jobs.commit)
        except InvalidInput as error:  # includes Conflict (a taken username)
            field = {"password": form.password, "email": form.email}.get(error.field, form.username)
            field.errors = [*field.errors, str(error)]
        else:
            login_user(user)
            note = "" if user.role != "reader" else " You can read and search; an administrator can let you edit."
            if change is not None:
                note += _verification_note(change.email)
            flash(f"Welcome, {user.username}! Your account is ready.{note}", "success")
            return redirect(_next_url(form), code=303)
    return render_template("auth/register.html", form=form, invitation=invitation), 400


def _mail_on() -> bool:
    return notifications.settings_from(current_app.config).mail_on


def _verification_note(email: str) -> str:
    if not _mail_on():
        return (f" Your mail address {email} is kept, but this wiki sends no mail, so it cannot be confirmed "
                "or used for now.")
    return f" A link to confirm {email} is on its way there: open it within 48 hours."


def account_page(form=None, email_form=None, status=200, **extra):
    """The account page with its forms (``extra``: e.g. a token just made, wiki.blueprints.auth.tokens)."""
    me = current_user._get_current_object() if current_user.is_authenticated else None
    prefs = preferences.of(me.id) if me is not None else None
    if email_form is None:
        email_form = EmailForm(data={"email": prefs.email if prefs else ""})
    return render_template("auth/account.html", form=form or PasswordForm(formdata=None), email_form=email_form,
                           prefs=prefs, mail_on=_mail_on(), **extra), status


@bp.route("/-/account", methods=["GET", "POST"])
def account():
    """The account page: its mail address (a form with the field ``email``) and its password."""
    if request.method == "POST" and "email" in request.form:
        return _change_email()
    form = PasswordForm()
    if not form.is_submitted():
        return account_page(form)
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
    return account_page(form, status=400)


def _change_email():
    email_form = EmailForm()
    if email_form.validate():
        try:
            change = preferences.set_email(current_user._get_current_object(), email_form.email.data or "")
        except InvalidInput as error:
            email_form.email.errors = [*email_form.email.errors, str(error)]
        else:
            if change.email is None:
                flash("Your account has no mail address now: you get no mail.", "success")
            elif change.changed:
                flash(f"Your mail address is now {change.email}.{_verification_note(change.email)}", "success")
            else:
                flash(f"Your mail address is already {change.email}.", "info")
            return redirect(url_for("auth.account"), code=303)
    return account_page(email_form=email_form, status=400)


@bp.get("/-/account/verify/<token>")
def verify_email(token):
    """The link mailed to a new address: it is confirmed, and mail may go there."""
    try:
        email = recovery.verify_email(current_app.config["SECRET_KEY"], token)
    except tokens.InvalidToken as error:
        reason = "it has expired" if error.expired else "it is damaged, or the account's address changed since"
        return render_template("auth/verified.html", problem=f"This confirmation link does not work: {reason}. "
                               "Log in and save your address again on your account page to get a new link."), 400
    return render_template("auth/verified.html", email=email, problem=None)


FORGOT_ANSWER = ("If an account with a confirmed mail address matches, a link to choose a new password is on "
                 "its way there. It works once, within an hour. No mail? Check the spelling, or ask an "
                 "administrator.")


@bp.route("/-/forgot", methods=["GET", "POST"])
def forgot():
    """"Forgot password?": the same answer whether or not the account exists; rate-limited."""
    form = ForgotForm()
    if not form.is_submitted():
        return render_template("auth/forgot.html", form=form, mail_on=_mail_on())
    if form.validate():
        ratelimit.check_and_hit("PASSWORD_RESETS_PER_IP", ratelimit.client_address())
        ratelimit.check_and_hit("PASSWORD_RESETS_PER_ACCOUNT", form.account.data.strip().casefold())
        if _mail_on():
            recovery.request_reset(form.account.data)
        flash(FORGOT_ANSWER if _mail_on() else
              "This wiki sends no mail, so it cannot send a reset link: ask an administrator to set a new password.",
              "info")
        return redirect(url_for("auth.login"), code=303)
    return render_template("auth/forgot.html", form=form, mail_on=_mail_on()), 400


def _reset_problem(error: tokens.InvalidToken):
    reason = "it has expired" if error.expired else "it was used already, or it is damaged"
    return render_template("auth/reset.html", form=None, problem=f"This password reset link does not work: "
                           f"{reason}. Ask for a new one."), 400


@bp.route("/-/reset/<token>", methods=["GET", "POST"])
def reset(token):
    """The link of a reset mail: choose a new password; every session of the account ends."""
    secret = current_app.config["SECRET_KEY"]
    try:
        user = recovery.reset_user(secret, token)
    except tokens.InvalidToken as error:
        return _reset_problem(error)
    form = ResetForm()
    if not form.is_submitted():
        return render_template("auth/reset.html", form=form, username=user.username, problem=None)
    if form.validate():
        try:
            recovery.reset_password(secret, token, form.password.data, **_password_settings())
        except tokens.InvalidToken as error:
            return _reset_problem(error)
        except InvalidInput as error:
            form.password.errors = [*form.password.errors, str(error)]
        else:
            if current_user.is_authenticated:
                logout_user()
            flash("Your password is changed, and every session of your account is logged out. Log in with the "
                  "new password.", "success")
            return redirect(url_for("auth.login"), code=303)
    return render_template("auth/reset.html", form=form, username=user.username, problem=None), 400


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
    return render_template("auth/account.html", form=PasswordForm(formdata=None), email_form=EmailForm(formdata=None),
                           prefs=None, mail_on=False, outage=problem)


@bp.post("/-/logout")
def logout():
    if LogoutForm().validate() and current_user.is_authenticated:
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("pages.index"), code=303)
