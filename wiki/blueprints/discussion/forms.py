"""Forms of the discussion pages."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField


class ThreadForm(FlaskForm):
    """A new thread: its first comment, and the heading id of the section it is about."""

    body = TextAreaField("Comment (Markdown)", render_kw={"rows": 6})
    section = HiddenField()


class CommentForm(FlaskForm):
    """A reply, or the new text of one's own comment."""

    body = TextAreaField("Comment (Markdown)", render_kw={"rows": 4})


class ActionForm(FlaskForm):
    """Field-less: a one-click action's CSRF token (resolve, hide, lock)."""
