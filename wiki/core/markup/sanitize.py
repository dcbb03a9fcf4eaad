"""HTML sanitizer: the only place in Nexus that calls bleach.

Everything that ends up in a page as HTML (rendered Markdown, raw HTML written by authors,
the table of contents) passes through :func:`sanitize_html`, which keeps an explicit allowlist
of tags, attributes and URL schemes and drops everything else.
"""
from __future__ import annotations

import html as _html
import re
import threading
import unicodedata

import bleach
from bleach import html5lib_shim
from bleach.html5lib_shim import Filter
from bleach.sanitizer import INVISIBLE_CHARACTERS_RE, INVISIBLE_REPLACEMENT_CHAR
from pygments.token import STANDARD_TYPES

ALLOWED_TAGS = frozenset({
    "p", "br", "hr",
    "h1", "h2", "h3", "h4", "h5", "h6",
    "strong", "em", "b", "i", "u", "s", "del", "ins", "sub", "sup", "mark", "small", "abbr", "kbd",
    "code", "pre", "blockquote",
    "ul", "ol", "li", "dl", "dt", "dd",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
    "a", "img", "span", "div", "details", "summary",
    "input",  # only as a disabled checkbox (task lists); anything else is dropped, see _PostFilter
})

ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

# MathML (mathml.py renders TeX to it): the elements latex2mathml makes, and nothing that
# switches the parser back to HTML or hides markup (annotation-xml, mglyph, malignmark and
# the semantics/annotation pair are dropped with their content). Inside <math> only these
# are kept; outside <math> they are dropped (their text kept), so what comes out re-parses
# to the same tree in a browser: no namespace confusion (mXSS).
MATH_TAGS = frozenset({
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "mfrac", "msqrt", "mroot",
    "msub", "msup", "msubsup", "munder", "mover", "munderover", "mtable", "mtr", "mtd",
    "mstyle", "mpadded", "mphantom", "menclose",
})
_MATH_VALUE = re.compile(r"[\w .%#+-]{0,60}")
_MATH_ATTRIBUTES = frozenset({
    "display", "mathvariant", "stretchy", "fence", "separator", "lspace", "rspace", "accent",
    "accentunder", "columnalign", "columnlines", "columnspacing", "rowspacing", "rowlines",
    "displaystyle", "scriptlevel", "minsize", "maxsize", "movablelimits", "symmetric", "largeop",
    "width", "height", "depth", "voffset", "linethickness", "notation", "form", "mathsize",
    "mathcolor", "mathbackground",
})

# Elements that are removed together with everything inside them. Stripping only the tags
# (bleach's strip=True) would leave their content behind as visible text: a script's source,
# a stylesheet, an SVG's markup. They are given to the parser so that it builds them as
# elements (raw-text elements keep their content as text) and _PostFilter then drops the
# whole subtree. All other disallowed tags are stripped by bleach's tokenizer, keeping text.
# <plaintext> is deliberately not listed: dropping it would drop the rest of the page.
_DROP_WITH_CONTENT = frozenset({
    "script", "style", "noscript", "template", "iframe", "noembed", "noframes", "xmp",
    "textarea", "title", "select", "svg", "object", "applet",
    "annotation-xml", "annotation", "semantics", "mglyph", "malignmark",
})

# Class names Nexus's Markdown pipeline produces; any other class token is removed.
ALLOWED_CLASSES = frozenset(
    {name for name in STANDARD_TYPES.values() if name}  # Pygments token classes
    | {
        "codehilite", "hll",                                     # code blocks
        "footnote", "footnote-ref", "footnote-backref",          # footnotes
        "wikilink", "new", "missing-section",                    # wiki links
        "missing-file",                                          # files (filelinks.py)
        "task-list", "task-list-item",                           # task lists
        "render-fallback",                                       # source shown when rendering failed
        "headerlink", "section-edit",                            # heading permalinks, section edit links
        "code-block", "code-lang",                               # fenced code's language label
        "diagram", "mermaid",                                    # ```mermaid (fencedspecial.py)
        "math-block", "math-error", "math-notice",               # math (mathml.py)
        "section-discuss",                                       # links to discuss a section (issue 16)
        "learning-path",                                         # ```path (learningpaths.py, issue 20)
    }
)

