"""Personal access tokens for the JSON API: made, looked up, listed, revoked.

A token is ``nexus_`` followed by 32 random bytes (base64url). Only its sha256 is stored,
so a copy of the database cannot be used to call the API; the token is shown once, when it
is made. A token acts for its user with at most its scope: "read" acts as a reader,
"write" with the user's own role (wiki.web.access).
"""
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from wiki.extensions import db
from wiki.models import ApiToken, User, utcnow
from wiki.services import availability
from wiki.services.errors import InvalidInput

PREFIX = "nexus_"
SCOPES = ("read", "write")
MAX_DAYS = 3650
MAX_NAME_LENGTH = 100
# last_used_at is written at most this often per token: a busy script must not turn every
# read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole token, shown once


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(user: User, name: str, scope: str, days: int | None) -> NewToken:
    """Make a token for ``user``; ``days`` None or 0: it never expires."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Give the token a name, e.g. the script or app that will use it.", field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"The name may have at most {MAX_NAME_LENGTH} characters.", field="name")
    if "\x00" in name:
        raise InvalidInput("The name contains a NUL character.", field="name")
    if scope not in SCOPES:
        raise InvalidInput("The scope must be “read” or “write”.", field="scope")
    if days is not None and not 0 <= days <= MAX_DAYS:
        raise InvalidInput(f"The expiry must be between 1 and {MAX_DAYS} days (0: never).", field="days")
    secret = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(user_id=user.id, name=name, scope=scope, token_hash=hash_token(secret),
                     hint=secret[: len(PREFIX) + 4], created_at=now,
                     expires_at=now + timedelta(days=days) if days else None)
    db.session.add(token)
    availability.commit("the new token")
    return NewToken(token, secret)


def authenticate(secret: str) -> ApiToken | None:
    """The live token for ``secret`` (not revoked, not expired, its user active), or None.
    Records when it was used."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or not hmac.compare_digest(token.token_hash, hash_token(secret)):
        return None
    now = utcnow()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        availability.commit(None)  # kept loaded: the request goes on with this token and user
    return token


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked ones included, so the list tells what happened)."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    ))


def revoke(user: User, token_id: int) -> ApiToken:
    """Revoke one of ``user``'s tokens; InvalidInput when it is not theirs."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise InvalidInput("You have no such token.", field="token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        availability.commit("the revocation of the token")
    return token


def state(token: ApiToken) -> str:
    """'active', 'expired' or 'revoked', for the account page."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= utcnow():
        return "expired"
    return "active"
