"""One base class for every error a user can cause; the CLI and web turn these into one-line messages."""


class MedbridgeError(Exception):
    """An error explained to the user in one line (no traceback unless --debug). ``key`` and ``values`` name
    its entry in the UI's string table (medbridge/i18n.py), so a page says it in the reader's language.
    ``status`` is the HTTP status the web answers it with."""

    status = 400

    def __init__(self, message: str = "", *, key: str | None = None, **values: object) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


class NotFoundError(MedbridgeError):
    """A PMID, job or file the user named does not exist (or belongs to someone else)."""

    status = 404


class ConfigError(MedbridgeError):
    """Settings that cannot work (unknown backend, missing model file, bad TOML)."""


class StoreError(MedbridgeError):
    """The database is unreachable or failed mid-work (the transaction in progress rolled back)."""


class SignInRequired(MedbridgeError):
    """No valid session, API token or proxy header where accounts are on."""

    status = 401


class Forbidden(MedbridgeError):
    """A request refused as it stands: a form without its CSRF token, a cross-site post."""

    status = 403


class LimitExceeded(MedbridgeError):
    """A user's rate limit or daily quota of model work is used up."""

    status = 429
