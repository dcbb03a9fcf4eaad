"""What a logged-in page view shows of its viewer beyond the page (issue 21): the header's
unread count and the page's watch state, in one prebuilt statement (one round trip)."""
from sqlalchemy import and_, bindparam, exists, func, or_, select

from wiki.extensions import db
from wiki.models import Notification, Page, User, Watch

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


def page_view_columns():
    """The viewer's part of a logged-in page view, as columns to add to the page's own state
    statement (wiki.web.frames): the account (what Flask-Login's user loader checks), the unread
    count and the watch state (what ``header_state`` reads), for ``:viewer`` and the page row
    of that statement, so that the whole view needs one statement: one round trip."""
    unread = (select(func.count()).select_from(Notification)
              .where(Notification.user_id == bindparam("viewer"), Notification.read_at.is_(None))
              .scalar_subquery().label("viewer_unread"))
    watching = exists().where(Watch.user_id == bindparam("viewer"), or_(
        Watch.page_id == Page.id,
        and_(Watch.prefix.is_not(None), func.substr(Page.title_key, 1, func.length(Watch.prefix)) == Watch.prefix),
    )).label("viewer_watching")
    account = [select(column).where(User.id == bindparam("viewer")).scalar_subquery().label(f"viewer_{column.key}")
               for column in (User.username, User.role, User.active, User.session_token)]
    return [*account, unread, watching]
