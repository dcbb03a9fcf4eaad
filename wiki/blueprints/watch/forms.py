"""Forms for watching and for notification preferences."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length


class ActionForm(FlaskForm):
    """Field-less: a one-click action's CSRF token (watch, mark all seen, feed key)."""


class PrefixForm(FlaskForm):
    prefix = StringField("Watch every page whose title starts with", validators=[
        DataRequired(message="Give the beginning of the titles to watch, such as “concepts/”."), Length(max=255)],
        render_kw={"placeholder": "concepts/"})


class PreferencesForm(FlaskForm):
    mail = RadioField("Mail me about changes", choices=[
        SelectChoice("immediate", "Right away (at most one mail per page every few minutes)"),
        SelectChoice("daily", "Once a day, in a digest"),
        SelectChoice("never", "Never: only in the wiki")], default="immediate",
        validate_choice=True)
    auto_watch = BooleanField("Watch the pages I create or edit", default=True)
