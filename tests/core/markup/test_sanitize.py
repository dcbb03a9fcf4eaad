"""sanitize_html: the allowlist holds against hostile HTML, and sanitizing is idempotent.

``assert_safe`` re-parses output with the stdlib HTMLParser (independent of bleach's html5lib)
and is shared with test_render.py.
"""
import re
import unicodedata
from html.parser import HTMLParser

import pytest

from wiki.core.markup import sanitize_html
from wiki.core.markup.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, MATH_TAGS, is_external_url

# Never allowed, whatever ALLOWED_TAGS says.
FORBIDDEN_TAGS = {
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form",
    "button", "textarea", "select", "option", "svg", "link", "meta", "base",
    "annotation-xml", "annotation", "semantics", "mglyph", "malignmark",
    "noscript", "template", "title", "xmp", "plaintext", "noembed", "noframes", "isindex",
    "body", "html", "head", "video", "audio", "source", "marquee",
}
SAFE_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\xa0\s]+")


def _is_safe_id(value: str) -> bool:
    # Letters, combining marks (needed by e.g. Devanagari), digits, '_' and '-': never quotes,
    # whitespace, '#', '<' or anything else with a meaning in HTML, CSS selectors or URLs.
    return bool(value) and all(c in "-_" or unicodedata.category(c)[0] in "LMN" for c in value)


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.math = 0  # open elements inside <math>

    def handle_starttag(self, tag, attrs, closed=False):
        if tag not in ALLOWED_TAGS | MATH_TAGS or tag in FORBIDDEN_TAGS:
            self.problems.append(f"element <{tag}>")
        # MathML only inside <math>, and nothing but MathML there: no namespace confusion.
        if (self.math or tag == "math") and tag not in MATH_TAGS:
            self.problems.append(f"HTML element <{tag}> inside <math>")
        if not self.math and tag in MATH_TAGS - {"math"}:
            self.problems.append(f"MathML element <{tag}> outside <math>")
        if (self.math or tag == "math") and not closed:
            self.math += 1
        names = [name for name, _ in attrs]
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            if name in ("style", "srcdoc", "formaction", "action", "xmlns", "xlink:href", "name", "target"):
                self.problems.append(f"attribute {name} on <{tag}>")
            if name not in ALLOWED_ATTRIBUTES.get(tag, {}):
                self.problems.append(f"unexpected attribute {name} on <{tag}>")
            if name in ("href", "src"):
                # HTMLParser already decoded character references (once, as a browser does);
                # browsers also ignore whitespace and control characters inside the scheme.
                normalized = _INVISIBLE.sub("", value).lower()
                m = _SCHEME.match(normalized)
                if m and m.group(1) not in SAFE_SCHEMES:
                    self.problems.append(f"{name}={value!r} on <{tag}>")
            if name == "id" and not _is_safe_id(value):
                self.problems.append(f"unsafe id {value!r}")
        if tag == "input" and (dict(attrs).get("type") != "checkbox" or "disabled" not in names):
            self.problems.append(f"input that is not a disabled checkbox: {attrs}")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs, closed=True)

    def handle_endtag(self, tag):
        if self.math:
            self.math -= 1

    def handle_comment(self, data):
        self.problems.append(f"comment {data!r}")

    def handle_decl(self, decl):
        self.problems.append(f"declaration {decl!r}")

    def handle_pi(self, data):
        self.problems.append(f"processing instruction {data!r}")


def assert_safe(markup: str) -> None:
    """Fail if markup has any element, attribute or URL outside the allowlist."""
    checker = _Checker()
    checker.feed(markup)
    checker.close()
    assert not checker.problems, f"{checker.problems} in {markup!r}"


# --- The hostile corpus: raw HTML an author might paste into a page -------------------------------

