"""Properties of the rendering pipeline on random Markdown/HTML mixtures (hypothesis).

Whatever an author types: render_markdown never raises, everything it returns is inside
the allowlist (tests.core.markup.test_sanitize.assert_safe, an independent stdlib parser), and
sanitizing its output again changes nothing. Inputs are built from fragments that matter to
the parsers (tags, attributes, quotes, entities, Markdown syntax, wiki links, Unicode), so
random search reaches the interesting corners far more often than random text would.

Reproducible: derandomize=True and no example database, so every run (and CI) tries the
same examples and nothing is written to .hypothesis/.
"""
import html

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.markup.test_sanitize import assert_safe
from wiki.core.markup import LinkTarget, render_markdown, sanitize_html
from wiki.core.markup.sanitize import preformatted_text

SETTINGS = settings(
    max_examples=300,
    deadline=None,  # a shared CI machine's pauses are no failure; bench/ measures speed
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

TAGS = ["a", "img", "p", "div", "span", "b", "em", "code", "pre", "h1", "h2", "table", "td", "tr", "li",
        "ul", "ol", "details", "summary", "input", "script", "style", "svg", "math", "mglyph", "malignmark",
        "noscript", "template", "iframe", "textarea", "title", "xmp", "noembed", "select", "option",
        "object", "form", "button", "base", "meta", "link", "annotation-xml", "foreignObject", "desc",
        "plaintext", "table", "caption", "colgroup", "frameset", "body", "html", "head", "sup", "abbr"]
ATTRIBUTES = ["href", "src", "onerror", "onload", "onclick", "style", "id", "class", "title", "alt",
              "xlink:href", "xmlns", "srcdoc", "formaction", "name", "type", "disabled", "checked",
              "start", "colspan", "width", "open", "rel", "data-x", "encoding", "is"]
VALUES = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java&#x09;script:alert(1)", "&#106;avascript:x",
          "vbscript:x", "data:text/html,<script>alert(1)</script>", "/wiki/Home", "https://example.com",
          "#top", "x\" onerror=\"alert(1)", "x' onload='alert(1)", "checkbox", "text", "footnote",
          "codehilite", "text/html", "1", "100%", "fn-1", "__proto__", "content", "</noscript><img src=x>",
          "&quot;&gt;&lt;svg onload=alert(1)&gt;", "", " ", "a\nb"]
QUOTES = ['"', "'", "`", ""]
ENTITIES = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#x3C;", "&#60", "&lt", "&colon;", "&Tab;",
            "&NewLine;", "&#0;", "&#x110000;", "&bogus;", "&", "&#", "&#x", "&amp;lt;", "&nbsp;"]
MARKDOWN = ["# ", "## ", "###### ", "\n===\n", "\n---\n", "*", "**", "_", "__", "`", "``", "```\n",
            "~~~\n", "    ", "> ", "- ", "1. ", "- [ ] ", "- [x] ", "|", "| --- |", "\n", "\n\n", "[", "]",
            "(", ")", "![", "](", '"', "<", ">", "\\", "[^1]", "[^1]: ", "[r]: ", "<http://x>",
            "<javascript:alert(1)>", "{: #id }", "***", "  \n", "\t", "<!--", "-->", "<![CDATA[", "]]>",
            "<?", "?>", "<!DOCTYPE x>", "[x](javascript:alert(1))", '[x](/a "t")', "![a](/i.png)"]
WIKILINKS = ["[[", "]]", "|", "#", "[[Page]]", "[[Page|label]]", "[[Page#Sec]]", "[[#Sec]]",
             "[[javascript:alert(1)]]", '[["><svg onload=alert(1)>]]', "[[x|<img src=x onerror=alert(1)>]]",
             "[[__proto__]]", "[[a/b/../c]]"]
UNICODE = ["é", "ß", "İ", "ǅ", "\u0301", "\u200b", "\u200d", "\u202e", "\ufeff", "\u2028", "\u00a0",
           "\x00", "\x01", "\x0b", "\x0c", "\r", "\r\n", "\x7f", "\x85", "\ufffd", "\ufffe", "😀", "日本",
           "हिन्दी", "ﬁ", "＜", "＞", "\U000e0041", "\u180e"]


