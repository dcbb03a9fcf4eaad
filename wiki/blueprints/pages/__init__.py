"""Reading and editing pages."""
from wiki.pages.views import bp

__all__ = ["bp"]