_DIGITS = re.compile(r"\d{1,5}")
_SIZE = re.compile(r"\d{1,5}%?")
_START = re.compile(r"-?\d{1,9}")
_ALIGN = frozenset({"left", "right", "center", "justify"})


def is_id_char(char: str) -> bool:
    """True for characters allowed in element ids: Unicode letters, marks, digits, '_' and '-'."""
    # Marks (category M) are needed for scripts such as Devanagari, which Python's \w drops.
    return char in "-_" or unicodedata.category(char)[0] in "LMN"


def is_safe_id(value: str) -> bool:
    """True if value is usable as an element id: non-empty, at most 200 chars of is_id_char."""
    return 0 < len(value) <= 200 and all(is_id_char(c) for c in value)


def _check(pattern: re.Pattern[str]):
    return lambda value: bool(pattern.fullmatch(value))


def _any(_value: str) -> bool:
    return True


_ID = {"id": is_safe_id}
_CLASS = {"class": _any}  # value filtered token by token in _PostFilter

ALLOWED_ATTRIBUTES: dict[str, dict] = {
    "a": {"href": _any, "title": _any, "class": _any, "rel": _any, "id": is_safe_id, "aria-label": _any},
    "img": {"src": _any, "alt": _any, "title": _any,
            "width": _check(_SIZE), "height": _check(_SIZE)},
    "abbr": {"title": _any},
    "th": {"align": lambda v: v.lower() in _ALIGN, "colspan": _check(_DIGITS), "rowspan": _check(_DIGITS)},
    "td": {"align": lambda v: v.lower() in _ALIGN, "colspan": _check(_DIGITS), "rowspan": _check(_DIGITS)},
    "ol": {"start": _check(_START), **_CLASS},
    "ul": _CLASS,
    "li": {**_ID, **_CLASS},
    "sup": {**_ID, **_CLASS},
    "div": {**_ID, **_CLASS},
    "span": _CLASS,
    "code": _CLASS,
    # Code blocks are focusable, labelled scroll regions (codeblocks.py).
    "pre": {**_CLASS, "tabindex": lambda v: v == "0", "role": lambda v: v == "region", "aria-label": _any},
    "small": _CLASS,
    "p": _CLASS,
    "details": {"open": _any},
    # Whether the input is a disabled checkbox is decided in _PostFilter.
    "input": {"type": lambda v: v == "checkbox", "disabled": _any, "checked": _any, "aria-label": _any},
    **{f"h{level}": _ID for level in range(1, 7)},
    **{tag: dict.fromkeys(_MATH_ATTRIBUTES, _check(_MATH_VALUE)) for tag in MATH_TAGS},
}
"""Allowed attributes per tag, each with a predicate on the value (href/src schemes are
checked by bleach against ALLOWED_PROTOCOLS on top of this). No on* handlers, no style."""


def _allow_attribute(tag: str, name: str, value: str) -> bool:
    predicate = ALLOWED_ATTRIBUTES.get(tag, {}).get(name)
    return predicate is not None and predicate(value)


# A URL is external if it has a scheme or is protocol-relative. Browsers ignore leading
# whitespace/control characters and treat backslashes like slashes, so "\t//x" and "/\x" count.
_LEADING_JUNK = re.compile(r"^[\x00-\x20]+")
_EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.\-]*:|[/\\]{2})")
EXTERNAL_REL = "nofollow noopener"


def is_external_url(href: str) -> bool:
    """True if href leaves the site: it has a scheme (http:, mailto:, ...) or starts with //."""
    # Attribute values reach the filters with character references still encoded.
    return bool(_EXTERNAL.match(_LEADING_JUNK.sub("", html5lib_shim.convert_entities(href))))


