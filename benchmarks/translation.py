"""Translation benchmark: real PubMed abstracts → Chinese with the configured local model (default: the
embedded Qwen2.5-Coder-1.5B), through the product path (record texts as markup, glossary, QA, retries).

Reports speed (segments/s, generated tokens/s, seconds per abstract), glossary-term accuracy with and
without glossary injection, the QA-problem rate and chrF/BLEU (sacrebleu, tokenize='zh') against the
reference translations in ../shared/data/bench. Every run starts from an empty cache.

    python benchmarks/translation.py --abstracts 6            # 3 with references + 3 more
    python benchmarks/translation.py --sequential             # beside one sequence at a time
    python benchmarks/translation.py --placeholders           # which marker form the model keeps intact
    python benchmarks/translation.py --show-retries           # each retry: sentence, failed answer, findings
"""

from __future__ import annotations

import argparse
import html
import json
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import sacrebleu

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))

from medbridge.corpus.models import Record  # noqa: E402
from medbridge.corpus.pubmed import iter_pubmed  # noqa: E402
from medbridge.llm import get_llm  # noqa: E402
from medbridge.llm.base import LLM, ChatMessage, ChatRequest  # noqa: E402
from medbridge.settings import load_settings  # noqa: E402
from medbridge.store import open_store  # noqa: E402
from medbridge.terms import Terminology  # noqa: E402
from medbridge.translate import Translator  # noqa: E402
from medbridge.translate.translator import Retry  # noqa: E402
from medbridge.translate.protect import PLACEHOLDER_STYLES, defined_abbreviations, protect  # noqa: E402
from medbridge.translate.qa import QAContext, term_rendered  # noqa: E402
from medbridge.translate.records import record_texts  # noqa: E402

_TAGS = re.compile(r"<[^>]+>")


class CountingLLM:
    """Delegates to the real model and counts calls and generated tokens."""

    def __init__(self, llm: LLM) -> None:
        self.llm = llm
        self.calls = 0
        self.tokens = 0
        self.seconds = 0.0

    @property
    def model_id(self) -> str:
        return self.llm.model_id

    def complete(self, messages: Sequence[ChatMessage], **kwargs) -> str:
        return self.complete_many([ChatRequest(messages, kwargs.pop("max_tokens", None))], **kwargs)[0]

    def complete_many(self, requests: Sequence[ChatRequest], **kwargs) -> list[str]:
        start = time.perf_counter()
        answers = self.llm.complete_many(requests, **kwargs)
        self.seconds += time.perf_counter() - start
        self.calls += len(answers)  # follow-ups (retries) included
        self.tokens += sum(self.llm.count_tokens(a) for a in answers)
        return answers

    def count_tokens(self, text: str) -> int:
        return self.llm.count_tokens(text)

    def stream(self, messages: Sequence[ChatMessage], **kwargs):
        return self.llm.stream(messages, **kwargs)


def plain(fragment: str) -> str:
    return html.unescape(_TAGS.sub("", fragment))


def load_records(n: int) -> tuple[list[Record], dict[int, list[str]]]:
    """The reference abstracts first, then the next structured abstracts of moderate length."""
    refs = {int(r["pmid"]): [r["title"], *(z for _, z in r["sections"])]
            for r in map(json.loads, (SHARED / "data/bench/reference_translations_zh.jsonl").open(encoding="utf-8"))}
    chosen: dict[int, Record] = {}
    extra: list[Record] = []
    for path in sorted((SHARED / "data/pubmed/alzheimer").glob("*.xml.gz")):
        for item in iter_pubmed(path):
            if not isinstance(item, Record) or not item.abstract:
                continue
            if item.pmid in refs:
                chosen[item.pmid] = item
            elif len(extra) < n and 700 <= len(item.abstract_text) <= 1500:
                extra.append(item)
        if len(chosen) == len(refs) and len(extra) >= n:
            break
    records = [chosen[p] for p in refs if p in chosen] + extra
    return records[:n], refs


