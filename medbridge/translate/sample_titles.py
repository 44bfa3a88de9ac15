"""Chinese titles of the bundled sample, translated once by the default model and checked by QA (like the
shipped vectors), so every result title of the sample reads in Chinese before any translation job ran.

The file maps pmid → the translated title and a hash of the English it was made from; a record whose title
changed (a newer version ingested) no longer matches and falls back to the translation cache.
Rebuilt by ``scripts/translate_sample_titles.py``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from functools import lru_cache
from pathlib import Path

SAMPLE_TITLES = Path(__file__).resolve().parents[1] / "corpus" / "data" / "sample_titles_zh.json.gz"


def title_hash(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def load_sample_titles(path: Path = SAMPLE_TITLES) -> dict[int, dict]:
    """pmid → {"hash", "zh", "flagged"}; empty when the file is not there."""
    if not path.exists():
        return {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return {int(pmid): entry for pmid, entry in json.load(handle)["titles"].items()}


def save_sample_titles(entries: dict[int, dict], model: str, path: Path = SAMPLE_TITLES) -> None:
    """Written whole to a temporary file, then renamed: an interrupted run never leaves half a file."""
    temporary = path.with_suffix(".tmp")
    payload = {"model": model, "titles": {str(pmid): entries[pmid] for pmid in sorted(entries)}}
    with gzip.open(temporary, "wt", encoding="utf-8", compresslevel=9) as handle:
        json.dump(payload, handle, ensure_ascii=False, separators=(",", ":"))
    temporary.replace(path)


@lru_cache(maxsize=1)
def _shipped() -> dict[int, dict]:
    return load_sample_titles()


def shipped_title(pmid: int, source: str) -> str | None:
    """The shipped Chinese title of a sample record whose English title is still ``source``."""
    entry = _shipped().get(pmid)
    return entry["zh"] if entry and entry["hash"] == title_hash(source) else None
