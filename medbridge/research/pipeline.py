"""The research job: Plan → Gather → Extract → Synthesise → Verify → Localise → Deliver, checkpointed per stage.

Each stage's output goes into the job checkpoint as JSON, and extraction saves every few records, so a
cancelled, crashed or restarted job resumes where it stopped. Files land in ``jobs_dir/<job id>/``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medbridge.errors import MedbridgeError, NotFoundError
from medbridge.jobs import JobContext, JobRunner
from medbridge.llm.base import LLM
from medbridge.research.citations import build_references
from medbridge.research.deliver import review_dict, write_review
from medbridge.research.extract import Extractor, evidence_csv
from medbridge.research.gather import Gatherer
from medbridge.research.localise import Localiser
from medbridge.research.models import Draft, EvidenceCard, Lang, Plan, Review, Source, Verification, from_plain, to_plain
from medbridge.research.plan import Planner
from medbridge.research.synthesise import Synthesiser, annotate
from medbridge.research.vectors import SentenceEmbeddings, record_vectors
from medbridge.research.verify import Verifier
from medbridge.search.engine import SearchEngine
from medbridge.settings import MedbridgeSettings
from medbridge.store.base import Job
from medbridge.text import guess_language
from medbridge.translate.base import TextTranslator

if TYPE_CHECKING:
    from medbridge.jobs.queue import JobQueue
    from medbridge.services import Services

JOB_KIND = "research"
STAGES = ("planning", "searching", "reading", "writing", "checking", "translating", "delivering")
SAVE_EVERY = 5  # evidence cards between checkpoint writes
OUTPUT_FILES = {"md": "review.md", "html": "review.html", "docx": "review.docx", "csv": "evidence.csv"}


class ResearchError(MedbridgeError):
    """A question the pipeline cannot answer (empty, nothing found in the corpus)."""


@dataclass(slots=True)
class ResearchRequest:
    question: str
    lang: Lang
    max_sources: int

    @classmethod
    def create(cls, question: str, settings: MedbridgeSettings, lang: str | None = None, max_sources: int | None = None) -> "ResearchRequest":
        question = " ".join(question.split())
        if not question:
            raise ResearchError("the question is empty")
        lang = lang or guess_language(question)
        if lang not in ("zh", "en"):
            raise ResearchError(f"language must be zh or en, not {lang!r}")
        sources = max_sources or settings.research.max_sources
        if not 1 <= sources <= 200:
            raise ResearchError(f"max sources must be between 1 and 200, not {sources}")
        return cls(question, lang, sources)  # type: ignore[arg-type]

    def params(self) -> dict[str, Any]:
        return {"question": self.question, "lang": self.lang, "max_sources": self.max_sources}


class ResearchPipeline:
    """The stages wired to one search engine (and its store); ``llm`` None = extractive only, ``judge`` only
    for a stronger model."""

    def __init__(self, engine: SearchEngine, settings: MedbridgeSettings, *, llm: LLM | None = None,
                 translator: TextTranslator | None = None, judge: LLM | None = None):
        self.engine = engine
        self.store = engine.store
        self.terms = engine.index.terms
        self.settings = settings
        self.llm = llm
        self.translator = translator
        self.judge = judge

    @classmethod
    def from_services(cls, services: Services) -> "ResearchPipeline":
        if not services.has_llm:
            return cls(services.search_engine, services.settings)
        # The local default is too small to judge entailment reliably; an endpoint is assumed to be stronger.
        judge = services.llm if services.settings.llm.backend == "openai" else None
        return cls(services.search_engine, services.settings, llm=services.llm, translator=services.translator, judge=judge)

    def __call__(self, ctx: JobContext) -> tuple[dict[str, Any], str]:
        request = ResearchRequest(ctx.params["question"], ctx.params["lang"], ctx.params["max_sources"])
        started = time.monotonic()
        spent = float(ctx.checkpoint.get("elapsed_s", 0.0))  # time of earlier, interrupted runs

        plan = self._plan(ctx, request)
        sources = self._gather(ctx, plan, request.max_sources)
        records = self.store.get_records([s.pmid for s in sources])
        cards = self._extract(ctx, sources, records)

        if "verified" in ctx.checkpoint:
            draft = from_plain(ctx.checkpoint["verified"], Draft)
            verification = from_plain(ctx.checkpoint["verification"], Verification)
        else:
            ctx.step("writing")
            ranked = [records[s.pmid] for s in sources]
            embeddings = SentenceEmbeddings(self.engine.index.embedder)  # quotes embedded to merge findings are not embedded again to check them
            synthesiser = Synthesiser(self.settings.research.max_words, self.terms, llm=self.llm, embeddings=embeddings)
            themes = synthesiser.themes(plan, ranked, record_vectors(self.engine.index, ranked))
            draft = synthesiser.process(plan, cards, records, themes)
            ctx.step("checking")
            cited = self.store.get_records(draft.cited_pmids())  # the store decides what is in the corpus
            draft, verification = Verifier(self.terms, embeddings, self.judge).process(draft, cited)
            ctx.save(verified=to_plain(draft), verification=to_plain(verification), elapsed_s=spent + time.monotonic() - started)
        if draft.lang != "en" and "localised" not in ctx.checkpoint:
            ctx.step("translating")
            draft = Localiser(self.translator, self.terms).process(draft, records, progress=ctx.report)
            ctx.save(localised=True, verified=to_plain(draft), elapsed_s=spent + time.monotonic() - started)

        ctx.step("delivering")
        levels = {card.pmid: card.level for card in cards}
        draft = annotate(draft, levels)  # the notes follow the citations Verify kept
        cited_records = self.store.get_records(draft.cited_pmids())
        references = build_references(draft.cited_pmids(), cited_records, levels)
        review = Review(
            question=request.question, lang=request.lang, draft=draft, references=references, verification=verification,
            plan=plan, sources=len(sources), elapsed_s=round(spent + time.monotonic() - started, 1),
            model=self.llm.model_id if self.llm else "none",
        )
        folder = self.settings.jobs_dir / ctx.job.id
        for name in ("md", "html", "docx"):
            write_review(review, folder / OUTPUT_FILES[name])
        numbers = review.number_of()
        (folder / OUTPUT_FILES["csv"]).write_text(evidence_csv(cards, records, numbers), encoding="utf-8")
        data = review_dict(review, self.terms)
        summary = (f"{data['word_count']} words, {len(references)} references, "
                   f"{verification.supported_share:.0%} of {verification.claims} drafted claims supported")
        return {"review": data, "files": OUTPUT_FILES}, summary

    # -- stages with their checkpoints --------------------------------------------------------------------
    def _plan(self, ctx: JobContext, request: ResearchRequest) -> Plan:
        if "plan" in ctx.checkpoint:
            return from_plain(ctx.checkpoint["plan"], Plan)
        ctx.step("planning")
        plan = Planner(self.terms, llm=self.llm).process(request.question, request.lang)
        ctx.save(plan=to_plain(plan))
        return plan

    def _gather(self, ctx: JobContext, plan: Plan, max_sources: int) -> list[Source]:
        if "sources" in ctx.checkpoint:
            return from_plain(ctx.checkpoint["sources"], list[Source])
        ctx.step("searching", 0, len(plan.facets))
        sources = Gatherer(self.engine).process(
            plan, max_sources, progress=ctx.report)
        if not sources:
            raise ResearchError(f"no record with an abstract in the corpus matches: {plan.question}")
        ctx.save(sources=to_plain(sources))
        return sources

    def _extract(self, ctx: JobContext, sources: list[Source], records: dict) -> list[EvidenceCard]:
        done: dict[str, Any] = dict(ctx.checkpoint.get("cards", {}))
        extractor = Extractor(self.terms)
        total = len(sources)
        for index, source in enumerate(sources):
            key = str(source.pmid)
            if key in done:
                continue
            ctx.step("reading", index, total)
            done[key] = to_plain(extractor.process(records[source.pmid]))
            if len(done) % SAVE_EVERY == 0:
                ctx.save(cards=done)
        ctx.step("reading", total, total)
        ctx.save(cards=done)
        cards = [from_plain(done[str(s.pmid)], EvidenceCard) for s in sources]
        for card in cards:  # a checkpoint written before evidence levels existed
            if card.level is None:
                card.level = extractor.classifier.classify(records[card.pmid], card.population)
        return cards


def research_runner(services: Services, pipeline: ResearchPipeline | None = None, *, queue: JobQueue | None = None) -> JobRunner:
    """The job runner for research; the pipeline (and its model) is built on first use, in the job's thread.
    ``queue``: where background runs go (``Services.job_queue``)."""
    built: list[ResearchPipeline] = [pipeline] if pipeline else []

    def handler(ctx: JobContext) -> tuple[dict[str, Any], str]:
        if not built:
            built.append(ResearchPipeline.from_services(services))
        return built[0](ctx)

    return JobRunner(services.store, JOB_KIND, handler, queue=queue, lease_s=services.settings.jobs.lease_s)


def review_of(job: Job) -> Review:
    """The finished review stored on a done job."""
    if job.state != "done" or "review" not in job.result:
        raise NotFoundError(f"research job {job.id} has no review yet ({job.state})")
    return from_plain(job.result["review"], Review)


def output_path(settings: MedbridgeSettings, job: Job, fmt: str) -> Path:
    name = OUTPUT_FILES.get(fmt)
    if name is None or job.state != "done":
        raise NotFoundError(f"research job {job.id} has no {fmt} output")
    return settings.jobs_dir / job.id / name
