"""Learning paths (issue 20): the list of paths, marking steps done, following a path."""
from wiki.blueprints.paths.views import bp

__all__ = ["bp"]
