"""The link graph as pages: backlinks, all pages, wanted pages, orphaned pages."""
from wiki.blueprints.links.views import bp

__all__ = ["bp"]
