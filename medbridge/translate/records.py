"""Which texts of a PubMed record get translated, in one place, so the corpus job and the article page
produce and look up the same cache entries; and the corpus job itself."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from medbridge.corpus.models import Record
from medbridge.progress import ProgressEvent, ProgressSink
from medbridge.store.base import Store
from medbridge.terms.base import GlossaryEntry

if TYPE_CHECKING:
    from medbridge.translate.translator import Translator


def record_texts(record: Record, abstracts: bool = True) -> list[str]:
    """The title and (with ``abstracts``) each abstract section, as safe HTML fragments with inline markup;
    translate them with ``markup=True``."""
    texts = []
    if record.title_markup or record.title:
        texts.append(record.title_markup or html.escape(record.title, quote=False))
    if abstracts:
        texts.extend(s.markup or html.escape(s.text, quote=False) for s in record.abstract)
    return texts


@dataclass(slots=True)
class CorpusTranslation:
    translated: int  # records translated in this run (cached ones are skipped, not counted)
    flagged: int     # of those, records with a passage still failing QA


def translate_corpus(
    store: Store,
    translator: Translator,
    *,
    target: str,
    limit: int | None = None,
    abstracts: bool = False,
    glossary: Sequence[GlossaryEntry] | None = None,
    progress: ProgressSink | None = None,
) -> CorpusTranslation:
    """Translate the corpus' titles (and abstracts) into the cache that article pages read, recorded as a
    'translate-corpus' job. Safe to interrupt and run again: records already translated are skipped."""
    job = store.create_job("translate-corpus", {"to": target, "limit": limit, "abstracts": abstracts})
    store.update_job(job.id, state="running", stage="scanning")
    todo = []
    for record in store.iter_records():
        texts = record_texts(record, abstracts)
        if texts and not all(translator.cached(texts, source="en", target=target, glossary=glossary, markup=True)):
            todo.append(record.pmid)
            if limit and len(todo) >= limit:
                break
    done = CorpusTranslation(0, 0)
    store.update_job(job.id, stage="translating", progress_total=len(todo))
    if progress:
        progress(ProgressEvent("translating", 0, len(todo)))
    try:
        for pmid in todo:
            record = store.get_record(pmid)
            if record is None:  # deleted since the scan
                continue
            results = translator.translate_batch(record_texts(record, abstracts), source="en", target=target,
                                                 glossary=glossary, markup=True)
            done.translated += 1
            done.flagged += any(r.flagged for r in results)
            store.update_job(job.id, progress_done=done.translated, checkpoint={"last_pmid": pmid})
            if progress:
                progress(ProgressEvent("translating", done.translated, len(todo), f"PMID {pmid}"))
    except KeyboardInterrupt:
        store.update_job(job.id, state="cancelled", message=f"interrupted after {done.translated} records; re-run to continue")
        raise
    except Exception as exc:
        store.update_job(job.id, state="failed", message=str(exc))
        raise
    store.update_job(job.id, state="done", result={"translated": done.translated, "flagged": done.flagged})
    return done
