"""The real PubMed sample shipped with the product, so a new user has something to search."""

from __future__ import annotations

from pathlib import Path

from medbridge.corpus.ingest import IngestReport, ingest_paths
from medbridge.store.base import Store

SAMPLE_PATH = Path(__file__).parent / "data" / "sample_alzheimer.xml.gz"


def ensure_sample(store: Store) -> IngestReport | None:
    """Ingest the sample into an empty store (first run); a store with any ingested file is left alone."""
    stats = store.stats()
    if stats.files or stats.records:
        return None
    return ingest_paths(store, [SAMPLE_PATH])
