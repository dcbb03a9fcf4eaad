"""An account's mail address and notification choices (``UserPreferences``).

The address is optional and private: only its owner's pages show it, and exports leave it
out unless asked. It is used for mail only once verified by the signed link mailed to it
(``wiki.services.notifications`` sends that mail as a job); a changed address is verified
again. A missing row means the defaults.
"""
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update

from wiki.core.mail import clean_email
from wiki.core.notices import MAIL_CHOICES
from wiki.extensions import db
from wiki.models import Notification, User, UserPreferences, utcnow
from wiki.services import availability
from wiki.services.errors import InvalidInput


def of(user_id: int) -> UserPreferences:
    """The user's preferences (a new, unsaved row with the defaults if they have none)."""
    prefs = db.session.get(UserPreferences, user_id)
    if prefs is None:
        prefs = UserPreferences(user_id=user_id, mail="immediate", auto_watch=True)
    return prefs


def _stored(user_id: int) -> UserPreferences:
    prefs = of(user_id)
    if prefs not in db.session:
        db.session.add(prefs)
    return prefs


def validate_email(value: str) -> str | None:
    """The address cleaned, None for an empty field; raises InvalidInput with the reason."""
    if not (value or "").strip():
        return None
    try:
        return clean_email(value)
    except ValueError as error:
        raise InvalidInput(str(error), field="email") from None


@dataclass(frozen=True)
class EmailChange:
    email: str | None  # the new address (None: removed)
    changed: bool  # False: it was the same address already
    needs_verification: bool  # a verification mail is to be sent


def set_email(user: User, value: str, commit: bool = True) -> EmailChange:
    """Give the account ``value`` as its address (empty: none), unverified until its link is
    opened. The same address again changes nothing. Raises InvalidInput."""
    email = validate_email(value)
    prefs = _stored(user.id)
    if email == prefs.email:
        return EmailChange(email, False, email is not None and prefs.email_verified_at is None)
    prefs.email, prefs.email_verified_at = email, None
    if email is not None:
        from wiki.services import notifications  # it imports this module

        notifications.queue_verification(user.id, email)
    if commit:
        from wiki.services import jobs

        availability.commit("your mail address", committer=jobs.commit)
    return EmailChange(email, True, email is not None)


def mark_verified(user_id: int, email: str) -> bool:
    """The address ``email`` of this user is verified (its link was opened). False when the
    account no longer has that address (changed since: the link is stale)."""
    prefs = db.session.get(UserPreferences, user_id)
    if prefs is None or prefs.email is None or prefs.email.casefold() != email.casefold():
        return False
    if prefs.email_verified_at is None:
        prefs.email_verified_at = utcnow()
        availability.commit("the verification of your mail address")
    return True


def verified_email(user_id: int) -> str | None:
    """The address mail may go to, or None."""
    prefs = db.session.get(UserPreferences, user_id)
    return prefs.email if prefs is not None and prefs.email_verified_at is not None else None


def users_with_email(address: str) -> list[User]:
    """Active accounts whose verified address is ``address`` (any letter case)."""
    return list(db.session.scalars(
        select(User).join(UserPreferences, UserPreferences.user_id == User.id)
        .where(db.func.lower(UserPreferences.email) == address.strip().lower(),
               UserPreferences.email_verified_at.is_not(None), User.active.is_(True))
    ))


def set_choices(user: User, mail: str, auto_watch: bool) -> None:
    """How often mail comes (``MAIL_CHOICES``) and whether edits watch their page."""
    if mail not in MAIL_CHOICES:
        raise InvalidInput(f"Choose how often mail comes: {', '.join(MAIL_CHOICES)}.", field="mail")
    prefs = _stored(user.id)
    prefs.mail, prefs.auto_watch = mail, bool(auto_watch)
    if mail == "never":
        _drop_pending_mail(user.id)
    availability.commit("your notification preferences")


def _drop_pending_mail(user_id: int) -> None:
    """Mail that was waiting (batching, the digest) is not sent after all."""
    db.session.execute(update(Notification).where(Notification.user_id == user_id, Notification.mail == "due")
                       .values(mail="no").execution_options(synchronize_session=False))


def stop_mail(user_id: int) -> bool:
    """The unsubscribe link: no more mail for this account. False if there is no account."""
    if db.session.get(User, user_id) is None:
        return False
    prefs = _stored(user_id)
    prefs.mail = "never"
    _drop_pending_mail(user_id)
    availability.commit("unsubscribing")
    return True


# --- The private watchlist feed -------------------------------------------------------

def new_feed_key(user: User) -> str:
    """A new private key for the watchlist feed's URL; any older one stops working. Kept as
    it is (like the session token) so its owner can copy the URL again later."""
    key = secrets.token_urlsafe(32)
    prefs = _stored(user.id)
    prefs.feed_token = key
    availability.commit("your watchlist feed")
    return key


def revoke_feed(user: User) -> None:
    """The feed's URL stops working."""
    prefs = _stored(user.id)
    prefs.feed_token = None
    availability.commit("your watchlist feed")


def feed_user(key: str) -> User | None:
    """The active account whose watchlist feed has this key, or None."""
    if not key or len(key) > 64:
        return None
    return db.session.scalar(
        select(User).join(UserPreferences, UserPreferences.user_id == User.id)
        .where(UserPreferences.feed_token == key, User.active.is_(True))
    )
