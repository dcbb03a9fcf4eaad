"""An edit as the save path carries it: validated once at the edge, then passed down.

A save used to normalize its title, measure its body and parse its redirect line at every
layer it went through (view, page service, rendering, search index). ``Edit.make`` does
each once; the services trust the value they are given.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from wiki.core.diff.merge import count_markers
from wiki.core.errors import BodyTooLarge, InvalidInput
from wiki.core.markup.redirects import redirect_target
from wiki.core.tags import new_problems
from wiki.core.titles import InvalidTitle, Title

MAX_SUMMARY_LENGTH = 300


class Unparsed:
    """The type of UNPARSED."""


# Passed for a redirect target that the caller has not parsed: the callee parses the source.
UNPARSED = Unparsed()


def check_size(body: str, max_bytes: int) -> int:
    """The body's size in bytes of UTF-8; BodyTooLarge if it is over ``max_bytes``."""
    size = len(body.encode("utf-8"))
    if size > max_bytes:
        raise BodyTooLarge(f"The page is {size:,} bytes; the limit is {max_bytes:,} bytes. Nothing was saved.")
    return size


@dataclass(frozen=True)
class Edit:
    """A new text for a page, with what the save needs to know about it."""

    title: Title
    body: str
    summary: str  # whitespace collapsed, at most MAX_SUMMARY_LENGTH
    size: int  # bytes of UTF-8
    redirect: str | None  # the target of a "#REDIRECT [[...]]" body, else None
    base_revision: int | None = None  # the revision the editor started from (None/0: a new page)
    minor: bool = False

    @classmethod
    def make(cls, title: Title, body: str, summary: str = "", *, max_bytes: int,
             base_revision: int | None = None, minor: bool = False, previous: str | None = None) -> Edit:
        """Validate an edit: BodyTooLarge or InvalidInput with a message for the user.

        ``previous``: the text the editor started from, when a person typed this one; conflict
        markers that it did not already hold are refused (UnresolvedConflict), and so are tags
        that break the rules of wiki.core.tags (InvalidTags)."""
        size = check_size(body, max_bytes)
        if previous is not None:
            check_resolved(body, previous)
            check_tags(body, previous)
        summary = " ".join(summary.split())
        if len(summary) > MAX_SUMMARY_LENGTH:
            raise InvalidInput(f"The edit summary is limited to {MAX_SUMMARY_LENGTH} characters.")
        target = _checked_redirect(title, body)
        return cls(title, body, summary, size, target, base_revision, minor)

    def with_body(self, body: str, max_bytes: int) -> Edit:
        """The same edit with another body (a merge result), checked again."""
        return replace(self, body=body, size=check_size(body, max_bytes), redirect=_checked_redirect(self.title, body))


class UnresolvedConflict(InvalidInput):
    """A text that still holds the conflict markers of an unresolved merge."""


def check_resolved(body: str, previous: str) -> None:
    """Refuse a text with more conflict-marker lines than the text it replaces: markers a
    page already held (a page about git, say) may stay, new ones mean an unresolved conflict."""
    added = count_markers(body) - count_markers(previous)
    if added > 0:
        raise UnresolvedConflict(
            "The text still holds conflict markers (<<<<<<< yours … ======= … >>>>>>> theirs): "
            "keep the version you want between them, delete the marker lines and the ======= "
            "line, then save again. Nothing was saved; your text is still in the editor.",
            field="body")


class InvalidTags(InvalidInput):
    """A typed text whose ``tags:`` setting names something that cannot be a tag."""


def check_tags(body: str, previous: str | None) -> None:
    """Refuse a typed text whose ``tags:`` front matter has problems the text it replaces did
    not have (wiki.core.tags.new_problems), saying what each one is."""
    problems = new_problems(body, previous)
    if problems:
        raise InvalidTags("Tags: " + " ".join(problems) + " Nothing was saved; your text is still in the editor.",
                          field="body")


def _checked_redirect(title: Title, body: str) -> str | None:
    target = redirect_target(body)
    if target is not None:
        try:
            same = Title.parse(target).key == title.key
        except InvalidTitle:
            same = False
        if same:
            raise InvalidInput("A page cannot redirect to itself.")
    return target
