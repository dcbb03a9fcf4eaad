"""Administration forms."""
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from wtforms import HiddenField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.validators import AnyOf, Length, NumberRange

from wiki.models import ROLES


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=list(ROLES))


class ActiveForm(FlaskForm):
    active = HiddenField(validators=[AnyOf(("0", "1"), message="The form is damaged.")])


class InvitationForm(FlaskForm):
    role = SelectField("Role of the new account", choices=list(ROLES), default="editor")
    days = IntegerField("Valid for (days)", default=7,
                        validators=[NumberRange(min=1, max=365, message="Between 1 and 365 days.")])
    note = StringField("Note (who it is for)", validators=[Length(max=200)],
                       render_kw={"maxlength": 200, "placeholder": "e.g. Ada from the Tuesday study group"})


class ConfirmForm(FlaskForm):
    """Field-less: a button's CSRF token."""


class WebhookForm(FlaskForm):
    """A new webhook (issue 17): where, with which secret, for which events."""
    url = StringField("URL", validators=[Length(max=2000)],
                      render_kw={"maxlength": 2000, "placeholder": "https://example.org/nexus-hook", "type": "url"})
    secret = StringField("Secret (16 to 200 characters)", validators=[Length(max=200)],
                         render_kw={"maxlength": 200, "autocomplete": "off"})
    events = SelectMultipleField("Events", choices=[SelectChoice("page.saved", "page.saved: a page got a new revision"),
                                                    SelectChoice("page.renamed", "page.renamed: a page was renamed"),
                                                    SelectChoice("page.deleted", "page.deleted: a page was deleted"),
                                                    SelectChoice("comment.created",
                                                                 "comment.created: a comment was posted in a discussion")],
                                 default=["page.saved"], widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput())
