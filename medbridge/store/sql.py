"""What the SQLite and PostgreSQL stores share: every query the two backends speak alike, written once with
``?`` for a parameter (a store's ``PARAM`` replaces it), and the migration runner. Each store keeps only what
really differs — connections, schema scripts, bulk loading, locks, where a time comes from, JSON as text or JSONB —
and supplies the hooks and dialect spellings below."""

from __future__ import annotations

import time
import uuid
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Iterable, Iterator, Sequence

from medbridge.corpus.models import Record
from medbridge.errors import NotFoundError
from medbridge.store.base import (ApiToken, AuditEntry, BatchingFileWriter, Change, CitationImport,
                                  ConversationSummary, IngestedFile, Job, StoreStats, User)

USAGE_KEPT_S = 2 * 86_400  # usage rows older than the longest window are dropped as new ones come

JOB_JSON_FIELDS = {"params", "result", "checkpoint"}
JOB_FIELDS = {"state", "progress_done", "progress_total", "stage", "message"} | JOB_JSON_FIELDS
JOB_COLUMNS = ("id", "kind", "state", "params", "progress_done", "progress_total", "stage", "message", "result",
               "checkpoint", "created_at", "updated_at", "worker", "owner")


class SQLTables:
    """The Store written once for both SQL backends, so a query or a fix lands on both at the same time."""

    PARAM = "?"  # the driver's placeholder; queries below are written with "?"
    # What each backend sets:
    MIGRATIONS: list[str]  # its schema scripts, append only: each moves the schema one version forward
    LIST_CHUNK: int  # values per ``_matching`` condition when a long list is looked up in pieces
    RECORD_JSON: str  # a record's JSON as text
    ABSTRACT_COUNT: str  # how many records have an abstract
    FIRST_QUESTION: str  # a conversation's first turn's text
    JOB_ORDER: str  # newest job first

    # -- what each backend supplies ----------------------------------------------------------------
    def _transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _rows(self, query: str, params: Any = ()) -> list[tuple]:
        raise NotImplementedError

    def _matching(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """A condition true where ``column`` is one of ``values``, and its parameters."""
        raise NotImplementedError

    def _stamp(self) -> Any:
        """Now, as the backend stores a time."""
        raise NotImplementedError

    def _text(self, stamp: Any) -> str:
        """A stored time as ISO 8601 text."""
        raise NotImplementedError

    def _to_json(self, value: Any) -> Any:
        """``value`` as the driver stores it in a JSON column."""
        raise NotImplementedError

    def _from_json(self, stored: Any) -> Any:
        """A JSON column's value as the driver returns it, as Python."""
        raise NotImplementedError

    def _file_writer(self, conn: Any, name: str) -> BatchingFileWriter:
        raise NotImplementedError

    def _serialise_change_feed(self, conn: Any) -> None:
        """Hold off other writers of the change feed until this transaction ends."""

    def _serialise_migrations(self, conn: Any) -> None:
        """Hold off other processes migrating the schema until this transaction ends."""

    def _serialise_usage(self, conn: Any, key: str) -> None:
        """Hold off other transactions counting ``key`` until this one ends."""

    def _stage_pairs(self, conn: Any, name: str, pairs: list[tuple[int, int]]) -> None:
        """Add ``(citing, referenced)`` pairs to ``citation_staging`` for import ``name``."""
        raise NotImplementedError

    def _add_staged_citations(self, conn: Any, name: str, source: str) -> int:
        """Move import ``name``'s staged pairs into the graph; return how many were new."""
        raise NotImplementedError

    def _insert_job(self, conn: Any, job_id: str, kind: str, params: Any, owner: str | None) -> None:
        """Add a queued job, created and last updated now; ``params`` as ``_to_json`` made it."""
        raise NotImplementedError

    def _set_job_fields(self, conn: Any, job_id: str, values: dict[str, Any]) -> int:
        """Set ``values`` and the heartbeat of job ``job_id``; return the rows changed."""
        raise NotImplementedError

    # -- helpers -----------------------------------------------------------------------------------
    def _sql(self, query: str) -> str:
        return query if self.PARAM == "?" else query.replace("?", self.PARAM)

    def _select(self, query: str, params: Any = ()) -> list[tuple]:
        return self._rows(self._sql(query), params)

    def _select_one(self, query: str, params: Any = ()) -> tuple | None:
        rows = self._select(query, params)
        return rows[0] if rows else None

    def _change(self, query: str, params: tuple) -> int:
        with self._transaction() as conn:
            return conn.execute(self._sql(query), params).rowcount

    def _in_pieces(self, column: str, values: list[Any]) -> Iterator[tuple[str, list[Any]]]:
        for start in range(0, len(values), self.LIST_CHUNK):
            yield self._matching(column, values[start : start + self.LIST_CHUNK])

    # -- schema ------------------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self._transaction() as conn:
            self._serialise_migrations(conn)
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            current = row[0] if row else 0
            if row is None:
                conn.execute("INSERT INTO schema_version VALUES (0)")
            for version, script in enumerate(self.MIGRATIONS[current:], start=current + 1):
                for statement in filter(str.strip, script.split(";")):
                    conn.execute(statement)
                conn.execute(self._sql("UPDATE schema_version SET version = ?"), (version,))

    @property
    def schema_version(self) -> int:
        return self._select_one("SELECT version FROM schema_version")[0]

    # -- records -----------------------------------------------------------------------------------
    def get_record(self, pmid: int) -> Record | None:
        row = self._select_one(f"SELECT {self.RECORD_JSON} FROM records WHERE pmid = ?", (pmid,))
        return Record.from_json(row[0]) if row else None

    def get_records(self, pmids: Iterable[int]) -> dict[int, Record]:
        wanted = list(dict.fromkeys(int(p) for p in pmids))
        found: dict[int, Record] = {}
        for condition, params in self._in_pieces("pmid", wanted):
            for (data,) in self._select(f"SELECT {self.RECORD_JSON} FROM records WHERE {condition}", params):
                record = Record.from_json(data)
                found[record.pmid] = record
        return {p: found[p] for p in wanted if p in found}

    def iter_records(self, batch_size: int = 500) -> Iterator[Record]:
        last = -1
        while True:
            rows = self._select(f"SELECT pmid, {self.RECORD_JSON} FROM records WHERE pmid > ? ORDER BY pmid LIMIT ?",
                                (last, batch_size))
            if not rows:
                return
            for _, data in rows:
                yield Record.from_json(data)
            last = rows[-1][0]

    def all_pmids(self) -> list[int]:
        return [r[0] for r in self._select("SELECT pmid FROM records ORDER BY pmid")]

    def stats(self) -> StoreStats:
        records, with_abstract = self._select_one(f"SELECT COUNT(*), {self.ABSTRACT_COUNT} FROM records")
        deleted = self._select_one("SELECT COUNT(*) FROM deleted")[0]
        files = self._select_one("SELECT COUNT(*) FROM files")[0]
        return StoreStats(records=records, with_abstract=with_abstract, deleted=deleted, files=files)

    # -- ingestion ---------------------------------------------------------------------------------
    def file_ingested(self, name: str, sha256: str) -> bool:
        return self._select_one("SELECT 1 FROM files WHERE name = ? AND sha256 = ?", (name, sha256)) is not None

    @contextmanager
    def ingesting_file(self, name: str, sha256: str) -> Iterator[BatchingFileWriter]:
        with self._transaction() as conn:
            self._serialise_change_feed(conn)
            writer = self._file_writer(conn, name)
            yield writer
            writer.flush()
            conn.execute(self._sql(
                "INSERT INTO files (name, sha256, records, deletes, ingested_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET sha256 = excluded.sha256, records = excluded.records,"
                " deletes = excluded.deletes, ingested_at = excluded.ingested_at"),
                (name, sha256, writer.written, writer.deleted, self._stamp()),
            )

    def ingested_files(self) -> list[IngestedFile]:
        rows = self._select("SELECT name, sha256, records, deletes, ingested_at FROM files ORDER BY name")
        return [IngestedFile(name, sha, records, deletes, self._text(at)) for name, sha, records, deletes, at in rows]

    # -- change feed -------------------------------------------------------------------------------
    def changes_since(self, seq: int, limit: int = 10_000) -> list[Change]:
        rows = self._select("SELECT seq, pmid, op FROM changes WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit))
        return [Change(*row) for row in rows]

    def last_change(self) -> int:
        return self._select_one("SELECT COALESCE(MAX(seq), 0) FROM changes")[0]

    # -- cache -------------------------------------------------------------------------------------
    def cache_get(self, namespace: str, key: str) -> str | None:
        row = self._select_one("SELECT value FROM cache WHERE namespace = ? AND key = ?", (namespace, key))
        return row[0] if row else None

    def cache_get_many(self, namespace: str, keys: Iterable[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for condition, params in self._in_pieces("key", list(dict.fromkeys(keys))):
            found.update(self._select(f"SELECT key, value FROM cache WHERE namespace = ? AND {condition}",
                                       [namespace, *params]))
        return found

    def cache_put(self, namespace: str, key: str, value: str) -> None:
        self._change("INSERT INTO cache (namespace, key, value, updated_at) VALUES (?, ?, ?, ?)"
                     " ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                     (namespace, key, value, self._stamp()))

    def cache_release(self, namespace: str, key: str, holder: str) -> None:
        self._change("DELETE FROM cache WHERE namespace = ? AND key = ? AND value = ?", (namespace, key, holder))

    # -- conversations -----------------------------------------------------------------------------
    def save_conversation(self, conversation_id: str, data: dict[str, Any], owner: str | None = None) -> None:
        now = self._stamp()
        self._change("INSERT INTO conversations (id, data, created_at, updated_at, owner) VALUES (?, ?, ?, ?, ?)"
                     " ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
                     (conversation_id, self._to_json(data), now, now, owner))

    def get_conversation(self, conversation_id: str) -> dict[str, Any] | None:
        row = self._select_one("SELECT data FROM conversations WHERE id = ?", (conversation_id,))
        return self._from_json(row[0]) if row else None

    def conversation_owner(self, conversation_id: str) -> str | None:
        row = self._select_one("SELECT owner FROM conversations WHERE id = ?", (conversation_id,))
        return row[0] if row else None

    def list_conversations(self, owner: str | None = None, limit: int = 50) -> list[ConversationSummary]:
        where, params = ("WHERE owner = ?", (owner,)) if owner is not None else ("", ())
        rows = self._select(f"SELECT id, COALESCE({self.FIRST_QUESTION}, ''), owner, updated_at FROM conversations"
                            f" {where} ORDER BY updated_at DESC, id LIMIT ?", (*params, limit))
        return [ConversationSummary(*row[:3], self._text(row[3])) for row in rows]

    # -- citations ---------------------------------------------------------------------------------
    def cited_by_counts(self, pmids: Iterable[int]) -> dict[int, int]:
        counts: dict[int, int] = {}
        for condition, params in self._in_pieces("referenced", list(dict.fromkeys(int(p) for p in pmids))):
            counts.update(self._select(
                f"SELECT referenced, COUNT(DISTINCT citing) FROM citations WHERE {condition} GROUP BY referenced", params))
        return counts

    def citing(self, pmid: int) -> list[int]:
        rows = self._select("SELECT DISTINCT citing FROM citations WHERE referenced = ? ORDER BY citing", (pmid,))
        return [r[0] for r in rows]

    def cited(self, pmid: int) -> list[int]:
        rows = self._select("SELECT DISTINCT referenced FROM citations WHERE citing = ? ORDER BY referenced", (pmid,))
        return [r[0] for r in rows]

    def citation_import(self, name: str) -> CitationImport | None:
        row = self._select_one("SELECT name, sha256, source, state, lines_done, pairs, updated_at FROM citation_imports"
                               " WHERE name = ?", (name,))
        return CitationImport(*row[:-1], self._text(row[-1])) if row else None

    def stage_citations(self, name: str, sha256: str, source: str, pairs: list[tuple[int, int]], lines_done: int) -> None:
        with self._transaction() as conn:
            conn.execute(self._sql(
                "INSERT INTO citation_imports (name, sha256, source, state, lines_done, pairs, updated_at)"
                " VALUES (?, ?, ?, 'staging', ?, 0, ?)"
                " ON CONFLICT (name) DO UPDATE SET lines_done = excluded.lines_done, updated_at = excluded.updated_at"),
                (name, sha256, source, lines_done, self._stamp()),
            )
            self._stage_pairs(conn, name, pairs)

    def finish_citation_import(self, name: str) -> int:
        with self._transaction() as conn:
            source = conn.execute(self._sql("SELECT source FROM citation_imports WHERE name = ?"), (name,)).fetchone()[0]
            added = self._add_staged_citations(conn, name, source)
            conn.execute(self._sql("DELETE FROM citation_staging WHERE import_name = ?"), (name,))
            conn.execute(self._sql("UPDATE citation_imports SET state = 'done', pairs = ?, updated_at = ? WHERE name = ?"),
                         (added, self._stamp(), name))
        return added

    def discard_citation_import(self, name: str) -> None:
        with self._transaction() as conn:
            conn.execute(self._sql("DELETE FROM citation_staging WHERE import_name = ?"), (name,))
            conn.execute(self._sql("DELETE FROM citation_imports WHERE name = ?"), (name,))

    # -- jobs --------------------------------------------------------------------------------------
    def create_job(self, kind: str, params: dict[str, Any], owner: str | None = None) -> Job:
        job_id = uuid.uuid4().hex[:12]
        with self._transaction() as conn:
            self._insert_job(conn, job_id, kind, self._to_json(params), owner)
        return self.get_job(job_id)  # type: ignore[return-value]

    def get_job(self, job_id: str) -> Job | None:
        row = self._select_one(f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs WHERE id = ?", (job_id,))
        return self._job(row) if row else None

    def update_job(self, job_id: str, **fields: Any) -> Job:
        unknown = set(fields) - JOB_FIELDS
        if unknown:
            raise ValueError(f"unknown job fields: {sorted(unknown)}")
        values = {k: self._to_json(v) if k in JOB_JSON_FIELDS else v for k, v in fields.items()}
        with self._transaction() as conn:
            if self._set_job_fields(conn, job_id, values) == 0:
                raise NotFoundError(f"no job {job_id}", key="job_not_found", job=job_id)
        return self.get_job(job_id)  # type: ignore[return-value]

    def list_jobs(self, kind: str | None = None, limit: int = 50, states: Sequence[str] | None = None,
                  owner: str | None = None) -> list[Job]:
        conditions, params = [], []
        if kind is not None:
            conditions.append("kind = ?")
            params.append(kind)
        if states is not None:
            condition, values = self._matching("state", list(states))
            conditions.append(condition)
            params.extend(values)
        if owner is not None:
            conditions.append("owner = ?")
            params.append(owner)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self._select(f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs {where} ORDER BY {self.JOB_ORDER} LIMIT ?",
                            (*params, limit))
        return [self._job(row) for row in rows]

    def _job(self, row: tuple) -> Job:
        data = dict(zip(JOB_COLUMNS, row))
        for key in JOB_JSON_FIELDS:
            data[key] = self._from_json(data[key])
        data["created_at"], data["updated_at"] = self._text(data["created_at"]), self._text(data["updated_at"])
        return Job(**data)

    # -- accounts: users, API tokens, audit log, usage counters ------------------------------------
    def add_user(self, name: str, password_hash: str | None, is_admin: bool) -> bool:
        return self._change("INSERT INTO users (name, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?)"
                            " ON CONFLICT (name) DO NOTHING", (name, password_hash, is_admin, self._stamp())) == 1

    def get_user(self, name: str) -> User | None:
        row = self._select_one("SELECT name, password_hash, is_admin, created_at FROM users WHERE name = ?", (name,))
        return self._user(row) if row else None

    def list_users(self) -> list[User]:
        rows = self._select("SELECT name, password_hash, is_admin, created_at FROM users")
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
        row = self._select_one("SELECT user_name FROM api_tokens WHERE token_hash = ?", (token_hash,))
        return row[0] if row else None

    def list_tokens(self, user: str | None = None) -> list[ApiToken]:
        where, params = ("WHERE user_name = ?", (user,)) if user is not None else ("", ())
        rows = self._select(f"SELECT id, user_name, label, created_at FROM api_tokens {where} ORDER BY created_at, id", params)
        return [ApiToken(token_id, name, label, self._text(created_at)) for token_id, name, label, created_at in rows]

    def remove_token(self, token_id: str) -> bool:
        return self._change("DELETE FROM api_tokens WHERE id = ?", (token_id,)) == 1

    def add_audit(self, actor: str, action: str, target: str, detail: str = "") -> None:
        self._change("INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                     (self._stamp(), actor, action, target, detail))

    def audit_log(self, limit: int = 100) -> list[AuditEntry]:
        rows = self._select("SELECT seq, at, actor, action, target, detail FROM audit_log ORDER BY seq DESC LIMIT ?", (limit,))
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


class SQLFileWriter(BatchingFileWriter):
    """A file writer's deletions, alike on both backends; each backend writes its batches its own way."""

    def __init__(self, store: SQLTables, conn: Any, name: str, batch: int):
        super().__init__(name, batch=batch)
        self._store = store
        self._conn = conn

    def _execute(self, query: str, params: Any) -> None:
        self._conn.execute(self._store._sql(query), params)

    def _delete(self, pmid: int) -> None:
        self._execute("DELETE FROM records WHERE pmid = ?", (pmid,))
        self._execute("INSERT INTO deleted (pmid, source_file, deleted_at) VALUES (?, ?, ?)"
                      " ON CONFLICT (pmid) DO UPDATE SET source_file = excluded.source_file, deleted_at = excluded.deleted_at",
                      (pmid, self._name, self._store._stamp()))
        self._execute("INSERT INTO changes (pmid, op) VALUES (?, 'delete')", (pmid,))
        self._execute("DELETE FROM citations WHERE citing = ? AND source = 'pubmed'", (pmid,))
