"""The accounts part of the Store (users, API tokens, audit log, usage counters), written once in the SQL both
backends speak; each store says how it runs a query, stamps and reads times, and serialises a usage counter."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from typing import Any

from medbridge.store.base import ApiToken, AuditEntry, User

USAGE_KEPT_S = 2 * 86_400  # usage rows older than the longest window are dropped as new ones come


class AccountTables:
    PARAM = "?"  # the driver's placeholder; queries below are written with "?"

    # -- what each backend supplies ----------------------------------------------------------------
    def _transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _rows(self, query: str, params: tuple = ()) -> list[tuple]:
        raise NotImplementedError

    def _stamp(self) -> Any:
        """Now, as the backend stores a time."""
        raise NotImplementedError

    def _text(self, stamp: Any) -> str:
        """A stored time as ISO 8601 text."""
        raise NotImplementedError

    def _serialise_usage(self, conn: Any, key: str) -> None:
        """Hold off other transactions counting ``key`` until this one ends."""

    # -- the tables --------------------------------------------------------------------------------
    def _sql(self, query: str) -> str:
        return query if self.PARAM == "?" else query.replace("?", self.PARAM)

    def _change(self, query: str, params: tuple) -> int:
        with self._transaction() as conn:
            return conn.execute(self._sql(query), params).rowcount

    def add_user(self, name: str, password_hash: str | None, is_admin: bool) -> bool:
        return self._change("INSERT INTO users (name, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?)"
                            " ON CONFLICT (name) DO NOTHING", (name, password_hash, is_admin, self._stamp())) == 1

    def get_user(self, name: str) -> User | None:
        rows = self._rows(self._sql("SELECT name, password_hash, is_admin, created_at FROM users WHERE name = ?"), (name,))
        return self._user(rows[0]) if rows else None

    def list_users(self) -> list[User]:
        rows = self._rows("SELECT name, password_hash, is_admin, created_at FROM users")
        return sorted((self._user(row) for row in rows), key=lambda user: user.name)

    def _user(self, row: tuple) -> User:
        name, password_hash, is_admin, created_at = row
        return User(name, password_hash, bool(is_admin), self._text(created_at))

    def set_password_hash(self, name: str, password_hash: str) -> bool:
        return self._change("UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name)) == 1

    def remove_user(self, name: str) -> bool:
        return self._change("DELETE FROM users WHERE name = ?", (name,)) == 1  # tokens go with it (ON DELETE CASCADE)

    def add_token(self, token_id: str, user: str, token_hash: str, label: str) -> ApiToken:
        stamp = self._stamp()
        self._change("INSERT INTO api_tokens (id, user_name, token_hash, label, created_at) VALUES (?, ?, ?, ?, ?)",
                     (token_id, user, token_hash, label, stamp))
        return ApiToken(token_id, user, label, self._text(stamp))

    def token_user(self, token_hash: str) -> str | None:
        rows = self._rows(self._sql("SELECT user_name FROM api_tokens WHERE token_hash = ?"), (token_hash,))
        return rows[0][0] if rows else None

    def list_tokens(self, user: str | None = None) -> list[ApiToken]:
        where, params = ("WHERE user_name = ?", (user,)) if user is not None else ("", ())
        rows = self._rows(self._sql(f"SELECT id, user_name, label, created_at FROM api_tokens {where} ORDER BY created_at, id"), params)
        return [ApiToken(token_id, name, label, self._text(created_at)) for token_id, name, label, created_at in rows]

    def remove_token(self, token_id: str) -> bool:
        return self._change("DELETE FROM api_tokens WHERE id = ?", (token_id,)) == 1

    def add_audit(self, actor: str, action: str, target: str, detail: str = "") -> None:
        self._change("INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                     (self._stamp(), actor, action, target, detail))

    def audit_log(self, limit: int = 100) -> list[AuditEntry]:
        rows = self._rows(self._sql("SELECT seq, at, actor, action, target, detail FROM audit_log ORDER BY seq DESC LIMIT ?"), (limit,))
        return [AuditEntry(seq, self._text(at), *rest) for seq, at, *rest in rows]

    def take_allowance(self, user: str, kind: str, window_s: float, limit: int) -> int:
        now = time.time()
        with self._transaction() as conn:
            self._serialise_usage(conn, f"{kind}:{user}")
            used = conn.execute(self._sql("SELECT COUNT(*) FROM usage WHERE user_name = ? AND kind = ? AND at > ?"),
                                (user, kind, now - window_s)).fetchone()[0]
            if used < limit:
                conn.execute(self._sql("DELETE FROM usage WHERE user_name = ? AND kind = ? AND at < ?"), (user, kind, now - USAGE_KEPT_S))
                conn.execute(self._sql("INSERT INTO usage (user_name, kind, at) VALUES (?, ?, ?)"), (user, kind, now))
        return used
