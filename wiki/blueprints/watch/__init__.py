"""Watching pages, the watchlist and its feed, notifications and their mail preferences."""
from wiki.blueprints.watch.views import bp

__all__ = ["bp"]
