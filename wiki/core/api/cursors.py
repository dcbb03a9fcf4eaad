"""Opaque pagination cursors: the position after the last item of a page, as URL-safe text.

A cursor is the JSON of a small list of values, base64url-encoded without padding. It is not
secret (it names only what the client already saw), but it is checked on the way in: any
malformed cursor is an InvalidInput, never a crash.
"""
import base64
import binascii
import json

from wiki.core.errors import InvalidInput

MAX_CURSOR_LENGTH = 1024


def encode(values: list) -> str:
    """A cursor for ``values`` (strings and integers)."""
    raw = json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode(cursor: str, kinds: tuple[type, ...]) -> list:
    """The values of a cursor made by ``encode``, checked against ``kinds``; InvalidInput if not."""
    bad = InvalidInput("The cursor is not one this API gave out; start again without it.", field="cursor")
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(values, list) or len(values) != len(kinds):
        raise bad
    for value, kind in zip(values, kinds):
        if type(value) is not kind:  # bool is an int subclass: compare exactly
            raise bad
    return values
