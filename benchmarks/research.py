"""Deep research on questions the sample corpus can answer: time, length, citation quality, coverage.

    python benchmarks/research.py                    # default model if it can be assembled, else backend none
    python benchmarks/research.py --backend none     # extractive only
    python benchmarks/research.py --max-sources 20 --questions 2
    python benchmarks/research.py --pick 0,5                 # questions 0 and 5 only

Runs in a fresh MEDBRIDGE_HOME holding the bundled sample (or $MEDBRIDGE_HOME if it has records). Figures:
- wall time and word count per review (English words plus Chinese words as jieba segments them, the measure
  the research.max_words budget trims to);
- citation precision: share of drafted finding sentences the verifier found supported by every record they
  cite; the "strict" figure re-checks the final sentences with a stronger rule: a quoted finding must occur
  verbatim in the cited abstract, any other sentence must reach lexical overlap ≥ 0.8 with it;
- citation recall: share of drafted finding sentences that carry a citation;
- resolvable references: share of reference PMIDs that are records of the store (must be 100%);
- coverage: share of the "central" records (a MeSH-only PubMed-syntax search, every MeSH heading of the
  question ANDed as [majr], else [mh]; its top 10) that the review cites;
- merged: share of the theme statements that cite ≥ 2 records (target ≥ 30 % where the corpus allows);
- pair support: share of (statement, record) citation pairs the verifier found supported as drafted, and of the
  final pairs passing the strict check (a quote verbatim in its record; a "consistent with" record's own
  finding verbatim in its abstract and stating the same finding by ``findings.FindingAnalyser.same``, recomputed
  from the final text; a model sentence lexical overlap ≥ 0.8 with its record) — ≥ 95 %;
- evidence-level accuracy on every cited record against what MeSH check tags and publication types say
  (Humans only → human; Animals only → animal or cell model; trial, meta-analysis, review or case-report types
  → human with that design; records tagged both or neither are not decidable and only counted), for the
  classifier as used (tags + abstract) and for the abstract alone (a record not yet indexed) — target ≥ 95 %;
- English leaks: English words of the source left inside the Chinese sentences and headings of a Chinese
  review, outside quotation marks (the translation QA's untranslated check, errors) — target 0.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from medbridge.corpus.sample import ensure_sample
from medbridge.errors import ConfigError
from medbridge.research import ResearchPipeline, ResearchRequest, Review, research_runner, review_of
from medbridge.research.evidence import EvidenceClassifier
from medbridge.research.localise import english_leaks
from medbridge.research.models import EvidenceField
from medbridge.research.vectors import SentenceEmbeddings
from medbridge.research.verify import Verifier
from medbridge.search import SearchEngine, SearchOptions, search
from medbridge.services import Services
from medbridge.settings import load_settings
from medbridge.store import open_store

QUESTIONS = [
    ("What is the evidence on CSF biomarkers for predicting Alzheimer's disease in MCI?", "en"),
    ("阿尔茨海默病的睡眠障碍与认知下降", "zh"),
    ("Does physical exercise slow cognitive decline in older adults with mild cognitive impairment?", "en"),
    ("APOE ε4 基因型与阿尔茨海默病风险", "zh"),
    ("What is the role of tau in synaptic dysfunction in Alzheimer's disease?", "en"),
    ("小胶质细胞在阿尔茨海默病神经炎症中的作用是什么?", "zh"),
    ("Does amyloid-beta immunotherapy reduce plaques in mouse models of Alzheimer's disease?", "en"),
    ("褪黑素与阿尔茨海默病患者的睡眠", "zh"),
]
_DESIGN_TYPES = {"Meta-Analysis": "meta_analysis", "Systematic Review": "meta_analysis", "Randomized Controlled Trial": "rct",
                 "Review": "review", "Case Reports": "case_series"}
CENTRAL = 10


def central_records(engine: SearchEngine, review: Review) -> list[int]:
    """Top hits of the question's MeSH headings ANDed, as major topics first; headings are dropped from the
    end until at least 5 records match."""
    headings = list(review.plan.mesh)
    while headings:
        for tag in ("majr", "mh"):
            query = " AND ".join(f'"{name}"[{tag}]' for name in headings)
            hits = search(engine, query, SearchOptions(limit=CENTRAL)).hits
            if len(hits) >= 5:
                return [h.pmid for h in hits]
        headings.pop()
    return []


def strict_pair(sentence, record, verifier: Verifier) -> bool:
    """The strict check of one (statement, record) pair."""
    abstract = " ".join(sec.text for sec in record.abstract)
    if record.pmid in sentence.consistent:
        quote = next((s.quote for s in sentence.supports if s.pmid == record.pmid), "")
        analyser = verifier.analyser
        stated = analyser.finding(0, EvidenceField(sentence.checked_text, sentence.checked_text), 0)
        own = analyser.finding(record.pmid, EvidenceField(quote, quote), 0)
        return quote in abstract and analyser.same(stated, own, verifier.embeddings.similarity(sentence.checked_text, quote))
    if sentence.origin in ("quote", "rewritten"):
        return sentence.checked_text in abstract
    return verifier.check(sentence.checked_text, record).lexical >= 0.8


def strict_share(review: Review, store, verifier: Verifier) -> float:
    findings = [s for s in review.draft.sentences() if s.kind == "finding"]
    good = 0
    for sentence in findings:
        records = store.get_records(sentence.citations)
        good += all(strict_pair(sentence, records[p], verifier) for p in sentence.citations)
    return good / len(findings) if findings else 1.0


def indexed_level(record) -> tuple[set[str], str | None] | None:
    """What the indexers' tags say: (acceptable kinds, design or None); None when they do not decide."""
    types = set(record.article_types)
    design = next((d for t, d in _DESIGN_TYPES.items() if t in types), None)
    if design:
        return {"human"}, design
    headings = {h.descriptor for h in record.mesh}
    humans, animals = "Humans" in headings, "Animals" in headings
    if humans and not animals:
        return {"human", "in_vitro"}, None  # human cells in culture are tagged Humans too
    if animals and not humans:
        return {"animal", "in_vitro"}, None
    return None