HOSTILE_HTML = [
    # scripts and event handlers
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    "<scr\x00ipt>alert(1)</scr\x00ipt>",
    "<p onclick=alert(1)>x</p>",
    "<a href=/ onmouseover=alert(1)>x</a>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x ONERROR=alert(1)>",
    "<img/src=x/onerror=alert(1)>",
    "<img src=x onerror  =  alert(1)//",
    "<img src=\"x` `<script>alert(1)</script>\"` `>",
    "<details open ontoggle=alert(1)><summary>s</summary>x</details>",
    "<h1 id=x onclick=alert(1)>x</h1>",
    "<span class=k onmouseover=alert(1)>x</span>",
    "<body onload=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<video><source onerror=alert(1)></video>",
    # URL schemes, however spelled
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="java&#x0A;script:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="java\x00script:alert(1)">x</a>',
    '<a href="  \x01javascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#106avascript:alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<a href="&#0000106&#0000097vascript:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<img src="javascript:alert(1)">',
    # embedding, forms, document-level tags
    "<iframe src=javascript:alert(1)></iframe>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<button formaction=javascript:alert(1)>x</button>",
    '<input type="text" value="x">',
    '<input type="hidden" name="csrf_token" value="x">',
    "<input type=checkbox>",
    "<input type=image src=x>",
    "<input disabled>",
    '<input type="CHECKBOX" disabled onclick=alert(1)>',
    "<select><option>x</option></select>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    "<isindex action=javascript:alert(1)>",
    # styles
    "<style>@import 'javascript:alert(1)';</style>",
    '<div style="width: expression(alert(1))">x</div>',
    '<a href="#" style="background:url(javascript:alert(1))">x</a>',
    # mXSS through foreign content and raw-text elements
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    "<svg onload=alert(1)>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math><a href="javascript:alert(1)">x</a></math>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><img src=x onerror=alert(1)></template>",
    "<textarea><img src=x onerror=alert(1)></textarea>",
    "<title><img src=x onerror=alert(1)></title>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<noembed><img src=x onerror=alert(1)></noembed>",
    "<plaintext><img src=x onerror=alert(1)>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<img src=x onerror=alert(1)>]]>",
    "<!DOCTYPE html><p>x</p>",
    "<?xml version='1.0'?><p>x</p>",
    # attribute values that try to break out or sneak in
    '<h2 id="&quot; onclick=&quot;alert(1)">x</h2>',
    '<img src=x width="100 onerror=alert(1)">',
    '<td colspan="2 onclick=alert(1)">x</td>',
    '<ol start="1 onclick=alert(1)"><li>x</li></ol>',
    '<a href="/x" title="&quot;><script>alert(1)</script>">x</a>',
    '<a href="x" target="_blank" name="y">x</a>',
    '<div id="x" name="y">x</div>',
    '<abbr title="<img src=x onerror=alert(1)>">x</abbr>',
    '<a href="javascript:alert(1)"',
    "<div>" * 300 + "deep" + "</div>" * 300,
]


@pytest.mark.parametrize("hostile", HOSTILE_HTML)
def test_hostile_html_is_neutralized(hostile):
    assert_safe(sanitize_html(hostile))


@pytest.mark.parametrize("hostile", HOSTILE_HTML)
def test_sanitizing_is_idempotent(hostile):
    once = sanitize_html(hostile)
    assert sanitize_html(once) == once


def test_corpus_is_big_enough():
    assert len(HOSTILE_HTML) >= 45


def test_assert_safe_catches_what_it_should():
    for bad in ['<script>x</script>', '<p onclick="x">', '<a href="java&#x09;script:x">',
                '<a href=" JAVASCRIPT:x">', '<div style="x">', '<input type="text">', '<!-- x -->',
                '<img src="data:image/png;base64,xx">', '<h1 id="a b">']:
        with pytest.raises(AssertionError):
            assert_safe(bad)
    assert_safe('<p><a href="/wiki/x">ok</a> <a href="https://example.com" rel="nofollow noopener">e</a></p>')


def test_forbidden_tags_are_not_in_the_allowlist():
    assert not FORBIDDEN_TAGS & ALLOWED_TAGS


# --- Specific expectations ---------------------------------------------------------------------------

