"""Renaming, deleting and restoring pages."""
from wiki.blueprints.moves.views import bp

__all__ = ["bp"]