def level_accuracy(records, classifier: EvidenceClassifier, use_indexing: bool) -> tuple[int, int, int]:
    """(agreeing, decidable, undecidable) over the records."""
    good = decidable = 0
    for record in records:
        expected = indexed_level(record)
        if expected is None:
            continue
        decidable += 1
        level = classifier.classify(record, use_indexing=use_indexing)
        good += level.kind in expected[0] and (expected[1] is None or level.design == expected[1])
    return good, decidable, len(records) - decidable


def statement_figures(review: Review, store, verifier: Verifier) -> dict[str, float]:
    """Merged share over theme statements; strict support over the final (statement, record) pairs."""
    statements = [s for sec in review.draft.sections if sec.key == "theme" for p in sec.paragraphs for s in p.sentences
                  if s.kind == "finding"]
    merged = sum(1 for s in statements if len(s.citations) >= 2)
    pairs = strict = 0
    for sentence in (s for s in review.draft.sentences() if s.kind == "finding"):
        records = store.get_records(sentence.citations)
        pairs += len(sentence.citations)
        strict += sum(strict_pair(sentence, records[p], verifier) for p in sentence.citations)
    drafted = review.verification.checks
    return dict(statements=len(statements), merged=merged / len(statements) if statements else 0.0,
                pairs_drafted=sum(c.supported for c in drafted) / len(drafted) if drafted else 1.0,
                pairs_strict=strict / pairs if pairs else 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("default", "none"), default="default")
    parser.add_argument("--max-sources", type=int, default=20)
    parser.add_argument("--questions", type=int, default=len(QUESTIONS))
    parser.add_argument("--pick", default="", help="comma-separated question numbers (from 0) instead of the first N")
    args = parser.parse_args()

    base = load_settings()
    home = base.home
    store = open_store(base) if base.sqlite_path.exists() else None
    if store is None or store.stats().records == 0:
        home = Path(tempfile.mkdtemp(prefix="medbridge-research-bench-"))
        store = open_store(load_settings(home=home))
        ensure_sample(store)
    services = Services(load_settings(home=home, llm={"backend": "none"}), store=store)
    if args.backend == "default":
        try:
            candidate = Services(load_settings(home=home, llm={"backend": "local"}), store=store)
            pipeline = ResearchPipeline.from_services(candidate)
            services = candidate
        except ConfigError as exc:
            print(f"default model unavailable ({exc}); running with backend none")
            pipeline = ResearchPipeline.from_services(services)
    else:
        pipeline = ResearchPipeline.from_services(services)
    settings = services.settings
    print(f"model: {pipeline.llm.model_id if pipeline.llm else 'none (extractive)'}; max sources {args.max_sources}; "
          f"corpus {store.stats().records} records")
    runner = research_runner(services, pipeline)
    search(services.search_engine, "warm up the index", SearchOptions(limit=1))

    rows = []
    verifier, classifier = Verifier(services.terminology, SentenceEmbeddings(services.embedder)), EvidenceClassifier(services.terminology)
    chosen = [QUESTIONS[int(i)] for i in args.pick.split(",")] if args.pick else QUESTIONS[: args.questions]
    for question, lang in chosen:
        job = runner.submit(ResearchRequest.create(question, settings, lang, args.max_sources).params())
        started = time.monotonic()
        job = runner.run(job.id)
        wall = time.monotonic() - started
        if job.state != "done":
            print(f"{question}: {job.state} ({job.message})")
            continue
        review = review_of(job)
        v = review.verification
        refs = [r.pmid for r in review.references]
        resolvable = len(store.get_records(refs)) / len(refs) if refs else 1.0
        central = central_records(services.search_engine, review)
        coverage = len(set(central) & set(refs)) / len(central) if central else float("nan")
        cited = list(store.get_records(refs).values())
        good, decidable, undecidable = level_accuracy(cited, classifier, True)
        good_abstract, _, _ = level_accuracy(cited, classifier, False)
        verifier.analyser.about(review.plan.question, review.plan.lang)  # the strict check sets the question's terms aside too
        figures = statement_figures(review, store, verifier)
        contrary = sum(1 for sec in review.draft.sections if sec.key == "disagreements" for p in sec.paragraphs
                       if sum(1 for s in p.sentences if s.kind == "finding") == 2)
        rows.append(dict(wall=wall, words=review.word_count(services.terminology), precision=v.supported_share, strict=strict_share(review, store, verifier),
                         recall=v.cited / v.claims if v.claims else 1.0, resolvable=resolvable, coverage=coverage,
                         refs=len(refs), llm=sum(1 for s in review.draft.sentences() if s.origin == "llm"),
                         levels=good / decidable if decidable else float("nan"),
                         levels_abstract=good_abstract / decidable if decidable else float("nan"),
                         leaks=len(english_leaks(review.draft, services.terminology)), contrary=contrary, **figures))
        r = rows[-1]
        print(f"- {question} [{lang}]: {r['wall']:.0f} s, {r['words']} words, {r['refs']} refs, "
              f"precision {r['precision']:.0%} (strict {r['strict']:.0%}), recall {r['recall']:.0%}, "
              f"resolvable {r['resolvable']:.0%}, coverage {r['coverage']:.0%} of {len(central)} central, "
              f"{r['llm']} model-written sentences kept; rewritten {v.rewritten}, removed {v.removed}; "
              f"{r['statements']} statements, {r['merged']:.0%} citing ≥ 2 records; pairs supported {r['pairs_drafted']:.0%} "
              f"drafted / {r['pairs_strict']:.0%} strict; evidence levels {good}/{decidable} ({r['levels']:.0%}), "
              f"abstract alone {good_abstract}/{decidable} ({r['levels_abstract']:.0%}), {undecidable} not decidable by tags; "
              f"{contrary} disagreements; English leaks {r['leaks']}")
    if rows:
        print("median: " + ", ".join(f"{k} {statistics.median(r[k] for r in rows if r[k] == r[k]):.2f}" for k in
                                     ("wall", "words", "precision", "strict", "recall", "resolvable", "coverage", "merged",
                                      "pairs_drafted", "pairs_strict", "levels", "levels_abstract", "leaks")))
        print(f"total English leaks in Chinese reviews: {sum(r['leaks'] for r in rows)}")


if __name__ == "__main__":
    main()
