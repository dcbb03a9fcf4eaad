"""Math: TeX in ``$inline$``, ``$$display$$`` and ```math fences, rendered to MathML at save time.

MathML is HTML's own math markup: browsers draw it without JavaScript. latex2mathml converts
the TeX; the result goes through the one sanitizer like everything else, whose MathML
allowlist (sanitize.py) keeps only the elements and attributes latex2mathml makes.

Delimiters, chosen so that dollars in ordinary text stay text:

- ``$...$`` is inline math only when the opening ``$`` is not preceded by a letter, digit,
  ``\\`` or ``$`` and is followed by a non-space, and the closing ``$`` is preceded by a
  non-space and not followed by a letter, digit or ``$``; the formula is on one line. So
  "$5 and $10", "US$5", "$HOME and $PATH", "$ ls" and "5$-10$" stay text; "$x^2$" is math.
- ``$$...$$`` is display math (it may span lines of one paragraph).
- ``\\$`` is a literal dollar sign; dollars in code spans and code blocks are never math.
- A fenced block ```math holds one display formula.

TeX that latex2mathml cannot convert, with unbalanced braces, or with commands it does not
know, is shown as code with a notice. Formulas longer than MAX_TEX_LENGTH characters, and
those beyond MAX_FORMULAS on a page, are shown as they were written.
"""
from __future__ import annotations

import html
import re

from latex2mathml.converter import convert
from markdown import Markdown
from markdown.inlinepatterns import InlineProcessor

MAX_TEX_LENGTH = 2000
MAX_FORMULAS = 300  # per page: each conversion costs ~0.1-1 ms

INLINE_MATH_RE = r"(?<![\\\w$])\$(?=[^\s$])((?:\\[^\n\x02\x03]|[^\\$\n\x02\x03]){1,%d}?)(?<=\S)\$(?![\w$])" % MAX_TEX_LENGTH
DISPLAY_MATH_RE = r"(?<![\\$])\$\$(?!\$)((?:\\[^\x02\x03]|[^\\$\x02\x03]){1,%d}?)\$\$(?!\$)" % MAX_TEX_LENGTH
# After code spans (190), before backslash escapes (180): TeX is full of \{ \} \_ \\.
INLINE_MATH_PRIORITY = 186
DISPLAY_MATH_PRIORITY = 187

_UNKNOWN_COMMAND = re.compile(r"<mi>(\\[A-Za-z]+)</mi>")
_UNSAFE_COMMANDS = re.compile(r"\\(?:href|url|style|class|cssId|html)\b")


class BadTex(ValueError):
    """TeX that cannot be shown as a formula; the message says why, for readers."""


def _balanced(tex: str) -> bool:
    depth, escaped = 0, False
    for char in tex:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def to_mathml(tex: str, display: bool) -> str:
    """MathML for ``tex`` (not yet sanitized); raises BadTex."""
    tex = tex.strip()
    if not tex:
        raise BadTex("the formula is empty")
    if len(tex) > MAX_TEX_LENGTH:
        raise BadTex(f"the formula is longer than {MAX_TEX_LENGTH} characters")
    if not _balanced(tex):
        raise BadTex("its braces { } do not pair up")
    if (unsafe := _UNSAFE_COMMANDS.search(tex)) is not None:
        raise BadTex(f"{unsafe.group(0)} is not supported")
    try:
        mathml = convert(tex, display="block" if display else "inline")
    except RecursionError:
        raise BadTex("it is nested too deeply") from None
    except Exception as exc:  # latex2mathml raises many kinds, all meaning "cannot parse"
        raise BadTex(f"it could not be parsed ({type(exc).__name__})") from None
    if (unknown := _UNKNOWN_COMMAND.search(mathml)) is not None:
        raise BadTex(f"{unknown.group(1)} is not a command the renderer knows")
    return mathml


def _error_html(tex: str, reason: str, display: bool) -> str:
    code = html.escape(tex, quote=False)
    notice = html.escape(f"This formula could not be rendered: {reason}.", quote=False)
    if display:
        return (f'<div class="math-error"><p class="math-notice">{notice}</p>'
                f"<pre><code>{code}</code></pre></div>")
    return f'<span class="math-error"><code>{code}</code> <small class="math-notice">({notice})</small></span>'


def formula_html(tex: str, display: bool) -> str:
    """A formula as HTML: MathML, or the TeX as code with a notice when it is bad."""
    try:
        return to_mathml(tex, display)
    except BadTex as exc:
        return _error_html(tex.strip(), str(exc), display)


def display_block(tex: str) -> str:
    """A ```math block: one display formula."""
    return f'<div class="math-block">{formula_html(tex, True)}</div>'


class _MathProcessor(InlineProcessor):
    def __init__(self, pattern: str, md: Markdown, display: bool, budget: list[int]):
        super().__init__(pattern, md)
        self.display = display
        self.budget = budget

    def handleMatch(self, m: re.Match[str], data: str):  # noqa: N802 (Markdown's API)
        if self.budget[0] <= 0:
            return None, None, None
        self.budget[0] -= 1
        # Raw HTML, stashed: Python-Markdown puts it back after every inline pattern ran, so
        # nothing else (emphasis, wiki links) touches the formula.
        placeholder = self.md.htmlStash.store(formula_html(m.group(1), self.display))
        return placeholder, m.start(0), m.end(0)


def register_math(md: Markdown) -> None:
    """Add the $...$ and $$...$$ patterns, and ``\\$`` as an escape, to ``md``."""
    budget = [MAX_FORMULAS]
    md.inlinePatterns.register(_MathProcessor(DISPLAY_MATH_RE, md, True, budget), "nexus_display_math",
                               DISPLAY_MATH_PRIORITY)
    md.inlinePatterns.register(_MathProcessor(INLINE_MATH_RE, md, False, budget), "nexus_inline_math",
                               INLINE_MATH_PRIORITY)
    if "$" not in md.ESCAPED_CHARS:
        md.ESCAPED_CHARS = [*md.ESCAPED_CHARS, "$"]


__all__ = ["BadTex", "display_block", "formula_html", "register_math", "to_mathml"]
