"""Accounts in the store, on both backends: users with Argon2 hashes, API tokens kept as hashes, owners of jobs
and conversations, the audit log, and usage counters that hold under concurrent requests."""

from __future__ import annotations

import sqlite3
import threading

from medbridge.accounts import Accounts, Principal, UsageLimits
from medbridge.errors import LimitExceeded, MedbridgeError, NotFoundError
from medbridge.settings import LimitSettings
from medbridge.store.sqlite import MIGRATIONS, SQLiteStore

import pytest


def test_users_passwords_and_tokens(store):
    accounts = Accounts(store)
    accounts.add_user("alice", "correct horse", admin=True, actor="cli:root")
    accounts.add_user("bob", "battery staple", actor="cli:root")
    stored = store.get_user("alice")
    assert stored.password_hash.startswith("$argon2id$") and "correct horse" not in stored.password_hash
    assert accounts.authenticate("alice", "correct horse") == Principal("alice", is_admin=True)
    assert accounts.authenticate("bob", "battery staple") == Principal("bob")
    assert accounts.authenticate("alice", "battery staple") is None
    assert accounts.authenticate("nobody", "correct horse") is None
    with pytest.raises(MedbridgeError, match="already exists"):
        accounts.add_user("alice", "another password", actor="cli:root")
    with pytest.raises(MedbridgeError, match="at least 8"):
        accounts.add_user("carol", "short", actor="cli:root")
    with pytest.raises(MedbridgeError, match="not a valid user name"):
        accounts.add_user("bad name", "long enough", actor="cli:root")

    token, secret = accounts.create_token("bob", label="notebook", actor="cli:root")
    assert accounts.token_user(secret) == Principal("bob", via_token=True)
    assert secret not in repr(store.list_tokens()) and store.token_user(secret) is None  # only the hash is kept
    assert accounts.token_user(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    accounts.set_password("bob", "new password!", actor="cli:root")
    assert accounts.authenticate("bob", "battery staple") is None and accounts.authenticate("bob", "new password!")

    accounts.remove_user("bob", actor="cli:root")  # takes the token with it
    assert accounts.token_user(secret) is None and store.list_tokens() == []
    with pytest.raises(NotFoundError):
        accounts.revoke_token(token.id, actor="cli:root")
    assert [(e.action, e.target) for e in store.audit_log()] == [
        ("user.remove", "bob"), ("user.set-password", "bob"), ("token.create", "bob"), ("user.add", "bob"), ("user.add", "alice")]
    assert store.audit_log()[0].detail == "1 token(s) revoked"


def test_owners_of_jobs_and_conversations(store):
    mine = store.create_job("research", {"question": "tau"}, owner="alice")
    theirs = store.create_job("research", {"question": "amyloid"}, owner="bob")
    store.create_job("translate-doc", {"name": "a.pdf"}, owner="alice")
    assert store.get_job(mine.id).owner == "alice"
    assert [j.id for j in store.list_jobs("research", owner="alice")] == [mine.id]
    assert {j.id for j in store.list_jobs("research")} == {mine.id, theirs.id}
    assert len(store.list_jobs(owner="alice")) == 2

    store.save_conversation("c1", {"turns": []}, owner="alice")
    store.save_conversation("c1", {"turns": [{"text": "tau"}]})  # a later turn never changes the owner
    assert store.conversation_owner("c1") == "alice" and store.get_conversation("c1") == {"turns": [{"text": "tau"}]}
    assert store.conversation_owner("missing") is None
    store.save_conversation("c2", {"turns": []}, owner="bob")
    assert [(c.id, c.question, c.owner) for c in store.list_conversations("alice")] == [("c1", "tau", "alice")]
    assert {c.id for c in store.list_conversations()} == {"c1", "c2"}

    alice, bob, admin = Principal("alice"), Principal("bob"), Principal("root", is_admin=True)
    assert alice.sees("alice") and not bob.sees("alice") and admin.sees("alice") and not alice.sees(None)


def test_limits_count_per_user_across_threads(store):
    limits = UsageLimits(store, LimitSettings(model_requests_per_minute=5, jobs_per_day=3))
    alice, bob = Principal("alice"), Principal("bob")
    refused: list[str] = []

    def request() -> None:
        try:
            limits.model_request(alice)
        except LimitExceeded as exc:
            refused.append(exc.key)

    threads = [threading.Thread(target=request) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert refused == ["rate_limited"] * 7  # exactly 5 got through, under concurrency
    limits.model_request(bob)  # someone else's count is their own

    for _ in range(3):
        limits.job(bob)
    with pytest.raises(LimitExceeded) as exc:
        limits.job(bob)
    assert exc.value.key == "quota_exceeded" and exc.value.status == 429
    limits.model_request(Principal("", is_admin=True, single_user=True))  # single-user mode is never limited


def test_an_old_sqlite_store_gains_owners(tmp_path):
    """A store made before accounts keeps its jobs and conversations, ownerless (visible to administrators)."""
    path = tmp_path / "old.db"
    store = SQLiteStore(path)
    conn = sqlite3.connect(path)
    for table in ("usage", "audit_log", "api_tokens", "users"):
        conn.execute(f"DROP TABLE {table}")
    conn.executescript("DROP INDEX jobs_owner; ALTER TABLE jobs DROP COLUMN owner; ALTER TABLE conversations DROP COLUMN owner;")
    conn.execute("UPDATE schema_version SET version = ?", (len(MIGRATIONS) - 1,))  # as before the accounts migration
    conn.execute("INSERT INTO jobs (id, kind, state, params, created_at, updated_at) VALUES ('j1', 'research', 'done', '{}', 'x', 'x')")
    conn.commit()
    conn.close()
    store.close()
    upgraded = SQLiteStore(path)
    assert upgraded.get_job("j1").owner is None and upgraded.list_jobs(owner="alice") == []
    assert upgraded.add_user("alice", None, False)
