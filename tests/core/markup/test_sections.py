"""Sections of a Markdown source: which lines belong to which heading."""
import pytest

from wiki.core.markup.sections import find_sections, get_section, replace_section, section_text

DOC = """Intro text.

# One

one body

## One.A

a body

# Two
two body
```
# not a heading
```
Three
=====

para
Four
----
"""


def test_finds_atx_and_setext_headings_outside_code():
    sections = find_sections(DOC)
    assert [(s.number, s.level, s.title) for s in sections] == [
        (1, 1, "One"), (2, 2, "One.A"), (3, 1, "Two"), (4, 1, "Three")]


def test_a_section_includes_its_subsections():
    one = get_section(DOC, 1)
    assert section_text(DOC, one) == "# One\n\none body\n\n## One.A\n\na body\n\n"
    assert section_text(DOC, get_section(DOC, 2)) == "## One.A\n\na body\n\n"


def test_the_last_section_runs_to_the_end():
    three = get_section(DOC, 4)
    assert section_text(DOC, three) == "Three\n=====\n\npara\nFour\n----\n"


def test_setext_needs_the_start_of_a_block():
    # "Four" follows "para" in the same block: Python-Markdown does not make it a heading.
    assert "Four" not in [s.title for s in find_sections(DOC)]


@pytest.mark.parametrize("number", [0, 5, -1, 10**9])
def test_missing_section_numbers(number):
    assert get_section(DOC, number) is None


def test_replace_a_middle_section_keeps_the_rest_byte_for_byte():
    two = get_section(DOC, 3)
    new = replace_section(DOC, two, "# Two\nnew body\n")
    assert new.startswith(DOC[: DOC.index("# Two")])
    assert new.endswith(DOC[DOC.index("Three"):])
    assert "new body" in new and "two body" not in new


def test_replacement_without_final_newline_does_not_glue_the_next_heading():
    new = replace_section("# A\nx\n# B\ny\n", get_section("# A\nx\n# B\ny\n", 1), "# A\nchanged")
    assert new == "# A\nchanged\n# B\ny\n"


def test_replace_the_last_section_and_delete_a_section():
    src = "# A\nx\n# B\ny"
    assert replace_section(src, get_section(src, 2), "# B\nz") == "# A\nx\n# B\nz"
    assert replace_section(src, get_section(src, 1), "") == "# B\ny"


def test_hash_without_space_is_a_heading_like_python_markdown_and_indented_is_not():
    assert [s.title for s in find_sections("#tag\n\n    # code\n  # indented\n")] == ["tag"]


def test_tilde_fences_and_unclosed_fences():
    assert find_sections("~~~\n# x\n~~~\n# y\n") [0].title == "y"
    assert find_sections("```\n# x\n# y\n") == []


def test_empty_source():
    assert find_sections("") == []


def test_only_the_line_breaks_markdown_knows_start_a_section():
    # U+2028 and form feed are line breaks to str.splitlines, not to Markdown: "#" after them
    # is paragraph text, not a heading, so it starts no section and gets no edit marker.
    from wiki.core.markup import render_markdown

    for separator in ("\u2028", "\x0c", "\x85"):
        source = f"'></b>&#</t;{separator}# not a heading"
        assert find_sections(source) == []
        rendered = render_markdown(source, section_edit_url=lambda n: f"/e?section={n}")
        assert "nexus-section" not in rendered.html
    assert [s.title for s in find_sections("intro\r# One\rtext\r\n# Two\n")] == ["One", "Two"]
