"""Redirect pages: a page whose source starts with ``#REDIRECT [[Target]]``."""
from __future__ import annotations

import re

_REDIRECT = re.compile(r"\A[ \t]*#REDIRECT[ \t]*\[\[([^\[\]|#\n]{1,255})(?:#[^\[\]|\n]*)?(?:\|[^\[\]\n]*)?\]\]", re.I)


def redirect_target(source: str) -> str | None:
    """The target title of a redirect page's source, or None for an ordinary page."""
    match = _REDIRECT.match(source)
    return match.group(1).strip() or None if match else None


def redirect_source(target: str) -> str:
    """The source of a page that redirects to ``target``."""
    return f"#REDIRECT [[{target}]]\n"
