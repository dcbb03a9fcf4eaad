"""wiki.core.markup.tasklists: "- [ ]" / "- [x]" list items become disabled checkboxes."""
import pytest

from tests.core.markup.test_render import elements, render


def test_task_lists():
    html = render("- [ ] todo\n- [x] done\n- [X] also done\n- plain\n").html
    boxes = elements(html, "input")
    assert boxes == [
        {"type": "checkbox", "disabled": None, "aria-label": "Not done"},
        {"type": "checkbox", "disabled": None, "checked": None, "aria-label": "Done"},
        {"type": "checkbox", "disabled": None, "checked": None, "aria-label": "Done"},
    ]
    assert '<ul class="task-list">' in html
    assert html.count('<li class="task-list-item">') == 3
    assert "<li>plain</li>" in html
    assert "[ ]" not in html and "[x]" not in html


def test_task_list_in_loose_list_and_brackets_elsewhere_untouched():
    html = render("- [x] done\n\n- [ ] todo\n\nText [ ] stays and [x] too.\n").html
    assert len(elements(html, "input")) == 2
    assert "Text [ ] stays and [x] too." in html


def test_the_rest_of_the_item_keeps_its_markup():
    html = render("- [ ] *urgent* call\n- b\n").html
    assert html == (
        '<ul class="task-list">\n'
        '<li class="task-list-item"><input aria-label="Not done" disabled type="checkbox"> <em>urgent</em> call</li>\n'
        "<li>b</li>\n</ul>"
    )


def test_ordered_lists_have_tasks_too():
    html = render("1. [x] done\n").html
    assert html == '<ol class="task-list">\n<li class="task-list-item"><input aria-label="Done" checked disabled type="checkbox"> done</li>\n</ol>'


def test_nested_task_lists_are_each_marked():
    html = render("- [ ] a\n    - [x] b\n").html
    assert html.count('<ul class="task-list">') == 2
    assert [box.get("checked", "no") for box in elements(html, "input")] == ["no", None]


@pytest.mark.parametrize("item, is_task", [
    ("- [x]", True),          # an empty task
    ("- [ ]\tx", True),       # a tab separates as well as a space
    ("- [x]done", False),     # the mark must stand alone
    ("- [y] no", False),
    ("- [] no", False),
    ("- x [ ] no", False),    # only at the start of the item
])
def test_what_counts_as_a_task_mark(item, is_task):
    html = render(item + "\n").html
    assert (elements(html, "input") != []) is is_task
    assert ('class="task-list"' in html) is is_task