class _PostFilter(Filter):
    """Runs after bleach's sanitizer filter on the token stream.

    - drops elements outside ALLOWED_TAGS together with their content (only the
      _DROP_WITH_CONTENT ones get this far; the tree walker emits balanced start/end tokens,
      so counting depth is exact);
    - drops <input> unless it is a disabled checkbox;
    - reduces class attributes to ALLOWED_CLASSES;
    - sets rel="nofollow noopener" on links to other sites.
    """

    def __iter__(self):
        skip_depth = 0
        math_depth = 0  # open elements inside <math>
        for token in super().__iter__():
            kind = token["type"]
            if skip_depth:
                if kind == "StartTag":
                    skip_depth += 1
                elif kind == "EndTag":
                    skip_depth -= 1
                continue
            if kind == "SpaceCharacters" and "\x0c" in token["data"]:
                # bleach shows control characters in text as '?', but a form feed between
                # other text is tokenized as whitespace and slipped through: sanitizing the
                # output again then changed it. Treat it as bleach treats it in text.
                data = token["data"].replace("\x0c", INVISIBLE_REPLACEMENT_CHAR)
                token = {"type": "Characters", "data": data}
            if kind in ("StartTag", "EmptyTag", "EndTag"):
                name = token["name"]
                if math_depth or name == "math":
                    if name not in MATH_TAGS:  # HTML inside MathML: dropped, content and all
                        if kind == "StartTag":
                            skip_depth = 1
                        continue
                    math_depth += {"StartTag": 1, "EndTag": -1}.get(kind, 0)
                elif name in MATH_TAGS:
                    continue  # MathML outside <math>: tag dropped, text kept
                if name not in ALLOWED_TAGS and name not in MATH_TAGS:
                    if kind == "StartTag":
                        skip_depth = 1
                    continue
                if kind != "EndTag":
                    attrs = token["data"]
                    if name == "input" and not _is_disabled_checkbox(attrs):
                        continue
                    _filter_classes(attrs)
                    if name == "a":
                        href = attrs.get((None, "href"))
                        if href is not None and is_external_url(href):
                            attrs[(None, "rel")] = EXTERNAL_REL
            yield token


def _is_disabled_checkbox(attrs) -> bool:
    return attrs.get((None, "type")) == "checkbox" and (None, "disabled") in attrs


def _filter_classes(attrs) -> None:
    value = attrs.get((None, "class"))
    if value is None:
        return
    kept = [c for c in value.split() if c in ALLOWED_CLASSES]
    if kept:
        attrs[(None, "class")] = " ".join(dict.fromkeys(kept))
    else:
        del attrs[(None, "class")]


# --- Linear-time parsing --------------------------------------------------------------------
#
# html5lib (inside bleach) has two quadratic spots that hostile pages hit: scope checks walk
# the whole stack of open elements on every start tag ("<div>" x 30,000 nests 30,000 deep),
# and its ElementTree walker finds a node's position among its siblings with list.index()
# (30,000 paragraphs in a row). The subclasses below cap the nesting and track positions.

MAX_HTML_DEPTH = 100  # start tags opened deeper than this are dropped (their text is kept)


class _DepthLimitedTokenizer(html5lib_shim.BleachHTMLTokenizer):
    def emitCurrentToken(self):  # noqa: N802 (html5lib's API)
        if (
            self.currentToken["type"] == html5lib_shim.TAG_TOKEN_TYPE_START
            and len(self.parser.tree.openElements) >= MAX_HTML_DEPTH
        ):
            self.currentToken = {"type": html5lib_shim.TAG_TOKEN_TYPE_CHARACTERS, "data": ""}
        super().emitCurrentToken()


class _DepthLimitedParser(html5lib_shim.BleachHTMLParser):
    def _parse(self, stream, innerHTML=False, container="div", scripting=True, **kwargs):  # noqa: N803
        # Same as BleachHTMLParser._parse, with the depth-limited tokenizer.
        self.innerHTMLMode = innerHTML
        self.container = container
        self.scripting = scripting
        self.tokenizer = _DepthLimitedTokenizer(
            stream=stream, consume_entities=self.consume_entities, parser=self, **kwargs
        )
        self.reset()
        try:
            self.mainLoop()
        except html5lib_shim.ReparseException:
            self.reset()
            self.mainLoop()


