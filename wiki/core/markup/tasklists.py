"""Task lists: "- [ ] todo" and "- [x] done" list items become disabled checkboxes.

Python-Markdown has no task-list syntax; GitHub-style task lists are what authors expect.
The checkboxes are disabled: a page is edited through its source, not by ticking them.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.treeprocessors import Treeprocessor

_TASK_MARK = re.compile(r"\[([ xX])\](?:[ \t]+|$)")


class TaskListTreeprocessor(Treeprocessor):
    """"- [ ] x" / "- [x] x" -> a disabled checkbox. Runs before inline processing, so the
    "[ ]" is still plain text (and is never taken for a link)."""

    def run(self, root: etree.Element) -> None:
        for lst in list(root.iter()):
            if lst.tag not in ("ul", "ol"):
                continue
            found = False
            for li in lst:
                if li.tag == "li" and self._make_task(li):
                    found = True
            if found:
                lst.set("class", "task-list")

    @staticmethod
    def _make_task(li: etree.Element) -> bool:
        holder = li
        if not (li.text or "").strip() and len(li) and li[0].tag == "p":  # loose list: <li><p>
            holder = li[0]
        m = _TASK_MARK.match((holder.text or "").lstrip())
        if not m:
            return False
        # Named, so assistive technology says what the box means (axe: "label", critical);
        # the task's own text follows it.
        done = m.group(1) != " "
        box = etree.Element("input", {"type": "checkbox", "disabled": "disabled",
                                      "aria-label": "Done" if done else "Not done"})
        if done:
            box.set("checked", "checked")
        rest = (holder.text or "").lstrip()[m.end():]
        box.tail = " " + rest if rest else None
        holder.text = None
        holder.insert(0, box)
        li.set("class", "task-list-item")
        return True
