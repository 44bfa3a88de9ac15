"""The Store interface: everything persistent goes through it, so SQLite can give way to PostgreSQL
without touching callers."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Literal, Protocol, Sequence

from medbridge.corpus.models import Record
from medbridge.progress import ProgressEvent

JobState = Literal["queued", "running", "done", "failed", "cancelled"]


@dataclass(slots=True)
class StoreStats:
    records: int
    with_abstract: int
    deleted: int
    files: int


@dataclass(slots=True)
class IngestedFile:
    name: str
    sha256: str
    records: int
    deletes: int
    ingested_at: str


@dataclass(slots=True)
class Change:
    """One entry of the change feed indexes follow: ``op`` is 'put' or 'delete'."""

    seq: int
    pmid: int
    op: Literal["put", "delete"]


@dataclass(slots=True)
class CitationImport:
    """An import of citation pairs from one file: 'staging' until every row is read, then 'done'."""

    name: str
    sha256: str
    source: str
    state: Literal["staging", "done"]
    lines_done: int
    pairs: int
    updated_at: str


@dataclass(slots=True)
class Job:
    id: str
    kind: str
    state: JobState
    params: dict[str, Any]
    progress_done: int = 0
    progress_total: int = 0
    stage: str = ""
    message: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    checkpoint: dict[str, Any] = field(default_factory=dict)  # what a resumed run needs to skip finished work
    created_at: str = ""
    updated_at: str = ""  # also the running job's heartbeat: a lease not renewed for a while means its worker died
    worker: str = ""      # who holds the running job's lease (host/pid/run), set by claim_job
    owner: str | None = None  # the user who started it; None in single-user mode

    @property
    def progress(self) -> ProgressEvent:
        """Where the job is, as the event every long task reports."""
        return ProgressEvent(self.stage, self.progress_done, self.progress_total, self.message)


@dataclass(slots=True)
class ConversationSummary:
    id: str
    question: str  # the first turn's text ('' before the first turn)
    owner: str | None
    updated_at: str


@dataclass(slots=True)
class User:
    name: str
    password_hash: str | None  # None for users known only through the proxy header or tokens
    is_admin: bool
    created_at: str


@dataclass(slots=True)
class ApiToken:
    """An API token as stored: its secret only as a hash."""

    id: str
    user: str
    label: str
    created_at: str


@dataclass(slots=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    target: str
    detail: str


class FileWriter(Protocol):
    """Writes of one input file, in file order; committed together or not at all. ``written`` and
    ``deleted`` count what the file changed once the writing context has closed."""

    written: int
    deleted: int

    def put(self, record: Record) -> None:
        """Store ``record`` unless a newer version is (or will be, within this file) stored."""

    def delete(self, pmid: int) -> None:
        """Remove ``pmid`` (and remember it was deleted)."""


class BatchingFileWriter:
    """What every backend's FileWriter shares: puts are buffered (within a file the newest version of a PMID
    wins) and handed to ``_write`` a batch at a time; a deletion first writes what came before it."""

    def __init__(self, name: str, batch: int):
        self._name = name
        self._batch = batch
        self._pending: dict[int, Record] = {}
        self.written = 0
        self.deleted = 0

    def put(self, record: Record) -> None:
        pending = self._pending.get(record.pmid)
        if pending is None or pending.version <= record.version:
            self._pending[record.pmid] = record
        if len(self._pending) >= self._batch:
            self.flush()

    def delete(self, pmid: int) -> None:
        self.flush()  # a deletion applies after every record that came before it in the file
        self._delete(pmid)
        self.deleted += 1

    def flush(self) -> None:
        if self._pending:
            records = list(self._pending.values())
            self._pending.clear()
            self.written += self._write(records)

    def _write(self, records: list[Record]) -> int:
        """Store ``records`` unless a newer version is stored; return how many were written."""
        raise NotImplementedError

    def _delete(self, pmid: int) -> None:
        raise NotImplementedError


class Store(Protocol):
    # records
    def get_record(self, pmid: int) -> Record | None: ...
    def get_records(self, pmids: Iterable[int]) -> dict[int, Record]: ...
    def iter_records(self, batch_size: int = 500) -> Iterator[Record]: ...
    def all_pmids(self) -> list[int]: ...
    def stats(self) -> StoreStats: ...

    # ingestion bookkeeping
    def file_ingested(self, name: str, sha256: str) -> bool: ...
    def ingesting_file(self, name: str, sha256: str) -> AbstractContextManager[FileWriter]: ...
    def ingested_files(self) -> list[IngestedFile]: ...

    # change feed for incremental indexes
    def changes_since(self, seq: int, limit: int = 10_000) -> list[Change]: ...
    def last_change(self) -> int: ...

    # small key/value cache (translations, index bookkeeping): namespaced
    def cache_get(self, namespace: str, key: str) -> str | None: ...
    def cache_put(self, namespace: str, key: str, value: str) -> None: ...
    def cache_get_many(self, namespace: str, keys: Iterable[str]) -> dict[str, str]: ...
    def cache_claim(self, namespace: str, key: str, holder: str, stale_s: float) -> bool:
        """Put ``holder`` under ``key`` unless another holder put it there less than ``stale_s`` ago: a lock
        across processes that a dead holder cannot keep. Atomic: of two claims, one wins."""
    def cache_release(self, namespace: str, key: str, holder: str) -> None:
        """Remove ``key`` if ``holder`` still holds it."""

    # conversations (search threads), as the JSON their owner writes
    def save_conversation(self, conversation_id: str, data: dict[str, Any], owner: str | None = None) -> None:
        """Insert or update; the owner is set when the conversation is created and never changes."""
    def get_conversation(self, conversation_id: str) -> dict[str, Any] | None: ...
    def conversation_owner(self, conversation_id: str) -> str | None: ...
    def list_conversations(self, owner: str | None = None, limit: int = 50) -> list[ConversationSummary]:
        """Most recently updated first; with ``owner``, only that user's."""

    # citation graph: pairs from the records' reference lists and from imported files
    def cited_by_counts(self, pmids: Iterable[int]) -> dict[int, int]: ...
    def citing(self, pmid: int) -> list[int]: ...
    def cited(self, pmid: int) -> list[int]: ...
    def citation_import(self, name: str) -> CitationImport | None: ...
    def stage_citations(self, name: str, sha256: str, source: str, pairs: list[tuple[int, int]], lines_done: int) -> None:
        """Rows of an unfinished import, with how many lines of the file they cover (the resume point)."""
    def finish_citation_import(self, name: str) -> int:
        """Staged rows become citations in one transaction; returns the pairs that were new."""
    def discard_citation_import(self, name: str) -> None: ...

    # jobs
    def create_job(self, kind: str, params: dict[str, Any], owner: str | None = None) -> Job: ...
    def get_job(self, job_id: str) -> Job | None: ...
    def update_job(self, job_id: str, **fields: Any) -> Job: ...
    def list_jobs(self, kind: str | None = None, limit: int = 50, states: Sequence[str] | None = None,
                  owner: str | None = None) -> list[Job]:
        """Newest first; with ``states`` or ``owner``, only those jobs."""
    def claim_job(self, job_id: str, worker: str, lease_s: float) -> Job | None:
        """Mark the job running for ``worker`` (progress counts reset) if it is queued, or running without a
        heartbeat for ``lease_s`` (its worker died); None otherwise. Atomic: of two claims, one wins."""
    def heartbeat_job(self, job_id: str, worker: str) -> bool:
        """Renew the lease of a running job that ``worker`` holds; False once it does not (cancelled, finished,
        taken over by another worker after a stall)."""

    # accounts (medbridge/accounts): users, API tokens by hash, the audit log of admin actions, usage counters
    def add_user(self, name: str, password_hash: str | None, is_admin: bool) -> bool:
        """False if the name is taken."""
    def get_user(self, name: str) -> User | None: ...
    def list_users(self) -> list[User]: ...
    def set_password_hash(self, name: str, password_hash: str) -> bool: ...
    def remove_user(self, name: str) -> bool:
        """Removes the user and their tokens; their jobs and conversations stay (an admin still sees them)."""
    def add_token(self, token_id: str, user: str, token_hash: str, label: str) -> ApiToken: ...
    def token_user(self, token_hash: str) -> str | None: ...
    def list_tokens(self, user: str | None = None) -> list[ApiToken]: ...
    def remove_token(self, token_id: str) -> bool: ...
    def add_audit(self, actor: str, action: str, target: str, detail: str = "") -> None: ...
    def audit_log(self, limit: int = 100) -> list[AuditEntry]:
        """Newest first."""
    def take_allowance(self, user: str, kind: str, window_s: float, limit: int) -> int:
        """Count one use of ``kind`` by ``user`` unless ``limit`` uses fall within the last ``window_s``
        seconds; returns the uses counted before this one (``limit`` or more: refused, nothing counted).
        Atomic across processes."""

    def close(self) -> None: ...
