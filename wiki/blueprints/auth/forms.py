"""Account forms."""
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from wtforms import HiddenField, PasswordField, SelectField, StringField
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


class TokenForm(FlaskForm):
    """A new personal access token for the JSON API (issue 17)."""
    name = StringField("Name", validators=[DataRequired(message="Give the token a name."), Length(max=100)],
                       render_kw={"maxlength": 100, "placeholder": "e.g. my page editor"})
    scope = SelectField("Scope", choices=[SelectChoice("read", "read: read pages, history, search"),
                                          SelectChoice("write", "write: also create and edit pages")], default="read")
    days = SelectField("Expires", choices=[SelectChoice(days, label) for days, label in (
        ("7", "in 7 days"), ("30", "in 30 days"), ("90", "in 90 days"), ("365", "in a year"), ("0", "never"))],
        default="30")
