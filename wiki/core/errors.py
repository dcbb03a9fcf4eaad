"""Errors about input values, raised by the core and the services alike.

Each carries a message fit to show a user. They live in the core so that pure value
objects (``wiki.core.edits``) can raise them; ``wiki.services.errors`` re-exports them
beside the errors that need the database's view (stale revisions, conflicts).
"""


class DomainError(Exception):
    """Base class: ``str(error)`` is a clear message for the user."""


class BodyTooLarge(DomainError):
    """A page body over the configured size limit."""


class InvalidInput(DomainError):
    """A value that fails validation; ``field`` names the input at fault, if one is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class Conflict(InvalidInput):
    """A value that clashes with an existing one (a taken username ...)."""
