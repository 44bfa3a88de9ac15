"""Deep research on questions the sample corpus can answer: time, length, citation quality, coverage.

    python benchmarks/research.py                    # default model if it can be assembled, else backend none
    python benchmarks/research.py --backend none     # extractive only
    python benchmarks/research.py --max-sources 20 --questions 2

Runs in a fresh MEDBRIDGE_HOME holding the bundled sample (or $MEDBRIDGE_HOME if it has records). Figures:
- wall time and word count per review (English words plus Chinese words as jieba segments them, the measure
  the research.max_words budget trims to);
- citation precision: share of drafted finding sentences the verifier found supported by every record they
  cite; the "strict" figure re-checks the final sentences with a stronger rule: a quoted finding must occur
  verbatim in the cited abstract, any other sentence must reach lexical overlap ≥ 0.8 with it;
- citation recall: share of drafted finding sentences that carry a citation;
- resolvable references: share of reference PMIDs that are records of the store (must be 100%);
- coverage: share of the "central" records (a MeSH-only PubMed-syntax search, every MeSH heading of the
  question ANDed as [majr], else [mh]; its top 10) that the review cites.
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
from medbridge.research.verify import Verifier
from medbridge.search import SearchOptions, search
from medbridge.settings import get_settings, load_settings
from medbridge.store import open_store

QUESTIONS = [
    ("What is the evidence on CSF biomarkers for predicting Alzheimer's disease in MCI?", "en"),
    ("阿尔茨海默病的睡眠障碍与认知下降", "zh"),
    ("Does physical exercise slow cognitive decline in older adults with mild cognitive impairment?", "en"),
    ("APOE ε4 基因型与阿尔茨海默病风险", "zh"),
]
CENTRAL = 10


def central_records(store, settings, review: Review) -> list[int]:
    """Top hits of the question's MeSH headings ANDed, as major topics first; headings are dropped from the
    end until at least 5 records match."""
    headings = list(review.plan.mesh)
    while headings:
        for tag in ("majr", "mh"):
            query = " AND ".join(f'"{name}"[{tag}]' for name in headings)
            hits = search(store, settings, query, SearchOptions(limit=CENTRAL)).hits
            if len(hits) >= 5:
                return [h.pmid for h in hits]
        headings.pop()
    return []


def strict_share(review: Review, store) -> float:
    verifier = Verifier()
    findings = [s for s in review.draft.sentences() if s.kind == "finding"]
    good = 0
    for sentence in findings:
        records = store.get_records(sentence.citations)
        if sentence.origin in ("quote", "rewritten"):
            text = sentence.checked_text
            good += all(any(text in sec.text for sec in records[p].abstract) for p in sentence.citations)
        else:
            good += all(verifier.check(sentence.checked_text, records[p]).lexical >= 0.8 for p in sentence.citations)
    return good / len(findings) if findings else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("default", "none"), default="default")
    parser.add_argument("--max-sources", type=int, default=20)
    parser.add_argument("--questions", type=int, default=len(QUESTIONS))
    args = parser.parse_args()

    base = get_settings()
    home = base.home
    store = open_store(base) if base.sqlite_path.exists() else None
    if store is None or store.stats().records == 0:
        home = Path(tempfile.mkdtemp(prefix="medbridge-research-bench-"))
        store = open_store(load_settings(home=home))
        ensure_sample(store)
    settings = load_settings(home=home, llm={"backend": "none"})
    if args.backend == "default":
        try:
            candidate = load_settings(home=home, llm={"backend": "local"})
            pipeline = ResearchPipeline.from_settings(store, candidate)
            settings = candidate
        except ConfigError as exc:
            print(f"default model unavailable ({exc}); running with backend none")
            pipeline = ResearchPipeline.from_settings(store, settings)
    else:
        pipeline = ResearchPipeline.from_settings(store, settings)
    print(f"model: {pipeline.llm.model_id if pipeline.llm else 'none (extractive)'}; max sources {args.max_sources}; "
          f"corpus {store.stats().records} records")
    runner = research_runner(store, settings, pipeline)
    search(store, settings, "warm up the index", SearchOptions(limit=1))

    rows = []
    for question, lang in QUESTIONS[: args.questions]:
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
        central = central_records(store, settings, review)
        coverage = len(set(central) & set(refs)) / len(central) if central else float("nan")
        rows.append(dict(wall=wall, words=review.word_count(), precision=v.supported_share, strict=strict_share(review, store),
                         recall=v.cited / v.claims if v.claims else 1.0, resolvable=resolvable, coverage=coverage,
                         refs=len(refs), llm=sum(1 for s in review.draft.sentences() if s.origin == "llm")))
        r = rows[-1]
        print(f"- {question} [{lang}]: {r['wall']:.0f} s, {r['words']} words, {r['refs']} refs, "
              f"precision {r['precision']:.0%} (strict {r['strict']:.0%}), recall {r['recall']:.0%}, "
              f"resolvable {r['resolvable']:.0%}, coverage {r['coverage']:.0%} of {len(central)} central, "
              f"{r['llm']} model-written sentences kept; rewritten {v.rewritten}, removed {v.removed}")
    if rows:
        print("median: " + ", ".join(f"{k} {statistics.median(r[k] for r in rows if r[k] == r[k]):.2f}" for k in
                                     ("wall", "words", "precision", "strict", "recall", "resolvable", "coverage")))


if __name__ == "__main__":
    main()