@dataclass
class RunResult:
    seconds: float = 0.0
    segments: int = 0
    calls: int = 0
    tokens: int = 0
    terms_total: int = 0
    terms_ok: int = 0
    segments_with_errors: int = 0
    untranslated: int = 0
    problem_counts: dict[str, int] = field(default_factory=dict)
    outputs: dict[int, list[str]] = field(default_factory=dict)
    per_abstract: list[float] = field(default_factory=list)
    characters: int = 0
    retries: list[Retry] = field(default_factory=list)


def run(records: list[Record], llm: LLM, terminology: Terminology, home: Path, *, glossary: bool, max_retries: int) -> RunResult:
    store = open_store(load_settings(home=home))
    counting = CountingLLM(llm)
    translator = Translator(counting, store, terminology=terminology, max_retries=max_retries, inject_glossary=glossary)
    ctx = QAContext.create("en", "zh", terminology)
    result = RunResult()
    for record in records:
        texts = record_texts(record)
        start = time.perf_counter()
        translated = translator.translate_batch(texts, source="en", target="zh", markup=True)
        elapsed = time.perf_counter() - start
        result.per_abstract.append(elapsed)
        result.characters += sum(len(plain(t)) for t in texts)
        result.seconds += elapsed
        result.segments += len(texts)
        result.outputs[record.pmid] = [plain(t.target) for t in translated]
        # As the translator's own check: an abbreviation the abstract defines may stay as written.
        abbreviations = defined_abbreviations(" ".join(plain(t) for t in texts))
        for text, out in zip(texts, translated):
            source, target = plain(text), plain(out.target)
            for start_, end, entry in ctx.terms(source):
                result.terms_total += 1
                result.terms_ok += term_rendered(entry, source[start_:end], target, "zh", abbreviations)
            errors = [p for p in out.problems if p.severity == "error"]
            result.segments_with_errors += bool(errors)
            result.untranslated += sum(p.check == "untranslated" for p in errors)
            for p in errors:
                result.problem_counts[p.check] = result.problem_counts.get(p.check, 0) + 1
        print(f"  PMID {record.pmid}: {elapsed:.1f}s, {sum(len(plain(t)) for t in texts)} characters, {len(texts)} texts, flagged {sum(t.flagged for t in translated)}", flush=True)
    result.calls, result.tokens, result.retries = counting.calls, counting.tokens, translator.retries
    store.close()
    return result


def score(result: RunResult, refs: dict[int, list[str]]) -> tuple[float, float] | None:
    hyps, gold = [], []
    for pmid, outputs in result.outputs.items():
        if pmid in refs and len(refs[pmid]) == len(outputs):
            hyps.extend(outputs)
            gold.extend(refs[pmid])
    if not hyps:
        return None
    return sacrebleu.corpus_chrf(hyps, [gold]).score, sacrebleu.corpus_bleu(hyps, [gold], tokenize="zh").score


