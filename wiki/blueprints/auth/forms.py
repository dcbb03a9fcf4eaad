"""Account forms."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from wiki.services.users import MAX_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(message="Enter your username."), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField("Password", validators=[DataRequired(message="Enter your password.")],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class RegisterForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(message="Choose a username."), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField("Password", validators=[
        DataRequired(message="Choose a password."), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "new-password"})
    password_confirm = PasswordField("Repeat the password", validators=[
        DataRequired(message="Repeat the password."),
        EqualTo("password", message="The two passwords differ.")],
        render_kw={"autocomplete": "new-password"})
    email = StringField("Mail address (optional)", validators=[Optional(), Length(max=254)],
                        render_kw={"autocomplete": "email", "type": "email", "inputmode": "email"})
    next = HiddenField()
    invite = HiddenField()


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[
        DataRequired(message="Enter your current password.")], render_kw={"autocomplete": "current-password"})
    password = PasswordField("New password", validators=[
        DataRequired(message="Choose a new password."), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "new-password"})
    password_confirm = PasswordField("Repeat the new password", validators=[
        DataRequired(message="Repeat the new password."),
        EqualTo("password", message="The two passwords differ.")],
        render_kw={"autocomplete": "new-password"})


class LogoutForm(FlaskForm):
    """Field-less: gives the logout button its CSRF token."""


class EmailForm(FlaskForm):
    """The account's mail address; empty removes it."""
    email = StringField("Mail address", validators=[Length(max=254)],
                        render_kw={"autocomplete": "email", "type": "email", "inputmode": "email"})


class ForgotForm(FlaskForm):
    account = StringField("Username or mail address", validators=[
        DataRequired(message="Give your username or your mail address."), Length(max=254)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"})


class ResetForm(FlaskForm):
    password = PasswordField("New password", validators=[
        DataRequired(message="Choose a new password."), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "new-password"})
    password_confirm = PasswordField("Repeat the new password", validators=[
        DataRequired(message="Repeat the new password."),
        EqualTo("password", message="The two passwords differ.")],
        render_kw={"autocomplete": "new-password"})
