"""Signed links mailed to an account: verifying its address, resetting its password.

The reset link is single-use and expiring without being stored: it carries a fingerprint of
the password hash (wiki.core.notices), and setting the new password changes the hash. The
reset goes through ``users.set_password``, which gives the account a new session token and
so ends every session it had.
"""
from wiki.core import notices
from wiki.extensions import db
from wiki.models import User
from wiki.services import jobs, notifications, preferences, tokens, users


def request_reset(identifier: str) -> int:
    """Queue a reset mail to every active account with a verified address that this
    username or address names; how many (the answer to the visitor never says)."""
    identifier = (identifier or "").strip()
    found = []
    if "@" in identifier:
        found = preferences.users_with_email(identifier)
    elif (user := users.find_user(identifier)) is not None and user.active \
            and preferences.verified_email(user.id) is not None:
        found = [user]
    for user in found:
        jobs.enqueue(notifications.MAIL_RESET, user_id=user.id)
    jobs.commit()
    return len(found)


def reset_user(secret_key: str, token: str) -> User:
    """The account a reset link is for, if the link is valid and unused; raises InvalidToken."""
    payload = tokens.load(secret_key, notices.RESET_PASSWORD, token)
    user_id = notices.payload_user(payload)
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None or not user.active or payload.get("p") != notices.fingerprint(user.password_hash):
        raise tokens.InvalidToken()  # used already (the password changed since), or no such account
    return user


def reset_password(secret_key: str, token: str, new_password: str, min_length: int, hash_method: str) -> User:
    """Give the link's account ``new_password``; every session it had ends. Raises
    InvalidToken or InvalidInput (nothing changes then)."""
    user = reset_user(secret_key, token)
    users.set_password(user, new_password, min_length, hash_method)
    return user


def verify_email(secret_key: str, token: str) -> str:
    """Mark the address a verification link names as verified; returns it. Raises
    InvalidToken (also when the account's address changed since the link was mailed)."""
    payload = tokens.load(secret_key, notices.VERIFY_EMAIL, token)
    user_id, email = notices.payload_user(payload), payload.get("e") if isinstance(payload, dict) else None
    if user_id is None or not isinstance(email, str) or not preferences.mark_verified(user_id, email):
        raise tokens.InvalidToken()
    return email