def report(name: str, result: RunResult, refs: dict[int, list[str]], show_retries: bool = False) -> None:
    print(f"\n== {name}")
    print(f"abstracts: {len(result.per_abstract)}, segments: {result.segments}, model calls: {result.calls}")
    print(f"seconds per abstract: mean {result.seconds / max(1, len(result.per_abstract)):.1f}, "
          f"median {statistics.median(result.per_abstract or [0]):.1f}, max {max(result.per_abstract, default=0):.1f}; "
          f"{1000 * result.seconds / max(1, result.characters):.1f} s per 1,000 source characters")
    print(f"segments/s: {result.segments / max(result.seconds, 1e-9):.3f}; generated tokens/s: {result.tokens / max(result.seconds, 1e-9):.1f}")
    accuracy = result.terms_ok / result.terms_total if result.terms_total else float("nan")
    print(f"glossary-term accuracy: {accuracy:.1%} ({result.terms_ok}/{result.terms_total})")
    print(f"segments with QA errors: {result.segments_with_errors}/{result.segments} ({result.segments_with_errors / max(1, result.segments):.1%}); "
          f"untranslated fragments: {result.untranslated}; by check: {result.problem_counts}")
    scores = score(result, refs)
    if scores:
        print(f"vs references: chrF {scores[0]:.1f}, BLEU(zh) {scores[1]:.1f}")
    # A retry counts once for each check among the errors that caused it.
    behind = Counter(check for retry in result.retries for check in dict.fromkeys(p.check for p in retry.errors))
    print(f"retries: {len(result.retries)}; checks behind them: {dict(behind.most_common())}")
    for retry in result.retries if show_retries else ():
        print(f"  retried: {retry.source}\n    answer: {retry.target}")
        for problem in retry.errors:
            print(f"    {problem.check}: {problem.message}")


def placeholder_survival(llm: LLM, records: list[Record]) -> None:
    """Share of markers each style gets back exactly once, on the records' sections translated alone."""
    from medbridge.translate.prompt import build_messages
    from medbridge.translate.languages import get_language

    en, zh = get_language("en"), get_language("zh")
    texts = [plain(t) for r in records for t in record_texts(r)]
    for name, style in PLACEHOLDER_STYLES.items():
        kept = total = 0
        start = time.perf_counter()
        for text in texts:
            protected = protect(text, style=style)
            if not protected.spans:
                continue
            answer = llm.complete(build_messages([protected.text], en, zh, style, []), max_tokens=600, temperature=0.0)
            bad = {p.source_span for p in protected.marker_problems(answer) if p.source_span}
            total += len(protected.spans)
            kept += len(protected.spans) - len(bad)
        print(f"marker {style.make(1)}: {kept}/{total} kept ({kept / max(1, total):.1%}), {time.perf_counter() - start:.0f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--abstracts", type=int, default=6, help="how many abstracts (the 3 with references come first)")
    parser.add_argument("--retries", type=int, default=1, help="stricter retries of a segment failing QA")
    parser.add_argument("--no-compare", action="store_true", help="skip the run without glossary injection")
    parser.add_argument("--sequential", action="store_true",
                        help="also run with llm.parallel = 1 (one sequence at a time) to show what batched decoding buys")
    parser.add_argument("--placeholders", action="store_true", help="only measure which marker form survives")
    parser.add_argument("--show-retries", action="store_true", help="print each retry: the sentence, the answer that failed, the findings")
    args = parser.parse_args()

    settings = load_settings()
    llm = get_llm(settings)
    terminology = Terminology.from_files()
    print(f"model: {llm.model_id}; glossary version {terminology.version}; llm.parallel {settings.llm.parallel}", flush=True)
    records, refs = load_records(args.abstracts)
    if args.placeholders:
        placeholder_survival(llm, records)
        return
    with tempfile.TemporaryDirectory() as tmp:
        print("with glossary injection:", flush=True)
        with_glossary = run(records, llm, terminology, Path(tmp) / "a", glossary=True, max_retries=args.retries)
        report("with glossary injection", with_glossary, refs, args.show_retries)
        if args.sequential:
            print("\none sequence at a time (llm.parallel = 1):", flush=True)
            one_by_one = get_llm(settings.model_copy(update={"llm": settings.llm.model_copy(update={"parallel": 1})}))
            sequential = run(records, one_by_one, terminology, Path(tmp) / "s", glossary=True, max_retries=args.retries)
            report("one sequence at a time", sequential, refs, args.show_retries)
        if not args.no_compare:
            print("\nwithout glossary injection:", flush=True)
            without = run(records, llm, terminology, Path(tmp) / "b", glossary=False, max_retries=args.retries)
            report("without glossary injection", without, refs, args.show_retries)


if __name__ == "__main__":
    main()
