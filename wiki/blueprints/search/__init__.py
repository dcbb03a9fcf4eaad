"""Full-text search."""
from wiki.search.views import bp

__all__ = ["bp"]