class _IndexedTreeWalker(html5lib_shim.getTreeWalker("etree")):
    """html5lib's etree walker, with (element, index) pairs on the ancestor stack so that
    going back up is O(1) instead of a search through the parent's children."""

    def getFirstChild(self, node):  # noqa: N802 (html5lib's API)
        if isinstance(node, tuple):
            element, key, parents, flag = node
        else:
            element, key, parents, flag = node, None, [], None
        if flag in ("text", "tail"):
            return None
        if element.text:
            return element, key, parents, "text"
        if len(element):
            parents.append((element, key))
            return element[0], 0, parents, None
        return None

    def getNextSibling(self, node):  # noqa: N802
        if not isinstance(node, tuple):
            return None
        element, key, parents, flag = node
        if flag == "text":
            if len(element):
                parents.append((element, key))
                return element[0], 0, parents, None
            return None
        if element.tail and flag != "tail":
            return element, key, parents, "tail"
        siblings = parents[-1][0]
        if key < len(siblings) - 1:
            return siblings[key + 1], key + 1, parents, None
        return None

    def getParentNode(self, node):  # noqa: N802
        if not isinstance(node, tuple):
            return None
        element, key, parents, flag = node
        if flag == "text":
            return (element, key, parents, None) if parents else element
        parent, parent_key = parents.pop()
        return (parent, parent_key, parents, None) if parents else parent


class _Cleaner(bleach.Cleaner):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.parser = _DepthLimitedParser(
            tags=self.tags, strip=self.strip, consume_entities=False, namespaceHTMLElements=False
        )
        self.walker = _IndexedTreeWalker
        # Always quote attributes with '"'. With html5lib's "best quote" choice, a value holding
        # '"' is single-quoted, and bleach's serializer then skips its entity handling for that
        # value, so sanitizing the output again changed it ("&lt;" became "&amp;lt;").
        self.serializer.use_best_quote_char = False


# bleach's Cleaner is not thread-safe (its parser keeps state), so keep one per thread.
_local = threading.local()


def _cleaner() -> bleach.Cleaner:
    cleaner = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = _local.cleaner = _Cleaner(
            # The drop-with-content tags must reach the tree so _PostFilter can remove their
            # content; _PostFilter removes the tags themselves (they are not in ALLOWED_TAGS).
            tags=ALLOWED_TAGS | MATH_TAGS | _DROP_WITH_CONTENT,
            attributes=_allow_attribute,
            protocols=ALLOWED_PROTOCOLS,
            strip=True,
            strip_comments=True,
            filters=[_PostFilter],
        )
    return cleaner


def sanitize_html(html: str) -> str:
    """Return html reduced to the allowlist (tags, attributes, URL schemes); idempotent."""
    return _cleaner().clean(html)


def preformatted_text(text: str, css_class: str) -> str:
    """``<pre class=css_class>`` showing ``text`` as written: the same HTML that sanitize_html
    gives for the escaped text, built without parsing it.

    For the fallback rendering of pages too large or too complex to format: bleach needs
    tens of seconds for a megabyte of text dense with '<' or '&' (each escape is a token),
    this takes milliseconds. It does what bleach does to text: newlines normalized, NUL
    dropped, other control characters shown as '?', '&' '<' '>' escaped; and leading line
    breaks are left out, since the HTML parser drops the first one after <pre>.
    """
    if css_class not in ALLOWED_CLASSES:
        raise ValueError(f"class {css_class!r} is not allowed")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = INVISIBLE_CHARACTERS_RE.sub(INVISIBLE_REPLACEMENT_CHAR, text).lstrip("\n")
    return f'<pre class="{css_class}">{_html.escape(text, quote=False)}</pre>'
