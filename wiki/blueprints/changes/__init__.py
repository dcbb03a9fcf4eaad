"""Recent changes, user contributions and Atom feeds."""
from wiki.changes.views import bp

__all__ = ["bp"]
