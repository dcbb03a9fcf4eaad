"""The "Mark verified" form: its CSRF token and, for one section, the section's heading id."""
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import Length


class VerifyForm(FlaskForm):
    section = HiddenField(validators=[Length(max=255, message="A section's id has at most 255 characters.")])
