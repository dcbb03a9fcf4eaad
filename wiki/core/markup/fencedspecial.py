"""Fenced blocks that are not code to highlight: ```mermaid diagrams and ```math formulas.

- ``mermaid``: the source is kept as text in ``<pre class="mermaid">``. static/js/diagrams.js
  draws it with the vendored Mermaid; without JavaScript readers see the source as code, and
  a diagram Mermaid cannot parse shows Mermaid's error above its source.
- ``math``: TeX rendered to MathML at save time (mathml.py), one display formula per block;
  TeX that does not convert is shown as code with a notice.
"""
from __future__ import annotations

import html

from .mathml import display_block


def render_special_fence(language: str, lines: list[str]) -> str | None:
    """The HTML of a special fenced block, or None for ordinary code."""
    language = language.lower()
    if language == "mermaid":
        source = "\n".join(lines)
        return (f'<div class="diagram"><pre class="mermaid">{html.escape(source, quote=False)}</pre></div>')
    if language == "math":
        return display_block("\n".join(lines))
    return None
