"""Administration forms."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField
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
