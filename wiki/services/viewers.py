"""What a logged-in page view shows of its viewer beyond the page (issue 21): the header's
unread count and the page's watch state, in one prebuilt statement (one round trip)."""
from sqlalchemy import and_, bindparam, exists, func, or_, select

from wiki.extensions import db
from wiki.models import Notification, Page, User, Watch


def _header_columns(user, page_id, title_key):
    """The unread count and the watch state of ``user`` for the page ``page_id`` / ``title_key``
    (bound parameters, or the columns of a page row the statement reads)."""
    unread = (select(func.count()).select_from(Notification)
              .where(Notification.user_id == user, Notification.read_at.is_(None))
              .scalar_subquery())
    watching = exists().where(Watch.user_id == user, or_(
        Watch.page_id == page_id,
        and_(Watch.prefix.is_not(None), func.substr(title_key, 1, func.length(Watch.prefix)) == Watch.prefix)))
    return unread, watching


_UNREAD, _WATCHING = _header_columns(bindparam("user"), bindparam("page"), bindparam("key"))
_STATE = select(_UNREAD.label("unread"), _WATCHING.label("watching"))


def header_state(user_id: int, page_id: int, title_key: str, connection=None) -> tuple[int, bool]:
    """(unread notifications, whether the user watches the page directly or by a prefix):
    the same answers as notifications.unread_count and watching.is_watching (the header in
    Flask; the door in front of it reads the same columns in the page's statement, below).
    ``connection``: another than the session's."""
    connection = connection if connection is not None else db.session.connection()
    row = connection.execute(_STATE, {"user": user_id, "page": page_id, "key": title_key}).one()
    return int(row.unread or 0), bool(row.watching)


def page_view_columns():
    """The viewer's part of a logged-in page view, as columns to add to the page's own state
    statement (wiki.web.frames): the account (what Flask-Login's user loader checks), the unread
    count and the watch state (what ``header_state`` reads), for ``:viewer`` and the page row
    of that statement, so that the whole view needs one statement: one round trip."""
    unread, watching = _header_columns(bindparam("viewer"), Page.id, Page.title_key)
    account = [select(column).where(User.id == bindparam("viewer")).scalar_subquery().label(f"viewer_{column.key}")
               for column in (User.username, User.role, User.active, User.session_token)]
    return [*account, unread.label("viewer_unread"), watching.label("viewer_watching")]
