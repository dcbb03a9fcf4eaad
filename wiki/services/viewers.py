"""What a logged-in page view shows of its viewer beyond the page (issue 21): the header's
unread count and the page's watch state, in one prebuilt statement (one round trip)."""
from sqlalchemy import and_, bindparam, exists, func, or_, select

from wiki.extensions import db
from wiki.models import Notification, User, Watch

_STATE = select(
    select(func.count()).select_from(Notification)
    .where(Notification.user_id == bindparam("user"), Notification.read_at.is_(None))
    .scalar_subquery().label("unread"),
    exists().where(Watch.user_id == bindparam("user"), or_(
        Watch.page_id == bindparam("page"),
        and_(Watch.prefix.is_not(None),
             func.substr(bindparam("key"), 1, func.length(Watch.prefix)) == Watch.prefix))).label("watching"),
)


def header_state(user_id: int, page_id: int, title_key: str, connection=None) -> tuple[int, bool]:
    """(unread notifications, whether the user watches the page directly or by a prefix):
    the same answers as notifications.unread_count and watching.is_watching. ``connection``:
    another than the session's (wiki.web.frames' door in front of Flask)."""
    connection = connection if connection is not None else db.session.connection()
    row = connection.execute(_STATE, {"user": user_id, "page": page_id, "key": title_key}).one()
    return int(row.unread or 0), bool(row.watching)


_ACCOUNT = select(User.username, User.role, User.active, User.session_token).where(User.id == bindparam("id"))


def session_account(connection, user_id: int):
    """(username, role, active, session_token) of an account, or None: what
    wiki.web.common._load_user checks, without building the ORM object."""
    return connection.execute(_ACCOUNT, {"id": user_id}).first()
