"""Pathological page bodies cannot stall a worker: each, saved through the edit form, is saved
and viewable (formatted, or, over the markup budget, shown as text with a notice), or refused
with a clear message and the text kept in the form. Timings are not asserted here; the worst
cases are measured by bench/pathological.py. The rendering-level cases live in
tests/core/markup/test_render.py (PATHOLOGICAL); these go through HTTP at full size.
"""
import re

import pytest

from tests.conftest import post_form
from wiki.core.markup.budget import MAX_MARKUP_COST, markup_cost

MiB = 1024 * 1024
NOTICE = "This page has too much markup to format"


def fill(unit: str, size: int = MiB - 1024) -> str:
    return unit * (size // len(unit.encode("utf-8")))


CASES = {
    "100k [[": "[[" * 100_000,
    "50k backticks": "`" * 50_000,
    "1,200-deep list": "".join("  " * i + "- x\n" for i in range(1_200))[:MiB - 1024],
    "1,200 list markers on one line": "- " * 1_200 + "x\n",
    "1,200-deep quote": ">" * 1_200 + " x\n",
    "50k *": "*" * 50_000,
    "** nested 1,000 deep": "**a " * 1_000 + "x" + " a**" * 1_000,
    "_ runs": fill("_a_ __b__ ___"),
    "10k-column table": "|" + "a|" * 10_000 + "\n|" + "-|" * 10_000 + "\n|" + "b|" * 10_000 + "\n",
    "1 MiB of # h": fill("# h\n"),
    "1 MiB of setext headings": fill("a\n===\n"),
    "1 MiB line without spaces": fill("x"),
    "many footnotes": "".join(f"x[^{i}]\n" for i in range(10_000)) + "\n"
                      + "".join(f"[^{i}]: n{i}\n" for i in range(10_000)),
    "many reference definitions": "".join(f"[a][r{i}] " for i in range(10_000)) + "\n\n"
                                  + "".join(f"[r{i}]: /x{i}\n" for i in range(10_000)),
    "many tables": fill("|a|b|\n|-|-|\n|c|d|\n\n"),
    "1 MiB of &lt;": fill("&lt;<b>"),
    "1 MiB of [[x]]": fill("[[x]] "),
    "1 MiB code block of long lines of words": "```python\n" + fill("a b c d e f g " * 30 + "\n", MiB - 2048) + "```\n",
}


def edit(client, title, body):
    return post_form(client, f"/wiki/{title}/-/edit", {"body": body, "base_revision": "0"})


@pytest.mark.parametrize("name", CASES)
def test_pathological_body_is_saved_and_viewable(client, editor, name):
    body = CASES[name]
    assert len(body.encode("utf-8")) <= MiB
    response = edit(client, "Patho", body)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    assert client.get("/wiki/Patho/-/raw").get_data(as_text=True) == body
    page = client.get("/wiki/Patho")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    if markup_cost(body) > MAX_MARKUP_COST:
        # Shown as text, with the reason; the whole text is there, escaped.
        assert NOTICE in html
        assert '<pre class="render-fallback">' in html
    else:
        assert NOTICE not in html


def test_over_the_budget_the_page_is_text_and_the_preview_says_why(client, editor):
    body = "# Title\n\n" + "[[Link]] " * (MAX_MARKUP_COST // 4) + "\n\n<script>alert(1)</script>\n"
    preview = post_form(client, "/wiki/Dense/-/preview", {"body": body}, form_url="/wiki/Dense/-/edit")
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    # The preview names the page's title first (the content leaves out the title heading).
    assert html.startswith(f'<p class="preview-page-title"><span class="muted">Title:</span> Dense</p>'
                           f'<div class="render-fallback">{NOTICE}')
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert edit(client, "Dense", body).status_code == 303
    assert "[[Link]]" in client.get("/wiki/Dense").get_data(as_text=True)
    # Its links still count: the page it links to is wanted, its backlinks list it.
    assert "Dense" in client.get("/wiki/Link/-/backlinks").get_data(as_text=True)


def test_just_under_the_budget_the_page_is_formatted(client, editor):
    items = (MAX_MARKUP_COST - 20) // (markup_cost("- item\n" * 2) - markup_cost("- item\n"))
    body = "# Title\n\n" + "- item\n" * items
    assert MAX_MARKUP_COST - 20 <= markup_cost(body) <= MAX_MARKUP_COST
    assert edit(client, "Listy", body).status_code == 303
    html = client.get("/wiki/Listy").get_data(as_text=True)
    assert NOTICE not in html and html.count("<li>item</li>") == items


def test_oversized_body_is_refused_with_the_text_kept(client, editor):
    body = "# h\n" * (MiB // 4 + 1)
    response = edit(client, "Huge", body)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "the limit is 1,048,576 bytes" in html
    assert re.search(r"<textarea[^>]*>\s*# h\n# h\n", html)
