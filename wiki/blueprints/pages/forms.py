"""Forms for editing pages."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, ValidationError


def no_nul(form, field):
    """PostgreSQL text cannot hold NUL, and a browser would show it as U+FFFD: refuse it by name."""
    if "\x00" in (field.data or ""):
        raise ValidationError("contains a NUL character (U+0000), which a page cannot store; "
                              "remove it (it often comes from pasting binary data) and save again.")
from wtforms.validators import Length, Optional, Regexp

from wiki.services.pages import MAX_SUMMARY_LENGTH


class EditForm(FlaskForm):
    body = TextAreaField("Page text (Markdown)", validators=[no_nul], render_kw={"rows": 24, "spellcheck": "true"})
    summary = StringField(
        "Summary of your change",
        validators=[Optional(), Length(max=MAX_SUMMARY_LENGTH), no_nul],
        render_kw={"maxlength": MAX_SUMMARY_LENGTH, "placeholder": "What did you change, and why?"},
    )
    minor = BooleanField("This is a minor edit (typo, formatting)")
    base_revision = HiddenField(
        validators=[Regexp(r"^\d{1,9}$", message="The form is damaged (bad revision number).")]
    )

    section = HiddenField(
        validators=[Optional(), Regexp(r"^\d{1,6}$", message="The form is damaged (bad section number).")]
    )

    def body_text(self) -> str:
        """The body as saved: browsers send textarea line breaks as CRLF; we store LF."""
        return (self.body.data or "").replace("\r\n", "\n")


class ResolveForm(FlaskForm):
    """The conflict page: the user's text as they wrote it, the two revisions the conflict is
    between, and (read from the request, see conflicts.choices) one choice per conflict."""
    yours = TextAreaField("Your text, as you wrote it", validators=[no_nul], render_kw={"rows": 12, "readonly": True})
    summary = EditForm.summary
    minor = EditForm.minor
    base_revision = HiddenField(
        validators=[Regexp(r"^\d{1,9}$", message="The form is damaged (bad revision number).")])
    theirs_revision = HiddenField(
        validators=[Regexp(r"^\d{1,9}$", message="The form is damaged (bad revision number).")])

    def yours_text(self) -> str:
        return (self.yours.data or "").replace("\r\n", "\n")


class ProtectForm(FlaskForm):
    protection = HiddenField(validators=[AnyOf(("none", "admin"), message="Unknown protection level.")])
