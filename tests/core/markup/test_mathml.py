"""Math (wiki.core.markup.mathml): delimiters that leave ordinary dollars alone, MathML through
the one sanitizer's MathML allowlist, mXSS cases, bad TeX as code with a notice; and the
```mermaid blocks kept as text for the browser."""
import pytest

from tests.core.markup.test_render import render
from tests.core.markup.test_sanitize import assert_safe
from wiki.core.markup import sanitize_html
from wiki.core.markup.mathml import MAX_FORMULAS, MAX_TEX_LENGTH


def formulas(html: str) -> int:
    return html.count("<math")


@pytest.mark.parametrize("text", [
    "It costs $5 and $10.",
    "Prices: $5, $10 or $15.",
    "US$5 and US$10",
    "echo $HOME and $PATH",
    "$HOME/$USER",
    "$ ls -la",
    "PS1='$ '",
    "5$-10$ x",
    "a $ b $ c",
    "Literal \\$x\\$ dollars",
    "`$x$` in code",
    "between $5-$10 a month",
])
def test_dollars_in_ordinary_text_stay_text(text):
    html = render(text).html
    assert formulas(html) == 0, html
    assert "$" in html


def test_escaped_dollar_shows_as_a_dollar():
    assert render("costs \\$5").html == "<p>costs $5</p>"


@pytest.mark.parametrize("text, count, display", [
    ("Energy $E = mc^2$.", 1, 0),
    ("$x$", 1, 0),
    ("($x$, $y$)", 2, 0),
    ("A sum $$\\sum_{i=1}^n i$$ here", 1, 1),
    ("$$\na^2 + b^2\n$$", 1, 1),
    ("```math\n\\frac{a}{b}\n```", 1, 1),
    ("$\\{x \\mid x > 0\\}$", 1, 0),
])
def test_math_is_rendered_to_mathml(text, count, display):
    html = render(text).html
    assert formulas(html) == count, html
    assert html.count('display="block"') == display
    assert_safe(html)
    assert sanitize_html(html) == html


def test_math_in_code_blocks_is_code():
    html = render("```\n$x$ and $$y$$\n```\n\n    $z$\n").html
    assert formulas(html) == 0 and "$x$ and $$y$$" in html


@pytest.mark.parametrize("tex, reason", [
    ("\\frac{a", "braces"),
    ("x}", "braces"),
    ("\\unknowncommand x", "\\unknowncommand"),
    ("\\href{javascript:alert(1)}{x}", "\\href"),
    ("\\begin{x}", "could not be parsed"),
])
def test_bad_tex_is_code_with_a_notice(tex, reason):
    inline = render(f"Formula: ${tex}$ end").html
    block = render(f"```math\n{tex}\n```").html
    assert "<math" not in block
    assert "This formula could not be rendered" in block and reason in block
    assert '<pre tabindex="0" role="region" aria-label="Code"><code>' in block
    assert "<math" not in inline and "This formula could not be rendered" in inline
    assert_safe(block)
    assert_safe(inline)


def test_too_long_and_too_many_formulas_are_bounded():
    long_tex = "x+" * (MAX_TEX_LENGTH // 2 + 10)
    assert formulas(render(f"```math\n{long_tex}\n```").html) == 0
    many = render(" ".join(["$x$"] * (MAX_FORMULAS + 5))).html
    assert formulas(many) == MAX_FORMULAS


# --- The MathML allowlist against mXSS ------------------------------------------------------------

MXSS = [
    # namespace confusion: HTML inside MathML text integration points, style/script inside math
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;img src=1 onerror=alert(1)&gt;">',
    "<math><mi><style><img src=x onerror=alert(1)></style></mi></math>",
    "<math><style><img src=x onerror=alert(1)></style></math>",
    "<math><script>alert(1)</script><mi>x</mi></math>",
    # annotation-xml switches to HTML parsing; mglyph / malignmark are the classic gadgets
    '<math><annotation-xml encoding="text/html"><img src=x onerror=alert(1)></annotation-xml></math>',
    '<math><semantics><annotation-xml encoding="application/xhtml+xml"><svg><script>alert(1)</script></svg>'
    "</annotation-xml></semantics></math>",
    "<math><mglyph><svg><mtext><textarea><a title=\"</textarea><img src=x onerror=alert(1)>\"></a>",
    "<math><malignmark><style></style><img src=x onerror=alert(1)></malignmark></math>",
    # svg inside math, math inside svg
    "<math><mi><svg><foreignObject><img src=x onerror=alert(1)></foreignObject></svg></mi></math>",
    "<svg><math><mi><img src=x onerror=alert(1)></mi></math></svg>",
    # attributes: links, styles, handlers, namespaces
    '<math href="javascript:alert(1)"><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<math><mi style="background:url(javascript:alert(1))" onclick="alert(1)">x</mi></math>',
    '<math xmlns:xlink="http://www.w3.org/1999/xlink"><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    '<math><mi mathvariant="normal&quot; onmouseover=&quot;alert(1)">x</mi></math>',
    '<math><mo mathcolor="red;background:url(//evil)">+</mo></math>',
    # MathML outside <math>, and HTML links inside it
    "<mi>outside</mi><mtext><img src=x onerror=alert(1)></mtext>",
    '<math><a href="javascript:alert(1)">x</a></math>',
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
]


@pytest.mark.parametrize("markup", MXSS)
def test_mathml_mxss_cases_are_neutralized(markup):
    once = sanitize_html(markup)
    assert_safe(once)
    assert "onerror" not in once and "onclick" not in once and "javascript:" not in once
    assert "<style" not in once and "<script" not in once and "<svg" not in once
    assert "mglyph" not in once and "annotation" not in once and "malignmark" not in once
    assert sanitize_html(once) == once  # a browser parsing the output sees the same tree
    assert_safe(render(markup).html)


def test_the_allowlist_keeps_what_latex2mathml_makes():
    html = render("$$\\begin{pmatrix}1 & 2\\\\ 3 & 4\\end{pmatrix} \\hat{x} \\sqrt[3]{y} \\mathbb{R}$$").html
    for tag in ("mtable", "mtr", "mtd", "mover", "mroot", "mi", "mn", "mo"):
        assert f"<{tag}" in html, tag
    assert 'mathvariant="double-struck"' in html or "&#x0211D;" in html or "ℝ" in html


# --- Mermaid blocks -----------------------------------------------------------------------------------------

def test_mermaid_blocks_are_kept_as_escaped_text_for_the_browser():
    html = render("```mermaid\nsequenceDiagram\n  A->>B: <img src=x onerror=alert(1)> & hi\n```\n").html
    assert html.startswith('<div class="diagram"><pre class="mermaid"')
    assert "A-&gt;&gt;B: &lt;img src=x onerror=alert(1)&gt; &amp; hi" in html
    assert "<img" not in html
    assert_safe(html)
    assert sanitize_html(html) == html


def test_a_mermaid_block_cannot_break_out_of_its_pre():
    html = render("```mermaid\n</pre><script>alert(1)</script>\n```\n").html
    assert "<script" not in html and "&lt;/pre&gt;&lt;script&gt;" in html
