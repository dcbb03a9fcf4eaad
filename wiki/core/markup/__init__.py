"""Markdown rendering and HTML sanitizing for Nexus (pure: no Flask, no database)."""
from .headings import Heading
from .render import (
    LinkTarget,
    OutgoingLink,
    Rendered,
    Resolver,
    default_resolver,
    display_title,
    extract_headings,
    render_markdown,
    slugify_heading,
)
from .sanitize import sanitize_html

__all__ = [
    "Heading",
    "LinkTarget",
    "OutgoingLink",
    "Rendered",
    "Resolver",
    "default_resolver",
    "display_title",
    "extract_headings",
    "render_markdown",
    "sanitize_html",
    "slugify_heading",
]
