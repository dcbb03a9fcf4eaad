"""Link health's pure pieces: finding a broken link's line and section, and the heading a
link to a missing section most likely meant."""
import pytest

from wiki.core.linkhealth import (
    Located, closest_heading, file_link_lines, locate, page_link_lines, parse_kind,
)

SOURCE = """---
owner: alice
---
Intro links [[Caching]] and [[Gone page]].

## Setup

See [[Caching#Old name]] here.

```
[[Gone page]] in code is no link
```

### Details

A [md link](/wiki/Gone_page) and ![pic](diagram.png) and [[Caching#Old name|again]].
"""


def test_a_page_link_is_found_on_every_line_that_shows_it_outside_code_and_front_matter():
    assert [i + 1 for i in page_link_lines(SOURCE, "gone page", None)] == [4, 16]


def test_a_section_link_is_matched_by_heading_id_not_by_spelling():
    assert [i + 1 for i in page_link_lines(SOURCE, "caching", "old  NAME")] == [8, 16]
    assert page_link_lines(SOURCE, "caching", "Other") == []


def test_a_link_is_placed_in_its_innermost_section():
    lines = page_link_lines(SOURCE, "gone page", None)
    assert locate(SOURCE, lines) == [Located(4, None), Located(16, 2)]  # before any heading; in "Details"
    assert locate(SOURCE, page_link_lines(SOURCE, "caching", "Old name"))[0] == Located(8, 1)


def test_a_link_no_line_shows_is_still_listed_without_a_line():
    assert locate("#REDIRECT [[X]]", []) == [Located(None, None)]


def test_file_lines_are_found_case_insensitively():
    assert [i + 1 for i in file_link_lines(SOURCE, "Diagram.PNG")] == [16]


@pytest.mark.parametrize("wanted, headings, expected", [
    ("Cache invalidation", {"cache-invalidations": "Cache invalidations", "setup": "Setup"}, "Cache invalidations"),
    ("Instalation", {"installation": "Installation", "usage": "Usage"}, "Installation"),
    ("Set up", {"setup": "Setup", "teardown": "Teardown"}, "Setup"),
    ("Quantum entanglement", {"setup": "Setup", "usage": "Usage"}, None),  # nothing close: no guess
    ("Anything", {}, None),
])
def test_the_closest_heading_is_suggested_only_when_close(wanted, headings, expected):
    found = closest_heading(wanted, headings)
    assert (found[1] if found else None) == expected


def test_kind_filter_accepts_the_three_kinds_and_nothing_else():
    assert parse_kind(None) is None and parse_kind("") is None
    assert [parse_kind(k) for k in ("page", "section", "file")] == ["page", "section", "file"]
    with pytest.raises(ValueError, match="kind"):
        parse_kind("pages")
