"""Inert links for the editor's preview.

A preview sits inside the editor: a live link there leaves the page (and, without
JavaScript, the text typed so far). ``inert_links`` takes sanitized HTML from the pipeline
and turns every ``<a href>`` into an ``<a>`` without one (its target kept in ``data-href``
and shown as its tooltip), and drops the permalinks (¶), which mean nothing in a preview.
It relies on the serializer's output: attributes double-quoted, ``"`` escaped in values.
"""
import re

_A_TAG = re.compile(r'<a((?:\s+[^\s=>"/]+(?:="[^"]*")?)*)\s*>')
_HREF = re.compile(r'\shref="([^"]*)"')
_PERMALINK = re.compile(r'<a class="headerlink"(?:\s+[^\s=>"/]+(?:="[^"]*")?)*\s*>¶</a>')


def _inert(match: re.Match[str]) -> str:
    attrs = match.group(1)
    href = _HREF.search(attrs)
    if href is None:
        return match.group(0)
    attrs = _HREF.sub(lambda m: f' data-href="{m.group(1)}"', attrs, count=1)
    if ' title="' not in attrs:
        attrs += f' title="{href.group(1)}"'
    return f"<a{attrs}>"


def inert_links(html: str) -> str:
    """``html`` (sanitized) with its links made inert and its permalinks removed."""
    return _A_TAG.sub(_inert, _PERMALINK.sub("", html))
