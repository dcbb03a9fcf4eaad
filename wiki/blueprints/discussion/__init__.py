"""A page's discussion: threads about the page or its sections (issue 16)."""
from wiki.blueprints.discussion.views import bp

__all__ = ["bp"]
