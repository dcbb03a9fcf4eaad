"""The upload form: multipart ``file``, optional ``name``, ``csrf_token``."""
from flask_wtf import FlaskForm
from wtforms import FileField, StringField
from wtforms.validators import Length, Optional

from wiki.core.files import MAX_NAME_LENGTH


class UploadForm(FlaskForm):
    file = FileField("File")
    name = StringField("Name (optional: the file's own name otherwise)",
                       validators=[Optional(), Length(max=MAX_NAME_LENGTH * 4)],
                       render_kw={"maxlength": MAX_NAME_LENGTH, "placeholder": "e.g. architecture.png"})


class ConfirmForm(FlaskForm):
    """Field-less: the CSRF token of delete and restore."""
