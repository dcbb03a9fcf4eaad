"""Renaming, deleting and restoring pages."""
from wiki.moves.views import bp

__all__ = ["bp"]
