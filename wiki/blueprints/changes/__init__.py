"""Recent changes, user contributions and Atom feeds."""
from wiki.blueprints.changes.views import bp

__all__ = ["bp"]
