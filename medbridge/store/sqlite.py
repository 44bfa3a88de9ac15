"""Embedded SQLite store: WAL, one connection per thread, schema versioned by ordered migrations."""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

from medbridge.corpus.models import Record
from medbridge.store.base import Job
from medbridge.store.sql import SQLFileWriter, SQLTables

# Append only: each entry moves the schema one version forward.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE records (
        pmid INTEGER PRIMARY KEY,
        version INTEGER NOT NULL,
        year INTEGER,
        has_abstract INTEGER NOT NULL,
        data TEXT NOT NULL,
        source_file TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE deleted (
        pmid INTEGER PRIMARY KEY,
        source_file TEXT,
        deleted_at TEXT NOT NULL
    );
    CREATE TABLE files (
        name TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        records INTEGER NOT NULL,
        deletes INTEGER NOT NULL,
        ingested_at TEXT NOT NULL
    );
    CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        pmid INTEGER NOT NULL,
        op TEXT NOT NULL CHECK (op IN ('put', 'delete'))
    );
    CREATE TABLE cache (
        namespace TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (namespace, key)
    );
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        state TEXT NOT NULL,
        params TEXT NOT NULL,
        progress_done INTEGER NOT NULL DEFAULT 0,
        progress_total INTEGER NOT NULL DEFAULT 0,
        stage TEXT NOT NULL DEFAULT '',
        message TEXT NOT NULL DEFAULT '',
        result TEXT NOT NULL DEFAULT '{}',
        checkpoint TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX jobs_kind ON jobs(kind, created_at);
    """,
    # Conversations (search threads) and the citation graph. Citations come from the records' own reference
    # lists (source 'pubmed', kept in step with the record) and from imported files such as the NIH Open
    # Citation Collection (source 'occ'); an import stages its rows and moves them in one transaction.
    """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE citations (
        referenced INTEGER NOT NULL,
        citing INTEGER NOT NULL,
        source TEXT NOT NULL,
        PRIMARY KEY (referenced, citing, source)
    ) WITHOUT ROWID;
    CREATE INDEX citations_citing ON citations(citing, referenced);
    INSERT OR IGNORE INTO citations (referenced, citing, source)
        SELECT CAST(ref.value AS INTEGER), records.pmid, 'pubmed' FROM records, json_each(records.data, '$.references') AS ref;
    CREATE TABLE citation_imports (
        name TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        source TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('staging', 'done')),
        lines_done INTEGER NOT NULL,
        pairs INTEGER NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE citation_staging (
        import_name TEXT NOT NULL,
        referenced INTEGER NOT NULL,
        citing INTEGER NOT NULL
    )
    """,
    # Jobs run by queue workers hold a lease: who runs it, renewed through updated_at (store/base.py claim_job).
    """
    ALTER TABLE jobs ADD COLUMN worker TEXT NOT NULL DEFAULT '';
    CREATE INDEX jobs_state ON jobs(state, updated_at)
    """,
    # Accounts: jobs and conversations get their owner (NULL: made in single-user mode); users, API tokens
    # (SHA-256 of the secret), the audit log of admin actions, and usage counted for rate limits and quotas.
    """
    ALTER TABLE jobs ADD COLUMN owner TEXT;
    CREATE INDEX jobs_owner ON jobs(owner, kind, created_at);
    ALTER TABLE conversations ADD COLUMN owner TEXT;
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        password_hash TEXT,
        is_admin INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        label TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE usage (
        user_name TEXT NOT NULL,
        kind TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX usage_user ON usage(user_name, kind, at)
    """,
]

CITATION_MOVE_CACHE_KB = 131_072


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class _SQLiteFileWriter(SQLFileWriter):
    """Writes a few statements per 500 records instead of four per record."""

    def _write(self, records: list[Record]) -> int:
        pmids = [r.pmid for r in records]
        marks = ",".join("?" * len(pmids))
        stored = dict(self._conn.execute(f"SELECT pmid, version FROM records WHERE pmid IN ({marks})", pmids))
        # A newer version already stored wins over an older one arriving later.
        records = [r for r in records if stored.get(r.pmid, 0) <= r.version]
        now = _now()
        self._conn.executemany(
            "INSERT INTO records (pmid, version, year, has_abstract, data, source_file, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(pmid) DO UPDATE SET version=excluded.version, year=excluded.year,"
            " has_abstract=excluded.has_abstract, data=excluded.data, source_file=excluded.source_file,"
            " updated_at=excluded.updated_at",
            [(r.pmid, r.version, r.year, int(r.has_abstract), r.to_json(), self._name, now) for r in records],
        )
        self._conn.executemany("DELETE FROM deleted WHERE pmid = ?", [(r.pmid,) for r in records])
        self._conn.executemany("INSERT INTO changes (pmid, op) VALUES (?, 'put')", [(r.pmid,) for r in records])
        self._conn.executemany("DELETE FROM citations WHERE citing = ? AND source = 'pubmed'", [(r.pmid,) for r in records])
        self._conn.executemany(
            "INSERT OR IGNORE INTO citations (referenced, citing, source) VALUES (?, ?, 'pubmed')",
            [(reference, r.pmid) for r in records for reference in r.references],
        )
        return len(records)


class SQLiteStore(SQLTables):
    """The queries both backends share are in store/sql.py; here what is SQLite's own. Times are ISO text made
    in Python (one machine, one clock); JSON is text; one writer at a time (BEGIN IMMEDIATE under a lock), so
    migrations, the change feed and usage counters need no lock of their own."""

    MIGRATIONS = MIGRATIONS  # the list above, run by SQLTables._migrate
    LIST_CHUNK = 500  # well under SQLite's limit on parameters per statement
    RECORD_JSON = "data"
    ABSTRACT_COUNT = "COALESCE(SUM(has_abstract), 0)"
    FIRST_QUESTION = "json_extract(data, '$.turns[0].text')"
    JOB_ORDER = "created_at DESC, rowid DESC"  # created_at has whole seconds: insertion order breaks ties

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._migrate()

    # -- connections -------------------------------------------------------------------------
    @property
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _rows(self, query: str, params: Any = ()) -> list[tuple]:
        return self._conn.execute(query, params).fetchall()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- what SQLite spells its own way ------------------------------------------------------
    def _matching(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        return f"{column} IN ({','.join('?' * len(values))})", list(values)

    def _stamp(self) -> str:
        return _now()

    def _text(self, stamp: str) -> str:
        return stamp

    def _to_json(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    def _from_json(self, stored: str) -> Any:
        return json.loads(stored)

    def _file_writer(self, conn: sqlite3.Connection, name: str) -> _SQLiteFileWriter:
        return _SQLiteFileWriter(self, conn, name, batch=500)

    # -- cache --------------------------------------------------------------------------------
    def cache_claim(self, namespace: str, key: str, holder: str, stale_s: float) -> bool:
        now = datetime.now(timezone.utc)
        stale = (now - timedelta(seconds=stale_s)).isoformat(timespec="seconds")
        with self._transaction() as conn:
            return conn.execute(
                "INSERT INTO cache (namespace, key, value, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(namespace, key) DO UPDATE SET value=excluded.value, updated_at=excluded.updated_at"
                " WHERE cache.updated_at <= ?",
                (namespace, key, holder, now.isoformat(timespec="seconds"), stale)).rowcount == 1

    # -- citations ----------------------------------------------------------------------------
    def _stage_pairs(self, conn: sqlite3.Connection, name: str, pairs: list[tuple[int, int]]) -> None:
        conn.executemany(
            "INSERT INTO citation_staging (import_name, citing, referenced) VALUES (?, ?, ?)",
            [(name, citing, referenced) for citing, referenced in pairs],
        )

    def finish_citation_import(self, name: str) -> int:
        # In key order and with a bigger page cache: tens of millions of random-order inserts into the
        # graph's B-tree would otherwise read and write a page per row.
        self._conn.execute(f"PRAGMA cache_size = -{CITATION_MOVE_CACHE_KB}")
        return super().finish_citation_import(name)

    def _add_staged_citations(self, conn: sqlite3.Connection, name: str, source: str) -> int:
        return conn.execute(
            "INSERT OR IGNORE INTO citations (referenced, citing, source)"
            " SELECT referenced, citing, ? FROM citation_staging WHERE import_name = ? ORDER BY referenced, citing",
            (source, name),
        ).rowcount

    # -- jobs ---------------------------------------------------------------------------------
    def _insert_job(self, conn: sqlite3.Connection, job_id: str, kind: str, params: str, owner: str | None) -> None:
        now = _now()
        conn.execute("INSERT INTO jobs (id, kind, state, params, created_at, updated_at, owner) VALUES (?, ?, 'queued', ?, ?, ?, ?)",
                     (job_id, kind, params, now, now, owner))

    def _set_job_fields(self, conn: sqlite3.Connection, job_id: str, values: dict[str, Any]) -> int:
        assignments = "".join(f"{k} = ?, " for k in values)
        return conn.execute(f"UPDATE jobs SET {assignments}updated_at = ? WHERE id = ?",
                            [*values.values(), _now(), job_id]).rowcount

    def claim_job(self, job_id: str, worker: str, lease_s: float) -> Job | None:
        now = datetime.now(timezone.utc)
        expired = (now - timedelta(seconds=lease_s)).isoformat(timespec="seconds")
        with self._transaction() as conn:
            claimed = conn.execute(
                "UPDATE jobs SET state = 'running', worker = ?, message = '', progress_done = 0, progress_total = 0,"
                " updated_at = ? WHERE id = ? AND (state = 'queued' OR (state = 'running' AND updated_at <= ?))",
                (worker, now.isoformat(timespec="seconds"), job_id, expired)).rowcount
        return self.get_job(job_id) if claimed else None

    def heartbeat_job(self, job_id: str, worker: str) -> bool:
        with self._transaction() as conn:
            return conn.execute("UPDATE jobs SET updated_at = ? WHERE id = ? AND worker = ? AND state = 'running'",
                                (_now(), job_id, worker)).rowcount == 1
