"""Tags (issue 20): every tag with its page count, and one tag's pages."""
from wiki.blueprints.tags.views import bp

__all__ = ["bp"]
