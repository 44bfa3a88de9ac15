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
from typing import Callable, Mapping

from medbridge.translate.translator import Translator

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
    """The shipped Chinese title (inline markup) of a sample record whose English title is still ``source``;
    none where QA flagged the translation."""
    entry = _shipped().get(pmid)
    return entry["zh"] if entry and not entry["flagged"] and entry["hash"] == title_hash(source) else None


def translate_missing(
    translator: Translator,
    titles: Mapping[int, str],
    path: Path = SAMPLE_TITLES,
    *,
    batch: int = 32,
    limit: int | None = None,
    progress: Callable[[int, int, dict[int, dict]], None] | None = None,
) -> dict[int, dict]:
    """Translate the titles (pmid → English title markup) the file at ``path`` lacks, a batch at a time, the
    file rewritten after each batch (so a run can stop anywhere and resume); returns every entry."""
    entries = load_sample_titles(path)
    todo = [pmid for pmid, title in titles.items() if entries.get(pmid, {}).get("hash") != title_hash(title)][:limit]
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        results = translator.translate_batch([titles[p] for p in chunk], source="en", target="zh", markup=True)
        for pmid, result in zip(chunk, results):
            entries[pmid] = {"hash": title_hash(titles[pmid]), "zh": result.target, "flagged": result.flagged}
        save_sample_titles(entries, translator.llm.model_id, path)
        if progress:
            progress(start + len(chunk), len(todo), entries)
    return entries
