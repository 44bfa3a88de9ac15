"""Users, passwords and API tokens over the store; every administrative change is written to the audit log."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import TYPE_CHECKING

from medbridge.accounts.principal import Principal
from medbridge.errors import MedbridgeError, NotFoundError
from medbridge.store.base import ApiToken, Store, User

if TYPE_CHECKING:
    from argon2 import PasswordHasher

USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD = 8
TOKEN_PREFIX = "mbt_"


def token_hash(secret: str) -> str:
    """Tokens are 256 random bits, so a plain SHA-256 is enough to make a leaked table useless (a password hash
    exists to slow down guessing low-entropy secrets, which these are not) and lets a request find its token."""
    return hashlib.sha256(secret.encode()).hexdigest()


class Accounts:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._hasher: PasswordHasher | None = None
        self._dummy_hash: str | None = None

    @property
    def hasher(self) -> PasswordHasher:
        if self._hasher is None:
            from argon2 import PasswordHasher

            self._hasher = PasswordHasher()  # Argon2id with the library's RFC 9106 "low memory" parameters
        return self._hasher

    # -- users --------------------------------------------------------------------------------------
    def add_user(self, name: str, password: str | None, *, admin: bool = False, actor: str) -> User:
        if not USER_NAME.fullmatch(name):
            raise MedbridgeError(f"{name!r} is not a valid user name (letters, digits, . _ @ -; at most 64)")
        hashed = self._hash(password) if password is not None else None
        if not self.store.add_user(name, hashed, admin):
            raise MedbridgeError(f"user {name} already exists")
        self.store.add_audit(actor, "user.add", name, "admin" if admin else "")
        return self.store.get_user(name)  # type: ignore[return-value]

    def set_password(self, name: str, password: str, *, actor: str) -> None:
        if not self.store.set_password_hash(name, self._hash(password)):
            raise NotFoundError(f"no user {name}")
        self.store.add_audit(actor, "user.set-password", name)

    def remove_user(self, name: str, *, actor: str) -> None:
        tokens = len(self.store.list_tokens(name))
        if not self.store.remove_user(name):
            raise NotFoundError(f"no user {name}")
        self.store.add_audit(actor, "user.remove", name, f"{tokens} token(s) revoked" if tokens else "")

    def list_users(self) -> list[User]:
        return self.store.list_users()

    def authenticate(self, name: str, password: str) -> Principal | None:
        """The user if the password is theirs. An unknown name costs the same hashing time as a wrong password."""
        from argon2.exceptions import InvalidHashError, VerifyMismatchError

        user = self.store.get_user(name) if USER_NAME.fullmatch(name) else None
        if user is None or user.password_hash is None:
            if self._dummy_hash is None:
                self._dummy_hash = self.hasher.hash(secrets.token_hex(16))
            try:
                self.hasher.verify(self._dummy_hash, password)
            except VerifyMismatchError:
                pass
            return None
        try:
            self.hasher.verify(user.password_hash, password)
        except (VerifyMismatchError, InvalidHashError):
            return None
        if self.hasher.check_needs_rehash(user.password_hash):  # parameters raised since it was stored
            self.store.set_password_hash(name, self.hasher.hash(password))
        return Principal(user.name, user.is_admin)

    def proxy_user(self, name: str) -> Principal | None:
        """The user a trusted proxy vouches for; administrators are those the store lists as admins."""
        if not USER_NAME.fullmatch(name):
            return None
        user = self.store.get_user(name)
        return Principal(name, user.is_admin if user else False)

    def _hash(self, password: str) -> str:
        if len(password) < MIN_PASSWORD:
            raise MedbridgeError(f"a password needs at least {MIN_PASSWORD} characters")
        return self.hasher.hash(password)

    # -- API tokens ---------------------------------------------------------------------------------
    def create_token(self, user: str, *, label: str = "", actor: str) -> tuple[ApiToken, str]:
        """A new token for ``user``; the secret is returned once and only its hash is kept."""
        if self.store.get_user(user) is None:
            raise NotFoundError(f"no user {user} (add it first: medbridge users add {user})")
        token_id = secrets.token_hex(4)
        secret = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        token = self.store.add_token(token_id, user, token_hash(secret), label)
        self.store.add_audit(actor, "token.create", user, f"token {token_id}" + (f" ({label})" if label else ""))
        return token, secret

    def revoke_token(self, token_id: str, *, actor: str) -> None:
        owner = next((t.user for t in self.store.list_tokens() if t.id == token_id), None)
        if owner is None or not self.store.remove_token(token_id):
            raise NotFoundError(f"no token {token_id}")
        self.store.add_audit(actor, "token.revoke", owner, f"token {token_id}")

    def list_tokens(self, user: str | None = None) -> list[ApiToken]:
        return self.store.list_tokens(user)

    def token_user(self, secret: str) -> Principal | None:
        if not secret.startswith(TOKEN_PREFIX):
            return None
        name = self.store.token_user(token_hash(secret))
        user = self.store.get_user(name) if name else None
        return Principal(user.name, user.is_admin, via_token=True) if user else None
