"""Domain errors. Each carries a message fit to show a user; views map them to responses."""


class DomainError(Exception):
    """Base class: ``str(error)`` is a clear message for the user."""


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


class BodyTooLarge(DomainError):
    """A page body over the configured size limit."""


class InvalidInput(DomainError):
    """A value that fails validation; ``field`` names the input at fault, if one is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class Conflict(InvalidInput):
    """A value that clashes with an existing one (a taken username ...)."""
