"""The ```path block (issue 20): parsing steps, notes and problems, the outline, summaries."""
import pytest

from wiki.core.markup import render_markdown
from wiki.core.markup.learningpaths import (
    MAX_STEPS, find_blocks, outline_markdown, parse_lines, parse_path, summary_from_html,
)


def block(*lines: str) -> str:
    return "\n".join(["Intro.", "", "```path", *lines, "```", ""])


def test_steps_in_order_with_sections_labels_and_notes():
    parsed = parse_path(block("- [[REST APIs]] — start here", "2. [[Databases#Indexes]]: the indexes",
                              "* [[Caching|Caches]]", "[[Queues]] - later"))
    assert [(s.target, s.section, s.label, s.note) for s in parsed.steps] == [
        ("REST APIs", None, None, "start here"), ("Databases", "Indexes", None, "the indexes"),
        ("Caching", None, "Caches", ""), ("Queues", None, None, "later")]
    assert [s.line for s in parsed.steps] == [4, 5, 6, 7]
    assert parsed.problems == ()


def test_no_block_is_no_path():
    assert parse_path("Just [[REST]] text.") is None
    assert parse_path("```path\n- [[REST]]\n") is None  # never closed: text, not a path


@pytest.mark.parametrize("line, problem", [
    ("just words", "Line 4 is not a step"),
    ("- [[]]", "Line 4 is not a step"),
    ("- [[#Only a section]]", "Line 4 is not a step"),
    ("- [[REST]]", "repeats the step [[REST]]"),
    ("- [[rest]]", "repeats the step [[rest]]"),
])
def test_bad_lines_are_reported_and_skipped(line, problem):
    parsed = parse_path(block("- [[REST]]", line) if "REST" in line or "rest" in line else block(line, "- [[REST]]"))
    assert any(problem in p for p in parsed.problems), parsed.problems
    assert [s.target for s in parsed.steps] == ["REST"]


def test_blank_lines_are_skipped():
    parsed = parse_path(block("", "- [[A]]", "   ", "- [[B]]"))
    assert [s.target for s in parsed.steps] == ["A", "B"] and parsed.problems == ()


def test_steps_are_bounded():
    parsed = parse_lines([f"- [[Page {i}]]" for i in range(MAX_STEPS + 5)])
    assert len(parsed.steps) == MAX_STEPS
    assert parsed.problems == (f"A path has at most {MAX_STEPS} steps; the last 5 were left out.",)


def test_one_path_per_page_further_blocks_reported():
    parsed = parse_path("```path\n- [[A]]\n```\n\n```path\n- [[B]]\n```\n")
    assert [s.target for s in parsed.steps] == ["A"]
    assert "line 5 are not part of it" in parsed.problems[0]


def test_a_path_block_inside_another_fence_is_code():
    assert find_blocks("````\n```path\n- [[A]]\n```\n````\n") == []


def test_long_notes_are_cut():
    parsed = parse_lines(["- [[A]] — " + "x" * 1000])
    assert len(parsed.steps[0].note) == 300


def test_outline_is_a_numbered_list_of_links_with_escaped_notes():
    assert outline_markdown(["- [[A#S|Label]] — see *this* <b>", "junk"]) == [
        r"1. [[A#S|Label]] — see \*this\* \<b\>"]


def test_renders_as_an_ordered_list_of_wiki_links():
    rendered = render_markdown(block("- [[REST]] — start", "- [[Databases#Indexes]]"))
    assert '<div class="learning-path">' in rendered.html
    assert '<ol>' in rendered.html and 'href="/wiki/REST"' in rendered.html and "— start" in rendered.html
    assert [link.target for link in rendered.links] == ["REST", "Databases"]


def test_hostile_notes_stay_text():
    rendered = render_markdown(block('- [[A]] — <script>alert(1)</script> <img src=x onerror=alert(1)>'))
    assert "<script" not in rendered.html and "<img" not in rendered.html


@pytest.mark.parametrize("html, summary", [
    ("<h2>T</h2><p></p><p>Hello <a href='x'>world</a> &amp; more</p><p>Second</p>", "Hello world & more"),
    ("<pre>code</pre>", ""),
    ("<p>" + "word " * 100 + "</p>", ("word " * 40).strip()[:199].rsplit(" ", 1)[0] + "…"),
])
def test_summary_is_the_first_paragraph(html, summary):
    assert summary_from_html(html) == summary
    assert len(summary_from_html(html)) <= 200
