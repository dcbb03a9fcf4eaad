"""wiki.core.markup.highlight: a page's code is highlighted only while its budget lasts."""
from tests.core.markup.test_render import render
from wiki.core.markup import render_markdown
from wiki.core.markup.highlight import MAX_HIGHLIGHTED_BLOCKS, MAX_HIGHLIGHTED_CHARS, new_highlight_budget

FENCED = "```python\nx = 1\n```\n\n"
HIGHLIGHTED = '<div class="codehilite">'
PLAIN = '<pre tabindex="0" role="region" aria-label="Code: python"><code>x = 1\n</code></pre>'


def test_highlighting_stops_after_the_budget_but_code_still_renders():
    html = render("```python\nx = 1\n```\n\n" * 250).html
    assert html.count('<div class="codehilite">') == 200
    assert html.count(PLAIN) == 50


def test_code_beyond_the_highlighting_budget_is_shown_plain():
    small = "```python\nx = 1\n```\n\n"
    big = "```python\n" + "a b c d e f g h\n" * (MAX_HIGHLIGHTED_CHARS // 16 + 1) + "```\n\n"
    html = render_markdown(small + big + small).html
    assert html.count('<div class="codehilite">') == 1  # the first block only: the big one spent it
    assert html.count('aria-label="Code: python"><code>') == 2
    indented = render_markdown("    x = 1\n\n" + "text\n\n" + "    y = 2\n" * (MAX_HIGHLIGHTED_CHARS // 6 + 1)).html
    assert '<div class="codehilite">' not in indented  # indented blocks share one decision


def test_a_new_page_gets_a_new_budget():
    assert new_highlight_budget() == [MAX_HIGHLIGHTED_BLOCKS, MAX_HIGHLIGHTED_CHARS]
    page = FENCED * MAX_HIGHLIGHTED_BLOCKS
    for _ in range(2):  # the second rendering is not charged for the first one's blocks
        assert render_markdown(page).html.count(HIGHLIGHTED) == MAX_HIGHLIGHTED_BLOCKS


def test_fenced_and_indented_code_share_the_budget():
    indented = "text\n\n    x = 1\n"
    within = render_markdown(FENCED * (MAX_HIGHLIGHTED_BLOCKS - 1) + indented).html
    assert within.count(HIGHLIGHTED) == MAX_HIGHLIGHTED_BLOCKS
    beyond = render_markdown(FENCED * MAX_HIGHLIGHTED_BLOCKS + indented).html
    assert beyond.count(HIGHLIGHTED) == MAX_HIGHLIGHTED_BLOCKS
    # Without Pygments the indented block keeps the class but gets no <span>s.
    assert beyond.endswith('<p>text</p>\n<pre class="codehilite" tabindex="0" role="region" aria-label="Code"><code>'
                           'x = 1\n</code></pre>')


def test_plain_code_is_still_escaped():
    html = render_markdown(FENCED * MAX_HIGHLIGHTED_BLOCKS + "```html\n<b>&amp;</b>\n```\n").html
    assert html.endswith('aria-label="Code: html"><code>&lt;b&gt;&amp;amp;&lt;/b&gt;\n</code></pre></div>')
