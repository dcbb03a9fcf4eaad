"""Full-text search."""
from wiki.blueprints.search.views import bp

__all__ = ["bp"]
