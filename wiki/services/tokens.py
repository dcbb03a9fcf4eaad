"""Signed links mailed to users: made and checked with itsdangerous and the SECRET_KEY, one
salt per purpose (wiki.core.notices), so a link made for one purpose never works for another.

Nothing is stored: a link carries its user id and what it is valid for (the address to
verify, a fingerprint of the password hash for a reset), and it stops working when that
no longer matches (the address changed, the password was reset: a reset link works once).
"""
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from wiki.core.notices import Purpose


class InvalidToken(Exception):
    """A link that is damaged, forged, made for another purpose, or expired (``expired``)."""

    def __init__(self, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def make(secret_key: str, purpose: Purpose, payload: dict) -> str:
    """The token for ``payload``: URL-safe, signed (and timestamped if the purpose expires)."""
    return _serializer(secret_key, purpose).dumps(payload)


def load(secret_key: str, purpose: Purpose, token: str) -> dict:
    """The payload of a valid token; raises InvalidToken."""
    serializer = _serializer(secret_key, purpose)
    try:
        if purpose.max_age is None:
            return serializer.loads(token)
        return serializer.loads(token, max_age=purpose.max_age)
    except SignatureExpired:
        raise InvalidToken(expired=True) from None
    except (BadSignature, ValueError, TypeError):
        raise InvalidToken() from None


def _serializer(secret_key: str, purpose: Purpose):
    if purpose.max_age is None:
        return URLSafeSerializer(str(secret_key), salt=purpose.salt)
    return URLSafeTimedSerializer(str(secret_key), salt=purpose.salt)
