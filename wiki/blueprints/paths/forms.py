"""Forms of the learning paths: one-click POST actions, each with its CSRF token."""
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length, Regexp

_ID = [DataRequired(message="The form is damaged; reload the page and try again."),
       Regexp(r"\d{1,9}\Z", message="The form is damaged; reload the page and try again.")]


class ProgressForm(FlaskForm):
    """Mark a step done (``done`` = "1") or not done ("0")."""

    path = HiddenField(validators=_ID)
    page = HiddenField(validators=_ID)
    section = HiddenField(validators=[Length(max=255)])
    done = HiddenField(validators=[Regexp(r"[01]\Z", message="The form is damaged; reload the page and try again.")])


class FollowForm(FlaskForm):
    path = HiddenField(validators=_ID)


class VisibilityForm(FlaskForm):
    public = HiddenField(validators=[Regexp(r"[01]\Z", message="The form is damaged; reload the page and try again.")])
