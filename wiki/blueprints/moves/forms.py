"""Forms for moving and deleting pages."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length


class RenameForm(FlaskForm):
    new_title = StringField("New title", validators=[
        DataRequired(message="Give the new title."), Length(max=1000)])
    leave_redirect = BooleanField("Leave a redirect behind, so links and bookmarks to the old title keep working",
                                  default=True)
    rewrite_links = BooleanField("Update links on pages that link to the old title (one new revision per page)")


class ConfirmForm(FlaskForm):
    """Field-less: a confirmation button's CSRF token (delete, restore)."""


class DeleteForm(FlaskForm):
    reason = StringField("Reason (shown in recent changes and told to the page's watchers)",
                         validators=[Length(max=300, message="A reason has at most 300 characters.")])
