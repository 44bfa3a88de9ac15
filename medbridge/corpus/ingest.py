"""Ingest PubMed XML files into a Store: one transaction per file, files tracked by name and checksum."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from medbridge.corpus.models import DeletedCitation
from medbridge.corpus.pubmed import PubmedParseError, iter_pubmed
from medbridge.errors import MedbridgeError
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


def ingest_file(store: Store, path: Path) -> FileResult:
    try:
        sha = file_sha256(path)
    except OSError as exc:
        raise PubmedParseError(path, "no such file" if isinstance(exc, FileNotFoundError) else str(exc)) from exc
    if store.file_ingested(path.name, sha):
        return FileResult(path, "unchanged")
    with store.ingesting_file(path.name, sha) as writer:
        for item in iter_pubmed(path):
            if isinstance(item, DeletedCitation):
                writer.delete(item.pmid)
            else:
                writer.put(item)
    return FileResult(path, "ingested", records=writer.written, deletes=writer.deleted)


def ingest_paths(
    store: Store,
    paths: Iterable[Path | str],
    *,
    keep_going: bool = False,
    on_file: Callable[[FileResult], None] | None = None,
) -> IngestReport:
    """Ingest every file; a failed file leaves nothing behind. Without ``keep_going`` the first failure raises."""
    report = IngestReport()
    for path in expand_paths(paths):
        try:
            result = ingest_file(store, path)
        except MedbridgeError as exc:
            result = FileResult(path, "failed", error=str(exc))
        report.files.append(result)
        if on_file:
            on_file(result)
        if result.status == "failed" and not keep_going:
            raise IngestError(report, result)
    return report