@pytest.mark.parametrize("hostile, expected", [
    ("<script>alert(1)</script>hello", "hello"),                       # script source does not leak
    ("<style>body { display: none }</style>x", "x"),
    ("<textarea>secret <b>x</b></textarea>after", "after"),
    ("<svg><text>vector</text></svg>after", "after"),
    ("<p onclick=alert(1) title=t>text</p>", "<p>text</p>"),
    ('<a href="javascript:alert(1)" title="t">x</a>', '<a title="t">x</a>'),
    ('<a href="java&#x09;script:alert(1)">x</a>', "<a>x</a>"),
    ('<img src="data:image/png;base64,AAAA" alt="a">', '<img alt="a">'),
    ("<iframe src=//evil.example></iframe>ok", "ok"),
    ("<b>bold</b><!-- comment -->", "<b>bold</b>"),
    ("<form><input type=text name=q><b>x</b></form>", "<b>x</b>"),
    ('<input type="checkbox" disabled checked>', '<input type="checkbox" disabled checked>'),
    ('<input type="checkbox" disabled>', '<input type="checkbox" disabled>'),
    ('<input type="checkbox" checked>', ""),
    ('<input type="text" disabled>', ""),
    ('<span class="k evil codehilite">x</span>', '<span class="k codehilite">x</span>'),
    ('<span class="evil">x</span>', "<span>x</span>"),
    ('<h2 id="a b">x</h2><h2 id="ok-1">y</h2>', '<h2>x</h2><h2 id="ok-1">y</h2>'),
    ('<th align="center" colspan="2" style="color:red">x</th>', "x"),  # outside a table: text only
    ('<table><tr><td align="right" colspan="2" rowspan="x">x</td></tr></table>',
     '<table><tbody><tr><td align="right" colspan="2">x</td></tr></tbody></table>'),
    ('<ol start="3" reversed><li>x</li></ol>', '<ol start="3"><li>x</li></ol>'),
    ('<img src="/a.png" width="100" height="50%" alt="a" title="t" loading="lazy">',
     '<img src="/a.png" width="100" height="50%" alt="a" title="t">'),
    ('<abbr title="HyperText">HTML</abbr><kbd>Ctrl</kbd><mark>m</mark><sub>1</sub><sup>2</sup>',
     '<abbr title="HyperText">HTML</abbr><kbd>Ctrl</kbd><mark>m</mark><sub>1</sub><sup>2</sup>'),
    ("<details open><summary>More</summary>text</details>", "<details open><summary>More</summary>text</details>"),
])
def test_specific_outputs(hostile, expected):
    assert sanitize_html(hostile) == expected


def test_disallowed_markup_keeps_its_text_inert():
    out = sanitize_html("<blink>hi</blink> <custom-el a=1>there</custom-el> a < b")
    assert out == "hi there a &lt; b"


def test_script_text_is_escaped_if_it_is_ever_text():
    out = sanitize_html("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert out == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert_safe(out)


@pytest.mark.parametrize("href", [
    "https://example.com/x", "http://example.com", "mailto:someone@example.com",
    "//evil.example/x", "/\\evil.example", " https://example.com",
])
def test_external_links_get_rel_nofollow_noopener(href):
    out = sanitize_html(f'<a href="{href}" rel="author">x</a>')
    assert 'rel="nofollow noopener"' in out
    assert "author" not in out


@pytest.mark.parametrize("href", ["/wiki/Foo", "#section", "relative/page", "?q=1", "/"])
def test_relative_links_are_untouched(href):
    assert sanitize_html(f'<a href="{href}">x</a>') == f'<a href="{href}">x</a>'


def test_is_external_url():
    assert is_external_url("HTTPS://x") and is_external_url("\t//x") and is_external_url("mailto:a@b")
    assert not is_external_url("/wiki/x") and not is_external_url("#x") and not is_external_url("a:b/c"[2:])


def test_deep_nesting_is_capped_but_text_survives():
    out = sanitize_html("<div>" * 5000 + "deep text" + "</div>" * 5000)
    assert "deep text" in out
    assert out.count("<div>") <= 100
    assert sanitize_html(out) == out


def test_many_siblings_and_unicode_survive():
    markup = "<p>žluťoučký 🐍 кот</p>" * 2000
    assert sanitize_html(markup) == markup


def test_empty_and_plain_text():
    assert sanitize_html("") == ""
    assert sanitize_html("just text & more") == "just text &amp; more"
