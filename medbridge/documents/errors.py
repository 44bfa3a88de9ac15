"""The one error type documents raise for input a user can fix (wrong file, too big, encrypted, empty)."""

from medbridge.errors import MedbridgeError
from medbridge.jobs.runner import JobCancelled  # the runner's own, so a cancelled document job ends 'cancelled'

__all__ = ["DocumentError", "JobCancelled", "UploadTooLarge"]


class DocumentError(MedbridgeError):
    """A document that cannot be translated, explained in one line."""


class UploadTooLarge(DocumentError):
    """A file over ``documents.max_file_mb``."""

    status = 413

    def __init__(self, message: str, *, limit_mb: float) -> None:
        super().__init__(message, key="upload_too_large", limit=f"{limit_mb:g}")
