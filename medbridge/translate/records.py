"""Which texts of a PubMed record get translated, in one place, so the corpus job and the article page
produce and look up the same cache entries; the corpus job; and record pages' on-demand translations, one at a
time per record and language (single flight, within and across processes)."""

from __future__ import annotations

import html
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from medbridge.corpus.models import Record
from medbridge.progress import ProgressEvent, ProgressSink
from medbridge.store.base import Store
from medbridge.terms.base import GlossaryEntry

# Who translates a record now, across processes (cache namespace); a claim older than this was left by a dead one.
CLAIMS = "translating"
CLAIM_STALE_S = 300
CACHE_POLL_S = 0.5

CORPUS_JOB_KIND = "translate-corpus"
CLUSTER_CHUNK = 4  # records per task sent to a model worker on the cluster

if TYPE_CHECKING:
    from medbridge.jobs import JobContext, JobRunner
    from medbridge.jobs.queue import JobQueue
    from medbridge.services import Services
    from medbridge.settings import MedbridgeSettings
    from medbridge.translate.base import TranslatedText
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
    settings: MedbridgeSettings | None = None,
) -> CorpusTranslation:
    """Translate the corpus' titles (and abstracts) into the cache that article pages read. Safe to interrupt
    and run again: records already translated are skipped. With ``settings`` naming a Ray cluster
    (``ray.address``) the records are translated by model workers on its nodes and cached here."""
    todo = []
    if progress:
        progress(ProgressEvent("scanning", 0, 0))
    for record in store.iter_records():
        texts = record_texts(record, abstracts)
        if texts and not all(translator.cached(texts, source="en", target=target, glossary=glossary, markup=True)):
            todo.append(record.pmid)
            if limit and len(todo) >= limit:
                break
    done = CorpusTranslation(0, 0)
    if progress:
        progress(ProgressEvent("translating", 0, len(todo)))
    if settings is not None and settings.ray.address is not None:
        _translate_on_cluster(store, settings, todo, target, abstracts, glossary, done, progress)
        return done
    for pmid in todo:
        record = store.get_record(pmid)
        if record is None:  # deleted since the scan
            continue
        results = translator.translate_batch(record_texts(record, abstracts), source="en", target=target,
                                             glossary=glossary, markup=True)
        done.translated += 1
        done.flagged += any(r.flagged for r in results)
        if progress:
            progress(ProgressEvent("translating", done.translated, len(todo), f"PMID {pmid}"))
    return done


def _translate_on_cluster(store: Store, settings: MedbridgeSettings, todo: list[int], target: str, abstracts: bool,
                          glossary: Sequence[GlossaryEntry] | None, done: CorpusTranslation, progress: ProgressSink | None) -> None:
    """Chunks of records to the cluster's model workers (read from the store only as they are sent); each
    chunk's translations are cached as it comes back, so an interrupted run keeps every finished chunk."""
    from medbridge.cluster import translate_on_cluster
    from medbridge.translate.translator import CACHE_NAMESPACE

    chunks = [todo[i : i + CLUSTER_CHUNK] for i in range(0, len(todo), CLUSTER_CHUNK)]
    texts = ([record_texts(record, abstracts) for record in store.get_records(chunk).values()] for chunk in chunks)
    for position, results in translate_on_cluster(settings, texts, len(chunks), target, glossary):
        for entries, flagged in results:
            for key, value in entries:
                store.cache_put(CACHE_NAMESPACE, key, value)
            done.translated += 1
            done.flagged += flagged
        if progress:
            progress(ProgressEvent("translating", done.translated, len(todo), f"PMID {chunks[position][-1]}"))


