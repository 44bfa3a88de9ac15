"""One base class for every error a user can cause; the CLI and web turn these into one-line messages."""


class MedbridgeError(Exception):
    """An error explained to the user in one line (no traceback unless --debug). ``key`` and ``values`` name
    its entry in the UI's string table (medbridge/web/i18n.py), so a page says it in the reader's language."""

    def __init__(self, message: str = "", *, key: str | None = None, **values: object) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


class NotFoundError(MedbridgeError):
    """A PMID, job or file the user named does not exist."""


class ConfigError(MedbridgeError):
    """Settings that cannot work (unknown backend, missing model file, bad TOML)."""


class StoreError(MedbridgeError):
    """The database is unreachable or failed mid-work (the transaction in progress rolled back)."""
