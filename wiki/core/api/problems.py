"""RFC 9457 problem details: the one shape of every error the JSON API answers."""
from http import HTTPStatus

MEDIA_TYPE = "application/problem+json"

# Problem types with a meaning of their own; everything else is "about:blank" plus the status.
TYPE_BASE = "https://nexus.invalid/problems/"


def problem(status: int, detail: str = "", type_: str | None = None, title: str | None = None, **extra) -> dict:
    """A problem document: ``type``, ``title``, ``status``, ``detail`` and any extension members."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    document = {
        "type": TYPE_BASE + type_ if type_ else "about:blank",
        "title": title or phrase,
        "status": status,
        "detail": detail or phrase,
    }
    document.update(extra)
    return document
