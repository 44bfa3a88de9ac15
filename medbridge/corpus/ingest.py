"""Ingest PubMed XML files into a Store: one transaction per file, files tracked by name and checksum.

With several files and ``workers`` > 1, files are parsed ahead in worker processes (parsing is CPU-bound)
while this process, the one writer, stores them in file order; records come back msgpack-encoded. With
``ray.address`` set the parsing is spread over the Ray cluster's nodes instead (the file's bytes travel).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterable, Iterator

import msgspec

from medbridge.corpus.models import DeletedCitation, Record
from medbridge.corpus.pubmed import PubmedParseError, iter_pubmed
from medbridge.errors import MedbridgeError, StoreError
from medbridge.progress import ProgressEvent, ProgressSink
from medbridge.store.base import Store

XML_SUFFIXES = (".xml", ".xml.gz")


@dataclass(slots=True)
class FileResult:
    path: Path
    status: str  # ingested | unchanged | failed
    records: int = 0
    deletes: int = 0
    error: str | None = None


@dataclass(slots=True)
class IngestReport:
    files: list[FileResult] = field(default_factory=list)

    @property
    def failures(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def deletes(self) -> int:
        return sum(f.deletes for f in self.files)


class IngestError(MedbridgeError):
    """Raised when a file fails and the caller did not ask to keep going."""

    def __init__(self, report: IngestReport, failure: FileResult):
        self.report = report
        super().__init__(failure.error or f"{failure.path}: failed")


def expand_paths(paths: Iterable[Path | str]) -> list[Path]:
    """Files as given, folders expanded to their PubMed XML files (recursively, sorted by name)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(XML_SUFFIXES)))
        else:
            found.append(path)  # a missing or odd file is reported by the parser, naming it
    return found


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _checksum(path: Path) -> str:
    try:
        return file_sha256(path)
    except OSError as exc:
        raise PubmedParseError(path, "no such file" if isinstance(exc, FileNotFoundError) else str(exc)) from exc


def _write_file(store: Store, path: Path, sha: str, items: Iterable[Record | DeletedCitation]) -> FileResult:
    if store.file_ingested(path.name, sha):
        return FileResult(path, "unchanged")
    with store.ingesting_file(path.name, sha) as writer:
        for item in items:
            if isinstance(item, DeletedCitation):
                writer.delete(item.pmid)
            else:
                writer.put(item)
    return FileResult(path, "ingested", records=writer.written, deletes=writer.deleted)


def ingest_file(store: Store, path: Path) -> FileResult:
    return _write_file(store, path, _checksum(path), iter_pubmed(path))


def _parse_encoded(path: str) -> list[bytes]:
    """In a worker process: the file's items in order, each encoded on its own (a deletion as its bare PMID),
    so the writer decodes one at a time instead of holding the whole file as objects."""
    encode = msgspec.msgpack.Encoder().encode
    return [encode(item.pmid if isinstance(item, DeletedCitation) else item) for item in iter_pubmed(path)]


def parse_file_bytes(path: str, data: bytes) -> list[bytes]:
    """``_parse_encoded`` of a file sent as bytes (a cluster node need not see this machine's disk); a bad
    file's error names ``path``, as parsing it here would."""
    with tempfile.TemporaryDirectory(prefix="medbridge-parse-") as folder:
        copy = Path(folder) / Path(path).name
        copy.write_bytes(data)
        try:
            return _parse_encoded(str(copy))
        except PubmedParseError as exc:
            raise PubmedParseError(path, exc.reason, pmid=exc.pmid, line=exc.line) from None


_decode_item = msgspec.msgpack.Decoder(Record | int).decode


def _decoded(parsed: Future) -> Iterator[Record | DeletedCitation]:
    for data in parsed.result():  # re-raises the worker's PubmedParseError inside the file's transaction
        item = _decode_item(data)
        yield DeletedCitation(item) if isinstance(item, int) else item


def _raise(error: Exception) -> FileResult:
    raise error


def ingest_steps(store: Store, files: Iterable[Path], workers: int, cluster: str | None = None) -> Iterator[tuple[Path, Callable[[], FileResult]]]:
    """Each file with a callable that stores it, in file order. In parallel, each file's parse is started
    ``workers`` files ahead of its storing, so no more than that many parsed files wait in memory. ``files``
    may be a generator that waits for each file (a download): parsing starts as each one arrives. With
    ``cluster`` (a Ray address) files are parsed by tasks spread over its nodes, one file ahead per CPU."""
    if cluster is not None:
        from medbridge.cluster import RayFileParser

        parser = RayFileParser(cluster)
        yield from _parsed_ahead(store, files, parser.slots(), parser.submit)
        return
    if workers <= 1:
        for path in files:
            yield path, partial(ingest_file, store, path)
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("forkserver"))
    try:
        yield from _parsed_ahead(store, files, workers, lambda path: pool.submit(_parse_encoded, str(path)))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _parsed_ahead(store: Store, files: Iterable[Path], ahead_count: int,
                  submit: Callable[[Path], Future]) -> Iterator[tuple[Path, Callable[[], FileResult]]]:

    def start(path: Path) -> tuple[Path, Callable[[], FileResult]]:
        try:
            sha = _checksum(path)
        except PubmedParseError as exc:
            return path, partial(_raise, exc)
        if store.file_ingested(path.name, sha):
            return path, partial(FileResult, path, "unchanged")  # not worth a worker
        return path, partial(_write_file, store, path, sha, _decoded(submit(path)))

    ahead: deque[tuple[Path, Callable[[], FileResult]]] = deque()
    for path in files:
        ahead.append(start(path))
        if len(ahead) > ahead_count:
            yield ahead.popleft()
    while ahead:
        yield ahead.popleft()


def ingest_paths(
    store: Store,
    paths: Iterable[Path | str],
    *,
    keep_going: bool = False,
    progress: ProgressSink | None = None,
    workers: int = 1,
    cluster: str | None = None,
) -> IngestReport:
    """Ingest every file; a failed file leaves nothing behind. Without ``keep_going`` the first failure raises.
    A store that fails (database down or lost) stops the run whatever ``keep_going`` says: no later file could
    be written either; the file in progress rolled back, so a re-run completes the work. ``workers`` > 1
    parses that many files at a time in worker processes; ``cluster`` (a Ray address) parses them on its nodes.
    ``progress`` hears of each file done (its name as the message)."""
    report = IngestReport()
    files = expand_paths(paths)
    with closing(ingest_steps(store, files, workers if len(files) > 1 else 1, cluster if len(files) > 1 else None)) as steps:
        for path, step in steps:
            try:
                result = step()
            except StoreError:
                raise
            except MedbridgeError as exc:
                result = FileResult(path, "failed", error=str(exc))
            report.files.append(result)
            if progress:
                progress(ProgressEvent("ingesting", len(report.files), len(files), path.name))
            if result.status == "failed" and not keep_going:
                raise IngestError(report, result)
    return report
