"""A save, section save, revert and rename through the forms do each piece of work once:
the title is normalized at the edge, the body measured and its redirect line parsed once,
and the value objects are passed down (wiki.core.edits, wiki.core.titles.Title)."""
from collections import Counter

import pytest

import wiki.core.edits
import wiki.core.markup.redirects
import wiki.core.titles
from tests.conftest import post_form

TITLE = "Getting started"


@pytest.fixture
def calls(monkeypatch):
    """Counts of the work done on the saved page's own title and body."""
    seen = Counter()
    normalize, measure, parse = (wiki.core.titles.normalize_title, wiki.core.edits.check_size,
                                 wiki.core.markup.redirects.redirect_target)

    def counting_normalize(raw):
        if raw.replace("_", " ").strip().casefold() in {TITLE.casefold(), "renamed"}:
            seen["normalize"] += 1
        return normalize(raw)

    def counting_measure(body, max_bytes):
        seen["measure"] += 1
        return measure(body, max_bytes)

    def counting_parse(source):
        seen["redirect"] += 1
        return parse(source)

    monkeypatch.setattr(wiki.core.titles, "normalize_title", counting_normalize)
    monkeypatch.setattr(wiki.core.edits, "check_size", counting_measure)
    for module in ("wiki.core.edits", "wiki.services.pages", "wiki.services.rendering", "wiki.services.search"):
        monkeypatch.setattr(f"{module}.redirect_target", counting_parse)
    return seen


def edit_url(title=TITLE):
    return f"/wiki/{title.replace(' ', '_')}/-/edit"


def test_creating_a_page_normalizes_measures_and_parses_once(client, editor, calls):
    response = post_form(client, edit_url(), {"body": "# Hello\n\ntext", "base_revision": "0"}, form_url="/-/login")
    assert response.status_code == 303
    assert calls == {"normalize": 1, "measure": 1, "redirect": 1}


def test_editing_a_page_and_a_section_do_the_same_work_once(client, editor, make_page, calls):
    make_page(TITLE, "# One\n\nfirst\n\n# Two\n\nsecond\n")
    calls.clear()
    response = post_form(client, edit_url(), {"body": "# One\n\nchanged\n\n# Two\n\nsecond\n", "base_revision": "1"}, form_url="/-/login")
    assert response.status_code == 303
    assert calls == {"normalize": 1, "measure": 1, "redirect": 1}
    calls.clear()
    response = post_form(client, edit_url(), {"body": "# Two\n\nnew\n", "base_revision": "2", "section": "2"}, form_url="/-/login")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("#two")
    assert calls == {"normalize": 1, "measure": 1, "redirect": 1}


def test_a_merged_edit_is_checked_again_because_its_body_changed(client, editor, make_page, calls):
    make_page(TITLE, "a\n\nb\n\nc\n")
    make_page(TITLE, "A\n\nb\n\nc\n")
    calls.clear()
    response = post_form(client, edit_url(), {"body": "a\n\nb\n\nC\n", "base_revision": "1"}, form_url="/-/login")
    assert response.status_code == 303
    assert calls == {"normalize": 1, "measure": 2, "redirect": 2}
    assert client.get(f"/wiki/{TITLE.replace(' ', '_')}/-/raw").data == b"A\n\nb\n\nC\n"


def test_a_rename_normalizes_each_title_once(client, editor, make_page, calls):
    make_page(TITLE, "text")
    calls.clear()
    response = post_form(client, edit_url().replace("/-/edit", "/-/rename"), {"new_title": "Renamed"}, form_url="/-/login")
    assert response.status_code == 303
    assert response.headers["Location"] == "/wiki/Renamed"
    assert calls["normalize"] == 2  # the page's URL title, and the new title
