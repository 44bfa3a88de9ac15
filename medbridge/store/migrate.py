"""Copy an SQLite store into PostgreSQL: every table in key order, in committed batches loaded with COPY,
so an interrupted copy resumes after the last batch the target holds. Change-feed sequence numbers are
kept, so search indexes built from the SQLite store stay valid on PostgreSQL."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from medbridge.errors import StoreError
from medbridge.store.postgresql import PostgreSQLStore


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    booleans: tuple[str, ...] = ()  # SQLite keeps 0/1

    def target_order(self, direction: str) -> str:
        # Byte order, as SQLite's BINARY collation sorts the source, so a resume point means the same on both sides.
        return ", ".join(f'{k} COLLATE "C" {direction}' if k in _TEXT_KEYS else f"{k} {direction}" for k in self.key)


_TEXT_KEYS = {"name", "namespace", "key", "id", "source"}
TABLES = (
    _Table("files", ("name", "sha256", "records", "deletes", "ingested_at"), ("name",)),
    _Table("deleted", ("pmid", "source_file", "deleted_at"), ("pmid",)),
    _Table("records", ("pmid", "version", "year", "has_abstract", "data", "source_file", "updated_at"), ("pmid",),
           booleans=("has_abstract",)),
    _Table("changes", ("seq", "pmid", "op"), ("seq",)),
    _Table("cache", ("namespace", "key", "value", "updated_at"), ("namespace", "key")),
    _Table("jobs", ("id", "kind", "state", "params", "progress_done", "progress_total", "stage", "message", "result",
                    "checkpoint", "created_at", "updated_at", "owner"), ("id",)),
    _Table("conversations", ("id", "data", "created_at", "updated_at", "owner"), ("id",)),
    _Table("users", ("name", "password_hash", "is_admin", "created_at"), ("name",), booleans=("is_admin",)),
    _Table("api_tokens", ("id", "user_name", "token_hash", "label", "created_at"), ("id",)),
    _Table("audit_log", ("seq", "at", "actor", "action", "target", "detail"), ("seq",)),
    _Table("citations", ("referenced", "citing", "source"), ("referenced", "citing", "source")),
    _Table("citation_imports", ("name", "sha256", "source", "state", "lines_done", "pairs", "updated_at"), ("name",)),
    # Rows of unfinished imports, without a key: copied whole in one transaction.
    _Table("citation_staging", ("import_name", "referenced", "citing"), ()),
)

Progress = Callable[[str, int, int], None]  # table, rows copied so far, rows in the source table


def migrate_sqlite_to_postgresql(sqlite_path: Path, dsn: str, *, batch_size: int = 5000,
                                 on_progress: Progress | None = None) -> dict[str, int]:
    """Copy the store at ``sqlite_path`` into the database at ``dsn``; returns rows per table. Safe to re-run:
    a finished copy is left as it is, an interrupted one continues."""
    if not Path(sqlite_path).is_file():
        raise StoreError(f"no SQLite store at {sqlite_path}")
    source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    target = PostgreSQLStore(dsn)
    try:
        source_last_change = source.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]
        if _begin(target, str(Path(sqlite_path).resolve()), source_last_change):
            for table in TABLES:
                _copy_table(source, target, table, batch_size, on_progress)
            with target._transaction() as conn:
                # Later writes continue the feed after the copied sequence numbers.
                for numbered in ("changes", "audit_log"):
                    conn.execute(f"SELECT setval(pg_get_serial_sequence('{numbered}', 'seq'), GREATEST(MAX(seq), 1),"
                                 f" MAX(seq) IS NOT NULL) FROM {numbered}")
                conn.execute("UPDATE migrated_from SET finished_at = now()")
        return {t.name: target._fetchone(f"SELECT count(*) FROM {t.name}")[0] for t in TABLES}
    finally:
        source.close()
        target.close()


def _begin(target: PostgreSQLStore, source: str, source_last_change: int) -> bool:
    """Whether there is copying to do: refuses a target holding another store, or a source that changed
    since the copy began (its earlier batches would be stale)."""
    with target._transaction() as conn:
        row = conn.execute("SELECT source, source_last_change, finished_at FROM migrated_from").fetchone()
        if row is None:
            held = {t.name: conn.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0] for t in TABLES}
            if any(held.values()):
                raise StoreError(f"PostgreSQL at {target.where} already holds a store ({held['records']:,} records, "
                                 f"{held['files']:,} files); migrate-store copies into an empty database")
            conn.execute("INSERT INTO migrated_from (source, source_last_change, started_at) VALUES (%s, %s, now())",
                         (source, source_last_change))
            return True
        began_from, began_at_change, finished_at = row
        if began_from != source or began_at_change != source_last_change:
            raise StoreError(f"PostgreSQL at {target.where} holds a copy of {began_from} at change {began_at_change:,};"
                             f" the source is now {source} at change {source_last_change:,}: copy into an empty database")
        return finished_at is None


def _copy_table(source: sqlite3.Connection, target: PostgreSQLStore, table: _Table, batch_size: int,
                on_progress: Progress | None) -> None:
    columns = ", ".join(table.columns)
    total = source.execute(f"SELECT COUNT(*) FROM {table.name}").fetchone()[0]
    if not table.key:
        with target._transaction() as conn, conn.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table.name}")
            with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
                for row in source.execute(f"SELECT {columns} FROM {table.name}"):
                    copy.write_row(_for_postgresql(row, []))
        if on_progress:
            on_progress(table.name, total, total)
        return
    done = target._fetchone(f"SELECT count(*) FROM {table.name}")[0]
    resume = target._fetchone(f"SELECT {', '.join(table.key)} FROM {table.name}"
                              f" ORDER BY {table.target_order('DESC')} LIMIT 1")
    key_marks = ", ".join("?" * len(table.key))
    booleans = [table.columns.index(c) for c in table.booleans]
    if on_progress:
        on_progress(table.name, done, total)
    while True:
        after = f"WHERE ({', '.join(table.key)}) > ({key_marks})" if resume else ""
        rows = source.execute(f"SELECT {columns} FROM {table.name} {after} ORDER BY {', '.join(table.key)} LIMIT ?",
                              [*(resume or ()), batch_size]).fetchall()
        if not rows:
            return
        with target._transaction() as conn, conn.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(_for_postgresql(row, booleans))
        done += len(rows)
        resume = tuple(rows[-1][table.columns.index(k)] for k in table.key)
        if on_progress:
            on_progress(table.name, done, total)


def _for_postgresql(row: tuple[Any, ...], booleans: list[int]) -> tuple[Any, ...]:
    """SQLite's 0/1 as booleans, and JSON the SQLite store wrote as bytes as text (COPY would send bytes as bytea)."""
    values = [value.decode() if isinstance(value, bytes) else value for value in row]
    for index in booleans:
        values[index] = bool(values[index])
    return tuple(values)
