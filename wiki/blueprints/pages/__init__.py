"""Reading and editing pages."""
from wiki.blueprints.pages.views import bp

__all__ = ["bp"]
