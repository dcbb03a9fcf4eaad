"""Webhook signatures: HMAC-SHA256 of the exact body bytes, sent as ``sha256=<hex>``."""
import hashlib
import hmac

HEADER = "X-Nexus-Signature"
PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``."""
    return PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of ``body`` (compared in constant time)."""
    if not header or not header.startswith(PREFIX):
        return False
    return hmac.compare_digest(sign(secret, body), header.strip())
