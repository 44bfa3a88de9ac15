"""The one error type documents raise for input a user can fix (wrong file, too big, encrypted, empty)."""

from medbridge.errors import MedbridgeError
from medbridge.jobs.runner import JobCancelled  # the runner's own, so a cancelled document job ends 'cancelled'

__all__ = ["DocumentError", "JobCancelled"]


class DocumentError(MedbridgeError):
    """A document that cannot be translated, explained in one line."""
