"""Revision history: list, old revisions, diffs, revert."""
from wiki.blueprints.history.views import bp

__all__ = ["bp"]
