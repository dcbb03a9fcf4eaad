"""Domain errors. Each carries a message fit to show a user; views map them to responses.

The input errors are defined in the core (``wiki.core.errors``) and re-exported here, so a
view catches every domain error from this one module.
"""
from wiki.core.errors import BodyTooLarge, Conflict, DomainError, InvalidInput

__all__ = ["BodyTooLarge", "Conflict", "DomainError", "EditConflict", "InvalidInput", "NotFound", "StaleRevision",
           "Unconfirmed"]


class NotFound(DomainError):
    """A page or revision that does not exist."""


class StaleRevision(DomainError):
    """The page changed since the editor loaded it; ``current`` is the newer revision."""

    def __init__(self, current):
        super().__init__(
            f"Someone else saved revision {current.number} of this page after you opened it."
            if current is not None
            else "This page changed after you opened it."
        )
        self.current = current


class EditConflict(DomainError):
    """A stale edit whose changes overlap the newer revision's: nothing was saved.

    ``current`` is the newer revision, ``base_number``/``base_source`` what the editor
    started from, ``yours`` the editor's text and ``merge`` the MergeResult (with markers).
    """

    def __init__(self, current, base_number, base_source, yours, merge):
        super().__init__(
            f"Someone else saved revision {current.number} of this page after you opened it, "
            "and some of their changes overlap yours."
        )
        self.current, self.base_number, self.base_source = current, base_number, base_source
        self.yours, self.merge = yours, merge


class Unconfirmed(DomainError):
    """The connection to the database was lost while a change was being committed, so it may
    or may not have been saved: only the history can tell. ``what`` names the change."""

    def __init__(self, what: str):
        super().__init__(f"The connection to the database was lost while {what} was being saved, so "
                         "Nexus cannot tell whether it went through.")
        self.what = what
