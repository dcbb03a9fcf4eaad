"""Revision history: list, old revisions, diffs, revert."""
from wiki.history.views import bp

__all__ = ["bp"]