@st.composite
def tags(draw):
    name = draw(st.sampled_from(TAGS))
    name = draw(st.sampled_from([name, name.upper(), name.title()]))
    attrs = []
    for _ in range(draw(st.integers(0, 3))):
        quote = draw(st.sampled_from(QUOTES))
        attrs.append(f"{draw(st.sampled_from(ATTRIBUTES))}={quote}{draw(st.sampled_from(VALUES))}{quote}")
    separator = draw(st.sampled_from([" ", "/", "\n", "\t"]))
    closing = draw(st.sampled_from([">", "/>", "", " >"]))
    start = f"<{name}{separator if attrs else ''}{separator.join(attrs)}{closing}"
    return draw(st.sampled_from([start, f"</{name}>", start + "x" + f"</{name}>"]))


FRAGMENT = st.one_of(
    tags(),
    st.sampled_from(ENTITIES),
    st.sampled_from(MARKDOWN),
    st.sampled_from(WIKILINKS),
    st.sampled_from(UNICODE),
    st.text(max_size=8),
    st.sampled_from(["alert(1)", "x", "word", " ", "Home", "caching"]),
)

DOCUMENTS = st.lists(FRAGMENT, max_size=40).map("".join)


def _resolver(target, section):
    # Some targets exist, with labels from their headings; others are red links.
    if target.startswith("P"):
        return LinkTarget(href="/wiki/" + target.replace(" ", "_"), label=section)
    return LinkTarget(href="/wiki/" + target.replace(" ", "_") + "/-/edit", exists=False)


def check(result):
    for markup in (result.html, result.toc):
        assert_safe(markup)
        assert sanitize_html(markup) == markup
    assert len({h.id for h in result.headings}) == len(result.headings)


@SETTINGS
@given(DOCUMENTS)
def test_rendering_never_raises_and_its_output_is_a_fixed_point(source):
    check(render_markdown(source))


@SETTINGS
@given(DOCUMENTS)
def test_with_a_resolver_and_section_edit_links(source):
    check(render_markdown(source, _resolver, section_edit_url=lambda n: f"/wiki/X/-/edit?section={n}"))


@SETTINGS
@given(st.lists(st.one_of(FRAGMENT, st.sampled_from(UNICODE)), max_size=30).map("".join))
def test_plain_text_fallback_is_a_fixed_point_showing_the_text(text):
    # The fallback for pages over the markup budget is built without bleach, for speed; it
    # must be exactly what bleach makes of it, and show the text as written.
    fast = preformatted_text(text, "render-fallback")
    assert sanitize_html(fast) == fast
    assert_safe(fast)
    inner = fast[len('<pre class="render-fallback">'):-len("</pre>")]
    shown = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").lstrip("\n")
    shown = "".join("?" if ord(c) < 32 and c not in "\t\n" else c for c in shown)
    assert html.unescape(inner) == shown


@settings(SETTINGS, max_examples=15)  # each re-sanitizes ~100 KB of text: slow in bleach
@given(st.lists(FRAGMENT, min_size=1, max_size=20).map("".join))
def test_pages_over_the_budget_are_shown_as_text_safely(chunk):
    from wiki.core.markup.budget import MAX_MARKUP_COST, markup_cost

    source = chunk * (MAX_MARKUP_COST // max(1, markup_cost(chunk)) + 1)
    if markup_cost(source) <= MAX_MARKUP_COST:
        source += "\n" * (MAX_MARKUP_COST + 1)
    result = render_markdown(source)
    check(result)
    assert result.html.startswith('<div class="render-fallback">This page has too much markup')
    assert result.toc == "" and result.headings == ()


def test_a_form_feed_between_text_is_stable():
    # Found by the property test: bleach passed a form feed between two text runs through
    # as whitespace, so sanitizing the output again turned it into '?'.
    once = sanitize_html("<a>&amp;\x0c<select><a><select>&amp;")
    assert once == "<a>&amp;?&amp;</a>"
    assert sanitize_html(once) == once
