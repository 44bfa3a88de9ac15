"""The signed-in user as the rest of medbridge sees it, and the one rule of who sees what."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from medbridge.errors import ConfigError
from medbridge.settings import MedbridgeSettings


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    is_admin: bool = False
    single_user: bool = False  # auth.mode = none: the one person at this machine
    via_token: bool = False    # authenticated by an API token (no cookie, so no CSRF check)

    @property
    def owner(self) -> str | None:
        """What new jobs and conversations record as their owner (None in single-user mode)."""
        return None if self.single_user else self.name

    @property
    def list_owner(self) -> str | None:
        """The owner lists are filtered by: None (everything) for administrators."""
        return None if self.is_admin else self.name

    def sees(self, owner: str | None) -> bool:
        """Whether something owned by ``owner`` exists for this user; for others it is a 404, not a 403, so its
        existence is not given away."""
        return self.is_admin or (owner is not None and owner == self.name)


SINGLE_USER = Principal("", is_admin=True, single_user=True)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(settings: MedbridgeSettings, host: str) -> None:
    """Refuse to serve single-user mode where others can reach it (unless explicitly allowed)."""
    if settings.auth.mode == "none" and not is_loopback(host) and not settings.auth.allow_remote_none:
        raise ConfigError(
            f"refusing to serve on {host} without accounts (auth.mode = none): set auth.mode to local or proxy, "
            "serve on 127.0.0.1, or set auth.allow_remote_none = true")
