"""Review dates (issue 20): the list of pages due for review, and "Mark verified"."""
from wiki.blueprints.review.views import bp

__all__ = ["bp"]
