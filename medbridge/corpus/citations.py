"""Citation pairs from a file into the store's citation graph: the NIH Open Citation Collection (iCite), a
CSV whose header is ``citing,referenced`` and whose rows are two PMIDs, tens of millions of them.

The file is read as a stream (plain or gzipped, told by its magic number). Rows are staged in batches, each
batch committed with the number of lines it covers, so an interrupted import resumes where it stopped; the
staged pairs join the graph in one transaction at the end. A malformed row stops the import with its line
number and discards what was staged: a file is imported whole or not at all.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from medbridge.corpus.ingest import file_sha256
from medbridge.corpus.pubmed import open_xml
from medbridge.errors import MedbridgeError
from medbridge.store.base import Store

HEADER = ("citing", "referenced")
BATCH = 100_000
MAX_PMID = 10**9
SOURCE = "occ"


class CitationImportError(MedbridgeError):
    """The file is not a citing,referenced CSV (missing header, a malformed row)."""


@dataclass(slots=True)
class CitationImportReport:
    name: str
    lines: int            # data rows read (all of them, resumed ones included)
    added: int            # pairs new to the graph
    resumed_from: int     # data rows already staged by an earlier, interrupted run
    already_imported: bool = False


def _pmid(value: str) -> int:
    number = int(value)  # ValueError for anything but an integer
    if not 0 < number < MAX_PMID:
        raise ValueError(value)
    return number


def read_pairs(path: Path) -> Iterator[tuple[int, int, int]]:
    """(line number, citing, referenced) for each data row; CitationImportError at the first bad one."""
    with io.TextIOWrapper(open_xml(path), encoding="utf-8", newline="") as handle:  # gzipped or not, by magic number
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None or tuple(h.strip().lower() for h in header) != HEADER:
                raise CitationImportError(f"{path}: line 1: expected the header 'citing,referenced', found {','.join(header or [])!r}")
            for row in reader:
                if not row:
                    continue  # a blank line (the file's last newline)
                try:
                    if len(row) != 2:
                        raise ValueError(row)
                    citing, referenced = _pmid(row[0]), _pmid(row[1])
                except ValueError:
                    raise CitationImportError(
                        f"{path}: line {reader.line_num}: expected two PMIDs 'citing,referenced', found {','.join(row)!r}"
                    ) from None
                yield reader.line_num, citing, referenced
        except (csv.Error, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
            raise CitationImportError(f"{path}: line {reader.line_num}: {exc}") from None


def import_citations(store: Store, path: Path, on_progress: Callable[[int], None] | None = None) -> CitationImportReport:
    """Import one file; a second run of the same file resumes it (or reports it already imported)."""
    path = Path(path)
    if not path.is_file():
        raise CitationImportError(f"{path}: no such file")
    name, sha256 = path.name, file_sha256(path)
    previous = store.citation_import(name)
    if previous is not None and previous.sha256 != sha256:
        store.discard_citation_import(name)  # the file changed: its earlier rows say nothing about it
        previous = None
    if previous is not None and previous.state == "done":
        return CitationImportReport(name, previous.lines_done, 0, previous.lines_done, already_imported=True)
    resume_from = previous.lines_done if previous is not None else 0
    batch: list[tuple[int, int]] = []
    rows = 0
    try:
        for line, citing, referenced in read_pairs(path):
            rows += 1
            if rows <= resume_from:
                continue
            batch.append((citing, referenced))
            if len(batch) >= BATCH:
                store.stage_citations(name, sha256, SOURCE, batch, rows)
                batch = []
                if on_progress:
                    on_progress(rows)
    except CitationImportError:
        store.discard_citation_import(name)
        raise
    store.stage_citations(name, sha256, SOURCE, batch, rows)
    added = store.finish_citation_import(name)
    if on_progress:
        on_progress(rows)
    return CitationImportReport(name, rows, added, resume_from)
