"""The one error type documents raise for input a user can fix (wrong file, too big, encrypted, empty)."""

from medbridge.errors import MedbridgeError


class DocumentError(MedbridgeError):
    """A document that cannot be translated, explained in one line."""


class JobCancelled(MedbridgeError):
    """The job was cancelled between two translation batches; its checkpoint is kept for a resume."""