def translate_corpus_runner(services: Services, *, queue: JobQueue | None = None) -> JobRunner:
    """The corpus translation as jobs (params ``to``, ``limit``, ``abstracts``, ``glossary``: a CSV path): run in
    the foreground by the CLI, or queued for a worker; a cancelled or interrupted job continues where it stopped,
    since translated records are cached."""
    from medbridge.jobs import JobRunner
    from medbridge.terms.glossary import load_user_glossary

    def handler(ctx: JobContext) -> tuple[dict[str, int], str]:
        params = ctx.params
        glossary = load_user_glossary(Path(params["glossary"])) if params.get("glossary") else None
        done = translate_corpus(services.store, services.translator, target=params["to"], limit=params.get("limit"),
                                abstracts=bool(params.get("abstracts")), glossary=glossary, progress=ctx.report,
                                settings=services.settings)
        return {"translated": done.translated, "flagged": done.flagged}, \
            f"{done.translated} record(s) translated, {done.flagged} with flagged passages"

    return JobRunner(services.store, CORPUS_JOB_KIND, handler, label="corpus translation", queue=queue,
                     lease_s=services.settings.jobs.lease_s)


class _Flight:
    """One record's missing texts being translated: what is final so far, and whether it has ended."""

    def __init__(self) -> None:
        self.finished: list[tuple[int, TranslatedText]] = []
        self.error: Exception | None = None
        self.ended = False
        self.changed = threading.Condition()

    def add(self, index: int, unit: TranslatedText) -> None:
        with self.changed:
            self.finished.append((index, unit))
            self.changed.notify_all()

    def end(self, error: Exception | None = None) -> None:
        with self.changed:
            self.error, self.ended = error, True
            self.changed.notify_all()

    def follow(self) -> Iterator[tuple[int, TranslatedText]]:
        """Every text as it becomes final (those already final first); raises the translation's error."""
        seen = 0
        while True:
            with self.changed:
                self.changed.wait_for(lambda: self.ended or len(self.finished) > seen)
                new, ended, error = self.finished[seen:], self.ended, self.error
            seen += len(new)
            yield from new
            if ended:
                if error is not None:
                    raise error
                return


class RecordTranslations:
    """Record translations on demand, single flight: while one runs for a (record, language), readers who open
    the same page follow it instead of starting their own (the model would translate the same texts again).
    Within a process readers share the flight; across processes a claim in the store decides who translates,
    and the others hand their readers each text as it reaches the translation cache."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._flights: dict[tuple[int, str], _Flight] = {}

    def follow(self, translator: Translator, pmid: int, target: str, texts: list[str],
               pending: list[int]) -> Iterator[tuple[int, TranslatedText]]:
        """The ``pending`` texts (indexes into ``texts``) as each becomes final, translated by this call or by
        the one already running for the record; a reader who leaves does not stop it (the rest is cached)."""
        with self._lock:
            flight = self._flights.get((pmid, target))
            if flight is None:
                flight = self._flights[(pmid, target)] = _Flight()
                threading.Thread(target=self._translate, args=(flight, translator, pmid, target, texts, pending),
                                 name=f"translate-{pmid}", daemon=True).start()
        return flight.follow()

    def _translate(self, flight: _Flight, translator: Translator, pmid: int, target: str, texts: list[str],
                   pending: list[int]) -> None:
        key, holder = f"{pmid}:{target}", uuid.uuid4().hex
        claimed, error = False, None
        try:
            while not (claimed := self.store.cache_claim(CLAIMS, key, holder, CLAIM_STALE_S)):
                pending = _hand_over_cached(flight, translator, target, texts, pending)  # another process translates
                if not pending:
                    return
                time.sleep(CACHE_POLL_S)
            pending = _hand_over_cached(flight, translator, target, texts, pending)
            if pending:  # all missing texts in one batch: the model decodes them together
                translator.translate_batch([texts[i] for i in pending], source="en", target=target, markup=True,
                                           on_text=lambda k, unit: flight.add(pending[k], unit))
        except Exception as exc:  # handed to every reader: they see why, the page does not hang
            error = exc
        finally:
            if claimed:
                self.store.cache_release(CLAIMS, key, holder)
            with self._lock:
                del self._flights[(pmid, target)]
            flight.end(error)


def _hand_over_cached(flight: _Flight, translator: Translator, target: str, texts: list[str], pending: list[int]) -> list[int]:
    """Give the flight's readers the pending texts now cached; the ones still missing."""
    found = translator.lookup([texts[i] for i in pending], source="en", target=target, markup=True)
    for index, unit in zip(pending, found):
        if unit is not None:
            flight.add(index, unit)
    return [index for index, unit in zip(pending, found) if unit is None]
