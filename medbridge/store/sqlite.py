"""Embedded SQLite store: WAL, one connection per thread, schema versioned by ordered migrations."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from medbridge.corpus.models import Record
from medbridge.errors import NotFoundError
from medbridge.store.accounts_sql import AccountTables
from medbridge.store.base import (BatchingFileWriter, Change, CitationImport, ConversationSummary, IngestedFile, Job,
                                  StoreStats)

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

_JOB_JSON_FIELDS = {"params", "result", "checkpoint"}
CITATION_MOVE_CACHE_KB = 131_072
_JOB_FIELDS = {"state", "progress_done", "progress_total", "stage", "message"} | _JOB_JSON_FIELDS


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class _SQLiteFileWriter(BatchingFileWriter):
    """Writes a few statements per 500 records instead of four per record."""

    def __init__(self, conn: sqlite3.Connection, name: str):
        super().__init__(name, batch=500)
        self._conn = conn

    def _delete(self, pmid: int) -> None:
        self._conn.execute("DELETE FROM records WHERE pmid = ?", (pmid,))
        self._conn.execute(
            "INSERT INTO deleted (pmid, source_file, deleted_at) VALUES (?, ?, ?)"
            " ON CONFLICT(pmid) DO UPDATE SET source_file=excluded.source_file, deleted_at=excluded.deleted_at",
            (pmid, self._name, _now()),
        )
        self._conn.execute("INSERT INTO changes (pmid, op) VALUES (?, 'delete')", (pmid,))
        self._conn.execute("DELETE FROM citations WHERE citing = ? AND source = 'pubmed'", (pmid,))

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


class SQLiteStore(AccountTables):
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

    def _migrate(self) -> None:
        with self._transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            current = row[0] if row else 0
            if row is None:
                conn.execute("INSERT INTO schema_version VALUES (0)")
            for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in filter(str.strip, script.split(";")):
                    conn.execute(statement)
                conn.execute("UPDATE schema_version SET version = ?", (version,))

    @property
    def schema_version(self) -> int:
        return self._conn.execute("SELECT version FROM schema_version").fetchone()[0]

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- records ------------------------------------------------------------------------------
    def get_record(self, pmid: int) -> Record | None:
        row = self._conn.execute("SELECT data FROM records WHERE pmid = ?", (pmid,)).fetchone()
        return Record.from_json(row[0]) if row else None

    def get_records(self, pmids: Iterable[int]) -> dict[int, Record]:
        wanted = list(dict.fromkeys(int(p) for p in pmids))
        found: dict[int, Record] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for (data,) in self._conn.execute(f"SELECT data FROM records WHERE pmid IN ({marks})", chunk):
                record = Record.from_json(data)
                found[record.pmid] = record
        return {p: found[p] for p in wanted if p in found}

    def iter_records(self, batch_size: int = 500) -> Iterator[Record]:
        last = -1
        while True:
            rows = self._conn.execute(
                "SELECT pmid, data FROM records WHERE pmid > ? ORDER BY pmid LIMIT ?", (last, batch_size)
            ).fetchall()
            if not rows:
                return
            for pmid, data in rows:
                yield Record.from_json(data)
            last = rows[-1][0]

    def all_pmids(self) -> list[int]:
        return [r[0] for r in self._conn.execute("SELECT pmid FROM records ORDER BY pmid")]

    def stats(self) -> StoreStats:
        records, with_abstract = self._conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(has_abstract), 0) FROM records"
        ).fetchone()
        deleted = self._conn.execute("SELECT COUNT(*) FROM deleted").fetchone()[0]
        files = self._conn.execute("SELECT COUNT(*) FROM files").fetchone()[0]
        return StoreStats(records=records, with_abstract=with_abstract, deleted=deleted, files=files)

    # -- ingestion ----------------------------------------------------------------------------
    def file_ingested(self, name: str, sha256: str) -> bool:
        row = self._conn.execute("SELECT 1 FROM files WHERE name = ? AND sha256 = ?", (name, sha256)).fetchone()
        return row is not None

    @contextmanager
    def ingesting_file(self, name: str, sha256: str) -> Iterator[_SQLiteFileWriter]:
        with self._transaction() as conn:
            writer = _SQLiteFileWriter(conn, name)
            yield writer
            writer.flush()
            conn.execute(
                "INSERT INTO files (name, sha256, records, deletes, ingested_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET sha256=excluded.sha256, records=excluded.records,"
                " deletes=excluded.deletes, ingested_at=excluded.ingested_at",
                (name, sha256, writer.written, writer.deleted, _now()),
            )

    def ingested_files(self) -> list[IngestedFile]:
        rows = self._conn.execute("SELECT name, sha256, records, deletes, ingested_at FROM files ORDER BY name")
        return [IngestedFile(*row) for row in rows]

    # -- change feed --------------------------------------------------------------------------
    def changes_since(self, seq: int, limit: int = 10_000) -> list[Change]:
        rows = self._conn.execute(
            "SELECT seq, pmid, op FROM changes WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
        )
        return [Change(*row) for row in rows]

    def last_change(self) -> int:
        return self._conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]

    # -- cache --------------------------------------------------------------------------------
    def cache_get(self, namespace: str, key: str) -> str | None:
        row = self._conn.execute(
            "SELECT value FROM cache WHERE namespace = ? AND key = ?", (namespace, key)
        ).fetchone()
        return row[0] if row else None

    def cache_get_many(self, namespace: str, keys: Iterable[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT key, value FROM cache WHERE namespace = ? AND key IN ({marks})", [namespace, *chunk]
            )
            found.update(rows)
        return found

    def cache_put(self, namespace: str, key: str, value: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO cache (namespace, key, value, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(namespace, key) DO UPDATE SET value=excluded.value, updated_at=excluded.updated_at",
                (namespace, key, value, _now()),
            )

    def cache_claim(self, namespace: str, key: str, holder: str, stale_s: float) -> bool:
        now = datetime.now(timezone.utc)
        stale = (now - timedelta(seconds=stale_s)).isoformat(timespec="seconds")
        with self._transaction() as conn:
            return conn.execute(
                "INSERT INTO cache (namespace, key, value, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(namespace, key) DO UPDATE SET value=excluded.value, updated_at=excluded.updated_at"
                " WHERE cache.updated_at <= ?",
                (namespace, key, holder, now.isoformat(timespec="seconds"), stale)).rowcount == 1

    def cache_release(self, namespace: str, key: str, holder: str) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM cache WHERE namespace = ? AND key = ? AND value = ?", (namespace, key, holder))

    # -- conversations ------------------------------------------------------------------------
    def save_conversation(self, conversation_id: str, data: dict[str, Any], owner: str | None = None) -> None:
        now = _now()
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO conversations (id, data, created_at, updated_at, owner) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET data=excluded.data, updated_at=excluded.updated_at",
                (conversation_id, json.dumps(data, ensure_ascii=False), now, now, owner),
            )

    def get_conversation(self, conversation_id: str) -> dict[str, Any] | None:
        row = self._conn.execute("SELECT data FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def conversation_owner(self, conversation_id: str) -> str | None:
        row = self._conn.execute("SELECT owner FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        return row[0] if row else None

    def list_conversations(self, owner: str | None = None, limit: int = 50) -> list[ConversationSummary]:
        where, params = ("WHERE owner = ?", (owner,)) if owner is not None else ("", ())
        rows = self._conn.execute(
            "SELECT id, COALESCE(json_extract(data, '$.turns[0].text'), ''), owner, updated_at FROM conversations"
            f" {where} ORDER BY updated_at DESC, id LIMIT ?", (*params, limit))
        return [ConversationSummary(*row) for row in rows]

    # -- citations ----------------------------------------------------------------------------
    def cited_by_counts(self, pmids: Iterable[int]) -> dict[int, int]:
        wanted = list(dict.fromkeys(int(p) for p in pmids))
        counts: dict[int, int] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            counts.update(self._conn.execute(
                f"SELECT referenced, COUNT(DISTINCT citing) FROM citations WHERE referenced IN ({marks}) GROUP BY referenced", chunk
            ))
        return counts

    def citing(self, pmid: int) -> list[int]:
        rows = self._conn.execute("SELECT DISTINCT citing FROM citations WHERE referenced = ? ORDER BY citing", (pmid,))
        return [r[0] for r in rows]

    def cited(self, pmid: int) -> list[int]:
        rows = self._conn.execute("SELECT DISTINCT referenced FROM citations WHERE citing = ? ORDER BY referenced", (pmid,))
        return [r[0] for r in rows]

    def citation_import(self, name: str) -> CitationImport | None:
        row = self._conn.execute(
            "SELECT name, sha256, source, state, lines_done, pairs, updated_at FROM citation_imports WHERE name = ?", (name,)
        ).fetchone()
        return CitationImport(*row) if row else None

    def stage_citations(self, name: str, sha256: str, source: str, pairs: list[tuple[int, int]], lines_done: int) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO citation_imports (name, sha256, source, state, lines_done, pairs, updated_at)"
                " VALUES (?, ?, ?, 'staging', ?, 0, ?)"
                " ON CONFLICT(name) DO UPDATE SET lines_done=excluded.lines_done, updated_at=excluded.updated_at",
                (name, sha256, source, lines_done, _now()),
            )
            conn.executemany(
                "INSERT INTO citation_staging (import_name, citing, referenced) VALUES (?, ?, ?)",
                [(name, citing, referenced) for citing, referenced in pairs],
            )

    def finish_citation_import(self, name: str) -> int:
        # In key order and with a bigger page cache: tens of millions of random-order inserts into the
        # graph's B-tree would otherwise read and write a page per row.
        self._conn.execute(f"PRAGMA cache_size = -{CITATION_MOVE_CACHE_KB}")
        with self._transaction() as conn:
            source = conn.execute("SELECT source FROM citation_imports WHERE name = ?", (name,)).fetchone()[0]
            added = conn.execute(
                "INSERT OR IGNORE INTO citations (referenced, citing, source)"
                " SELECT referenced, citing, ? FROM citation_staging WHERE import_name = ? ORDER BY referenced, citing",
                (source, name),
            ).rowcount
            conn.execute("DELETE FROM citation_staging WHERE import_name = ?", (name,))
            conn.execute(
                "UPDATE citation_imports SET state = 'done', pairs = ?, updated_at = ? WHERE name = ?", (added, _now(), name)
            )
        return added

    def discard_citation_import(self, name: str) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM citation_staging WHERE import_name = ?", (name,))
            conn.execute("DELETE FROM citation_imports WHERE name = ?", (name,))

    # -- jobs ---------------------------------------------------------------------------------
    def create_job(self, kind: str, params: dict[str, Any], owner: str | None = None) -> Job:
        job_id = uuid.uuid4().hex[:12]
        now = _now()
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO jobs (id, kind, state, params, created_at, updated_at, owner) VALUES (?, ?, 'queued', ?, ?, ?, ?)",
                (job_id, kind, json.dumps(params, ensure_ascii=False), now, now, owner),
            )
        return self.get_job(job_id)  # type: ignore[return-value]

    def get_job(self, job_id: str) -> Job | None:
        cursor = self._conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,))
        row = cursor.fetchone()
        return self._job_from_row(cursor, row) if row else None

    def update_job(self, job_id: str, **fields: Any) -> Job:
        unknown = set(fields) - _JOB_FIELDS
        if unknown:
            raise ValueError(f"unknown job fields: {sorted(unknown)}")
        values = {k: json.dumps(v, ensure_ascii=False) if k in _JOB_JSON_FIELDS else v for k, v in fields.items()}
        values["updated_at"] = _now()
        assignments = ", ".join(f"{k} = ?" for k in values)
        with self._transaction() as conn:
            if conn.execute(f"UPDATE jobs SET {assignments} WHERE id = ?", [*values.values(), job_id]).rowcount == 0:
                raise NotFoundError(f"no job {job_id}", key="job_not_found", job=job_id)
        return self.get_job(job_id)  # type: ignore[return-value]

    def list_jobs(self, kind: str | None = None, limit: int = 50, states: Sequence[str] | None = None,
                  owner: str | None = None) -> list[Job]:
        conditions, params = ["1"], []
        if kind is not None:
            conditions.append("kind = ?")
            params.append(kind)
        if states is not None:
            conditions.append(f"state IN ({','.join('?' * len(states))})")
            params.extend(states)
        if owner is not None:
            conditions.append("owner = ?")
            params.append(owner)
        cursor = self._conn.execute(
            f"SELECT * FROM jobs WHERE {' AND '.join(conditions)} ORDER BY created_at DESC, rowid DESC LIMIT ?", (*params, limit))
        rows = cursor.fetchall()
        return [self._job_from_row(cursor, row) for row in rows]

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

    @staticmethod
    def _job_from_row(cursor: sqlite3.Cursor, row: tuple) -> Job:
        data = {d[0]: v for d, v in zip(cursor.description, row)}
        for key in _JOB_JSON_FIELDS:
            data[key] = json.loads(data[key])
        return Job(**data)

    # -- accounts (tables and queries in store/accounts_sql.py; a usage counter needs no lock of its own here:
    # BEGIN IMMEDIATE already admits one writer at a time) --------------------------------------------------
    def _rows(self, query: str, params: tuple = ()) -> list[tuple]:
        return self._conn.execute(query, params).fetchall()

    def _stamp(self) -> str:
        return _now()

    def _text(self, stamp: str) -> str:
        return stamp
