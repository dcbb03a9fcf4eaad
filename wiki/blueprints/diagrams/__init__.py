"""Diagrams: the sandboxed frame in which Mermaid draws ```mermaid blocks (issue 19)."""
from wiki.blueprints.diagrams.views import bp

__all__ = ["bp"]
