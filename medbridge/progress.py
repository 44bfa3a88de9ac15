"""The one progress event: documents, research, ingest, translation (records and batches) and index updates all
report through it; the CLI draws it with Rich, jobs store it for the web to show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(slots=True, frozen=True)
class ProgressEvent:
    stage: str        # what is running: "indexing", "embedding", "ingesting", "translating", "reading", ...
    done: int         # units finished in this stage
    total: int        # units in this stage; 0 when not known yet
    message: str = ""  # one line for the reader (the file or record at hand, "resumed", ...)


ProgressSink = Callable[[ProgressEvent], None]
