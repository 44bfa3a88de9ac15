"""The composition root: everything medbridge runs on, built from the settings in one place.

    from medbridge.services import Services
    from medbridge.search import search
    services = Services.from_settings()                 # environment over config.toml over defaults
    result = search(services.search_engine, "阿尔茨海默病的脑脊液生物标志物")
    services.translator.translate("Ketamine ...", source="en", target="zh")

The CLI keeps one per invocation (on the Typer context), the web app one per app (``app.state.services``,
reached by routes through one dependency), and the Python API is this object. A test with a different backend
builds a different ``Services``; nothing else in the package holds a process-wide instance of a service.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable, TypeVar

if TYPE_CHECKING:  # the parts import heavy libraries (tantivy, jieba, llama.cpp, ray): each loads when first built
    from medbridge.accounts import Accounts, UsageLimits
    from medbridge.cluster import RayEmbedder
    from medbridge.documents.jobs import DocumentJobs
    from medbridge.jobs import JobRunner
    from medbridge.jobs.queue import HueyJobQueue, JobQueue
    from medbridge.jobs.worker import JobWorker
    from medbridge.llm import LLM
    from medbridge.search.dense import Embedder
    from medbridge.search.engine import SearchEngine
    from medbridge.settings import MedbridgeSettings
    from medbridge.store import Store
    from medbridge.store.base import Job
    from medbridge.terms import Terminology
    from medbridge.translate import TextTranslator, Translator
    from medbridge.translate.records import RecordTranslations

T = TypeVar("T")


class Services:
    """Store, LLM, terminology, embedder, translator, search engine and job runners of one configuration.

    Each part is built on first use and kept (a command that only reads the store never loads the
    terminology, the embedding model or an LLM). Building happens under one re-entrant lock, so the web
    app's request threads share a single instance of each part. Parts given to the constructor (a test's own
    store or model) are used as they are."""

    def __init__(
        self,
        settings: MedbridgeSettings,
        *,
        store: Store | None = None,
        llm: LLM | None = None,
        terminology: Terminology | None = None,
    ) -> None:
        self.settings = settings
        self.serving = False  # set by the web app: its job consumers follow the queue
        self._lock = threading.RLock()
        self._parts: dict[str, Any] = {}
        for name, part in (("store", store), ("llm", llm), ("terminology", terminology)):
            if part is not None:
                self._parts[name] = part

    @classmethod
    def from_settings(cls, settings: MedbridgeSettings | None = None) -> Services:
        """Services of ``settings`` (default: read from the environment and ``config.toml``)."""
        from medbridge.settings import load_settings

        return cls(settings if settings is not None else load_settings())

    def _part(self, name: str, build: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._parts:
                self._parts[name] = build()
            return self._parts[name]

    # -- the parts -----------------------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        from medbridge.store import open_store

        return self._part("store", lambda: open_store(self.settings))

    @property
    def has_llm(self) -> bool:
        """False with ``llm.backend = none``; the one question features ask before they use a model (documents
        fall back to glossary terms, reviews stay extractive, article pages show cached translations only)."""
        return self.settings.llm.backend != "none"

    @property
    def llm(self) -> LLM:
        """The configured model; without one, an LLM whose every call fails with a one-line explanation."""
        from medbridge.llm import get_llm

        return self._part("llm", lambda: get_llm(self.settings))

    @property
    def terminology(self) -> Terminology:
        """The glossary, MeSH and segmenter; its derived data comes from the user's cache folder, so it is cheap."""
        from medbridge.terms import Terminology

        return self._part("terminology", Terminology.from_files)

    @property
    def embedder(self) -> Embedder:
        """The e5 model for search, similar articles and research (loaded on its first embedding)."""
        from medbridge.search.dense import Embedder

        return self._part("embedder", Embedder)

    @property
    def batch_embedder(self) -> Embedder | RayEmbedder:
        """The e5 model for the corpus' passages: Ray tasks over the cluster when ``ray.address`` is set,
        otherwise the embedder above."""
        if self.settings.ray.address is None:
            return self.embedder
        from medbridge.cluster import RayEmbedder

        return self._part("batch_embedder", lambda: RayEmbedder(self.settings.ray.address))

    @property
    def translator(self) -> Translator:
        """The translator over the configured model: cache, segments, glossary, protected spans, QA, retries.
        Without a model it still answers cache lookups; translating says that no model is configured."""
        return self._part("translator", lambda: self._translator(self.store))

    @property
    def model_translator(self) -> Translator:
        """The same translator without the store (a cluster worker: the process that sent it the texts writes
        the cache entries it hands back)."""
        return self._part("model_translator", lambda: self._translator(None))

    def _translator(self, store: Store | None) -> Translator:
        from medbridge.translate.translator import Translator

        return Translator(self.llm, store, terminology=self.terminology, max_retries=self.settings.translation.max_retries)

    @property
    def record_translations(self) -> RecordTranslations:
        """Record pages' on-demand translations, one at a time per record and language (single flight)."""
        from medbridge.translate.records import RecordTranslations

        return self._part("record_translations", lambda: RecordTranslations(self.store))

    @property
    def document_translator(self) -> TextTranslator:
        """Documents' translator: the model's, or glossary terms only when no model is configured."""
        if self.has_llm:
            return self.translator
        from medbridge.documents.terms_only import TermsOnlyTranslator

        return self._part("terms_only_translator", lambda: TermsOnlyTranslator(self.terminology))

    @property
    def search_engine(self) -> SearchEngine:
        """Lexical index + vectors under ``settings.index_dir``, following the store's change feed."""
        from medbridge.search.engine import SearchEngine
        from medbridge.search.indexer import SearchIndex

        def build() -> SearchEngine:
            rewriter = self.llm if self.settings.search.llm_rewrite and self.has_llm else None
            index = SearchIndex(self.settings, self.store, self.terminology, self.embedder, self.batch_embedder)
            return SearchEngine(index, rewriter=rewriter, on_backlog=self._hand_over_backlog)

        return self._part("search_engine", build)

    @property
    def research_runner(self) -> JobRunner:
        """Research jobs: state, progress, cancellation, checkpoints; the pipeline is built in the job's thread."""
        from medbridge.research.pipeline import research_runner

        return self._part("research_runner", lambda: research_runner(self, queue=self.job_queue))

    @property
    def fetch_runner(self) -> JobRunner:
        """PubMed fetches through NCBI E-utilities as persisted jobs (the web's way in); the index follows in a job."""
        from medbridge.corpus.eutils import fetch_runner

        return self._part("fetch_runner", lambda: fetch_runner(
            self.store, self.settings, queue=self.job_queue, on_stored=self.queue_index_update))

    @property
    def sync_runner(self) -> JobRunner:
        """NLM's PubMed files (baseline, updates) brought in as persisted jobs; the index follows in a job."""
        from medbridge.corpus.sync import sync_runner

        return self._part("sync_runner", lambda: sync_runner(
            self.store, self.settings, queue=self.job_queue, on_stored=self.queue_index_update))

    @property
    def index_runner(self) -> JobRunner:
        """Index updates (change feed → lexical index and vectors, then embeddings) as persisted jobs."""
        from medbridge.search.indexer import index_runner

        return self._part("index_runner", lambda: index_runner(
            lambda: self.search_engine.index, self.store, self.settings, queue=self.job_queue))

    def _hand_over_backlog(self) -> bool:
        """In a serving process a search leaves a large backlog of changes to an index job (and searches what
        is indexed); elsewhere (CLI, scripts) nothing may consume the queue, so the search applies it."""
        if not self.serving:
            return False
        self.queue_index_update()
        return True

    def queue_index_update(self, owner: str | None = None) -> Job:
        """The index job waiting or running, or a new one: what follows records stored by a job."""
        from medbridge.search.indexer import queue_index_update

        return queue_index_update(self.index_runner, owner)

    @property
    def document_jobs(self) -> DocumentJobs:
        """Document translation jobs: file checks and job folders around a job runner."""
        from medbridge.documents.jobs import DocumentJobs

        return self._part("document_jobs", lambda: DocumentJobs(
            self.settings, self.store, lambda: self.document_translator, queue=self.job_queue))

    @property
    def translate_corpus_runner(self) -> JobRunner:
        """Translations of the corpus' titles (and abstracts) into the cache, as persisted jobs."""
        from medbridge.translate.records import translate_corpus_runner

        return self._part("translate_corpus_runner", lambda: translate_corpus_runner(self, queue=self.job_queue))

    @property
    def job_runners(self) -> dict[str, JobRunner]:
        """The runner of each job kind: what a queue consumer runs a job with."""
        return self._part("job_runners", lambda: {runner.kind: runner for runner in (
            self.research_runner, self.fetch_runner, self.sync_runner, self.index_runner, self.document_jobs.runner,
            self.translate_corpus_runner)})

    @property
    def job_queue(self) -> JobQueue:
        """Where background jobs go ("run job <id>" on Huey). With ``jobs.run_in = serve`` worker threads of this
        process consume it, started with the first job; with ``workers`` only ``medbridge worker`` processes do."""
        from medbridge.jobs.worker import ServingQueue

        def build() -> JobQueue:
            return ServingQueue(self.job_worker) if self.settings.jobs.run_in == "serve" else self._huey_queue

        return self._part("job_queue", build)

    @property
    def job_worker(self) -> JobWorker:
        """The consumer of this process: worker threads (``start``) or the whole process (``serve_forever``)."""
        from medbridge.jobs.worker import JobWorker

        return self._part("job_worker", lambda: JobWorker(self, self._huey_queue))

    @property
    def _huey_queue(self) -> HueyJobQueue:
        from medbridge.jobs.queue import HueyJobQueue

        return self._part("huey_queue", lambda: HueyJobQueue(self.settings))

    @property
    def accounts(self) -> Accounts:
        """Users, passwords, API tokens and the audit log of their changes."""
        from medbridge.accounts import Accounts

        return self._part("accounts", lambda: Accounts(self.store))

    @property
    def usage_limits(self) -> UsageLimits:
        """Per-user rate limits and quotas on model work (none in single-user mode)."""
        from medbridge.accounts import UsageLimits

        return self._part("usage_limits", lambda: UsageLimits(self.store, self.settings.limits))

    def close(self) -> None:
        """Stop this process's job consumer and close the store if they were started (a web app's shutdown, the
        end of a script)."""
        with self._lock:
            if "job_worker" in self._parts:
                self._parts["job_worker"].stop()
            if "store" in self._parts:
                self._parts["store"].close()
