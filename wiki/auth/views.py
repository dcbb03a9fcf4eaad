"""Register, log in, log out."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from wiki.auth.forms import LoginForm, LogoutForm, RegisterForm
from wiki.services import users
from wiki.services.errors import InvalidInput
from wiki.web import is_safe_next

bp = Blueprint("auth", __name__)


def _next_url(form) -> str:
    """Where to go after logging in: the asked-for local path, else the home page."""
    target = form.next.data or request.args.get("next")
    return target if is_safe_next(target) else url_for("pages.index")


@bp.route("/-/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        return render_template("auth/login.html", form=form)
    if form.validate():
        user = users.authenticate(form.username.data, form.password.data)
        if user is not None:
            login_user(user)
            flash(f"Welcome back, {user.username}.", "success")
            return redirect(_next_url(form), code=303)
        flash("Wrong username or password.", "error")
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


@bp.route("/-/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        return render_template("auth/register.html", form=form)
    if form.validate():
        try:
            user = users.create_user(form.username.data, form.password.data)
        except InvalidInput as error:  # includes Conflict (a taken username)
            field = form.password if error.field == "password" else form.username
            field.errors = [*field.errors, str(error)]
        else:
            login_user(user)
            flash(f"Welcome, {user.username}! Your account is ready.", "success")
            return redirect(_next_url(form), code=303)
    return render_template("auth/register.html", form=form), 400


@bp.post("/-/logout")
def logout():
    if LogoutForm().validate() and current_user.is_authenticated:
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("pages.index"), code=303)
