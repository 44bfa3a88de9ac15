"""Search conversations: do multi-turn conversations end in a state that honours everything asked for,
checked on the records' own metadata; how long a turn takes; how fast citation pairs import and what a
cited-by count costs.

    .venv/bin/python benchmarks/chat.py [--pairs 2000000]

Conversations (Chinese and English, 2–4 turns) are clinical questions of the kind the Alzheimer sample
answers, each followed by refinements. A final state is honoured when it has hits and every constraint
holds: concepts asked for are in the state and named (title, abstract or MeSH) by each of the top 3 hits;
dropped concepts are gone; excluded concepts are named by no hit on the page; every hit's year, publication
type, Humans/Animals check tags, language, abstract and journal match the filters; hits are ordered by the
sort asked for (cited-by counts from the store, years from the records). Latency: every turn, the first
turn of each conversation separately (it loads nothing the others do not: dictionaries and vectors are
warmed first). Citation import: a generated OCC-format CSV of ``--pairs`` rows (PMIDs drawn from the PubMed
range), imported into a fresh store; then cited-by counts for 1,000 PMIDs.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from medbridge.corpus.citations import import_citations  # noqa: E402
from medbridge.corpus.sample import ensure_sample  # noqa: E402
from medbridge.search.conversation import Conversations, TurnResult  # noqa: E402
from medbridge.search.recommend import Recommender  # noqa: E402
from medbridge.services import Services  # noqa: E402
from medbridge.settings import load_settings  # noqa: E402
from medbridge.store import open_store  # noqa: E402

TOP_NAMING = 3
ANIMALS = {"Animals", "Mice", "Rats", "Mice, Transgenic", "Disease Models, Animal", "Macaca mulatta", "Drosophila melanogaster"}


@dataclass
class Case:
    turns: list[str]
    present: list[str] = field(default_factory=list)   # MeSH UIs (or lower-case English forms) to keep
    dropped: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    years: tuple[int | None, int | None] | None = None
    types: tuple[str, ...] = ()
    species: str | None = None
    sort: str = "relevance"
    language: str | None = None
    has_abstract: bool = False
    journal: str | None = None


THIS_YEAR = date.today().year
CASES = [
    Case(["阿尔茨海默病的炎症机制", "再加上小胶质细胞", "只看2010年以来的"], present=["D000544", "D017628"], years=(2010, None)),
    Case(["阿尔茨海默病的脑脊液生物标志物", "只要综述", "按被引次数排序"], present=["D000544"], types=("Review",), sort="cited_by"),
    Case(["痴呆与炎症", "不要痴呆，换成淀粉样蛋白"], present=["D000682"], dropped=["D003704"]),
    Case(["阿尔茨海默病的治疗", "只要RCT", "排除动物实验"], present=["D000544"], types=("Randomized Controlled Trial",), species="not_animals"),
    Case(["多奈哌齐治疗阿尔茨海默病", "只看临床试验", "按时间排序"], present=["D000077265"], types=("Clinical Trial",), sort="date"),
    Case(["APOE与阿尔茨海默病风险", "只看人类研究", "过去十年"], present=["D001057"], species="humans", years=(THIS_YEAR - 9, THIS_YEAR)),
    Case(["tau蛋白与神经退行性变", "排除动物实验", "按被引次数排序"], present=["D016875"], species="not_animals", sort="cited_by"),
    Case(["轻度认知障碍的转化预测", "只看有摘要的英文文献"], present=["D060825"], language="eng", has_abstract=True),
    Case(["阿尔茨海默病的淀粉样蛋白PET", "只要2005-2015年的", "按被引次数排序"], present=["D000544"], years=(2005, 2015), sort="cited_by"),
    Case(["阿尔茨海默病与糖尿病", "再加上胰岛素", "不要糖尿病"], present=["D000544", "D007328"], dropped=["D003920"]),
    Case(["阿尔茨海默病的氧化应激", "排除线粒体", "只要综述"], present=["D018384"], excluded=["D008928"], types=("Review",)),
    Case(["阿尔茨海默病照料者的负担", "只看人类研究"], present=["D000544"], species="humans"),
    Case(["阿尔茨海默病患者的睡眠", "近十年的", "按时间排序"], present=["D000544"], years=(THIS_YEAR - 9, THIS_YEAR), sort="date"),
    Case(["美金刚的疗效", "再加上阿尔茨海默病", "只要RCT"], present=["D000544"], types=("Randomized Controlled Trial",)),
    Case(["阿尔茨海默病的海马萎缩", "再加上磁共振成像", "2008年以来"], present=["D000544", "D008279"], years=(2008, None)),
    Case(["阿尔茨海默病的遗传因素", "按被引次数排序", "撤销"], present=["D000544"], sort="relevance"),
    Case(["inflammation in alzheimer disease", "add microglia", "since 2010"], present=["D000544", "D017628"], years=(2010, None)),
    Case(["csf biomarkers of alzheimer disease", "only reviews", "sort by citations"], present=["D000544"], types=("Review",), sort="cited_by"),
    Case(["dementia and inflammation", "replace dementia with amyloid"], present=["D000682"], dropped=["D003704"]),
    Case(["treatment of alzheimer disease", "only randomized controlled trials", "exclude animal studies"], present=["D000544"],
         types=("Randomized Controlled Trial",), species="not_animals"),
    Case(["donepezil for alzheimer disease", "clinical trials only", "sort by date"], present=["D000077265"], types=("Clinical Trial",), sort="date"),
    Case(["apolipoprotein E and alzheimer risk", "humans only", "last 10 years"], present=["D001057"], species="humans", years=(THIS_YEAR - 9, THIS_YEAR)),
    Case(["tau proteins and neurodegeneration", "exclude animal studies", "most cited"], present=["D016875"], species="not_animals", sort="cited_by"),
    Case(["mild cognitive impairment progression", "english articles with abstracts"], present=["D060825"], language="eng", has_abstract=True),
    Case(["amyloid PET in alzheimer disease", "2005-2015", "sort by citations"], present=["D000544"], years=(2005, 2015), sort="cited_by"),
    Case(["alzheimer disease and diabetes", "add insulin", "remove diabetes"], present=["D000544", "D007328"], dropped=["D003920"]),
    Case(["oxidative stress in alzheimer disease", "exclude mitochondria", "only reviews"], present=["D018384"], excluded=["D008928"], types=("Review",)),
    Case(["hippocampal atrophy in alzheimer disease", "add magnetic resonance imaging", "since 2008"], present=["D000544", "D008279"], years=(2008, None)),
    Case(["sleep in alzheimer disease", "past ten years", "newest first"], present=["D000544"], years=(THIS_YEAR - 9, THIS_YEAR), sort="date"),
    Case(["memantine efficacy", "add alzheimer disease", "only RCTs"], present=["D000544"], types=("Randomized Controlled Trial",)),
    Case(["genetics of alzheimer disease", "sort by citations", "undo"], present=["D000544"], sort="relevance"),
    Case(["alzheimer disease biomarkers", "exclude tau proteins", "in the journal Neurology"], present=["D000544"], excluded=["D016875"], journal="Neurology"),
    Case(["阿尔茨海默病 生物标志物", "排除tau蛋白", "只看英文文献"], present=["D000544"], excluded=["D016875"], language="eng"),
    Case(["caregiver burden in dementia", "humans only", "only reviews", "sort by date"], present=["D003704"], species="humans", types=("Review",), sort="date"),
]


def _concept_matches(recommender: Recommender, conversation, ui: str, records) -> list[bool]:
    concept = next(c for c in (*conversation.state.concepts, *conversation.state.excluded) if c.mesh_ui == ui)
    found = recommender.recommend(records, [concept], {})
    return [bool(r.matched) for r in found]


def failures(case: Case, result: TurnResult, chats: Conversations, recommender: Recommender) -> list[str]:
    state = result.conversation.state
    f = state.filters
    problems = []
    if not result.hits:
        return ["no hits"]
    records = list(chats.store.get_records(h.pmid for h in result.hits).values())
    uis = {c.mesh_ui for c in state.concepts}
    excluded_uis = {c.mesh_ui for c in state.excluded}
    for ui in case.present:
        if ui not in uis:
            problems.append(f"concept {ui} missing from the state")
        elif not all(_concept_matches(recommender, result.conversation, ui, records[:TOP_NAMING])):
            problems.append(f"a top-{TOP_NAMING} hit does not name {ui}")
    problems += [f"dropped concept {ui} still in the state" for ui in case.dropped if ui in uis]
    for ui in case.excluded:
        if ui not in excluded_uis:
            problems.append(f"{ui} not excluded")
        elif any(_concept_matches(recommender, result.conversation, ui, records)):
            problems.append(f"a hit names excluded {ui}")
    if case.years:
        start, end = case.years
        if (f.year_from, f.year_to) != (start, end) and not (end is None and f.year_from == start):
            problems.append(f"years {f.year_from}–{f.year_to}, asked {start}–{end}")
        problems += [f"{r.pmid} from {r.year}" for r in records if r.year is None or r.year < start or (end and r.year > end)]
    if case.types:
        problems += [f"{r.pmid} is not {case.types}" for r in records if not set(case.types) & set(r.article_types)]
    if case.species:
        for r in records:
            descriptors = {m.descriptor for m in r.mesh}
            if case.species == "humans" and "Humans" not in descriptors:
                problems.append(f"{r.pmid} lacks Humans")
            if case.species == "not_animals" and descriptors & ANIMALS and "Humans" not in descriptors:
                problems.append(f"{r.pmid} is an animal study")
    if case.language:
        problems += [f"{r.pmid} not in {case.language}" for r in records if case.language not in r.languages]
    if case.has_abstract:
        problems += [f"{r.pmid} has no abstract" for r in records if not r.has_abstract]
    if case.journal:
        problems += [f"{r.pmid} in {r.journal.medline_ta}" for r in records if r.journal.medline_ta != case.journal]
    if state.sort != case.sort:
        problems.append(f"sort {state.sort}, asked {case.sort}")
    if case.sort == "cited_by":
        counts = chats.store.cited_by_counts(h.pmid for h in result.hits)
        ordered = [counts.get(h.pmid, 0) for h in result.hits]
        if ordered != sorted(ordered, reverse=True):
            problems.append("not ordered by cited-by")
    if case.sort == "date":
        years = [h.year or 0 for h in result.hits]
        if years != sorted(years, reverse=True):
            problems.append("not ordered by date")
    return problems


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run_conversations(home: Path) -> None:
    services = Services.from_settings(load_settings(home=home, llm={"backend": "none"}))
    settings, store = services.settings, services.store
    ensure_sample(store)
    engine = services.search_engine
    engine.index.update()
    chats = Conversations(store, engine, page_size=settings.search.page_size)
    recommender = Recommender(engine.index.terms, engine.index.lexical.analyzer)
    chats.say(chats.start(), "阿尔茨海默病 warm-up")  # dictionaries, jieba, the e5 model, vectors
    first_turns, follow_ups, honoured = [], [], 0
    for case in CASES:
        conversation = chats.start()
        result = None
        for number, turn in enumerate(case.turns):
            started = time.perf_counter()
            result = chats.say(conversation, turn)
            (first_turns if number == 0 else follow_ups).append((time.perf_counter() - started) * 1000)
        problems = failures(case, result, chats, recommender)
        honoured += not problems
        if problems:
            print(f"NOT HONOURED {case.turns}: {'; '.join(problems[:4])}")
    zh = sum(1 for case in CASES if any("\u4e00" <= ch <= "\u9fff" for ch in case.turns[0]))
    en = len(CASES) - zh
    print(f"conversations: {len(CASES)} ({zh} Chinese, {en} English), turns {sum(len(c.turns) for c in CASES)}")
    print(f"fully honoured: {honoured}/{len(CASES)} = {100 * honoured / len(CASES):.1f} %")
    print(f"follow-up turn latency: p50 {statistics.median(follow_ups):.0f} ms, p95 {percentile(follow_ups, 0.95):.0f} ms "
          f"(n={len(follow_ups)}); first turns p50 {statistics.median(first_turns):.0f} ms, p95 {percentile(first_turns, 0.95):.0f} ms")


def run_citation_import(home: Path, pairs: int) -> None:
    settings = load_settings(home=home, llm={"backend": "none"})
    store = open_store(settings)
    path = home / "open_citation_collection.csv"
    rng = random.Random(7)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["citing", "referenced"])
        for _ in range(pairs):
            writer.writerow((rng.randrange(1, 40_000_000), rng.randrange(1, 40_000_000)))
    size_mb = path.stat().st_size / 1e6
    started = time.perf_counter()
    report = import_citations(store, path)
    seconds = time.perf_counter() - started
    print(f"citation import: {report.lines:,} rows ({size_mb:.0f} MB) in {seconds:.1f} s = {report.lines / seconds:,.0f} pairs/s, "
          f"{report.added:,} distinct pairs")
    wanted = [rng.randrange(1, 40_000_000) for _ in range(1000)]
    started = time.perf_counter()
    counts = store.cited_by_counts(wanted)
    print(f"cited-by counts of 1,000 PMIDs over {report.added:,} pairs: {(time.perf_counter() - started) * 1000:.1f} ms "
          f"({sum(counts.values())} citations found)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2_000_000, help="rows of the generated OCC-format CSV")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run_conversations(Path(folder) / "chat")
        run_citation_import(Path(folder) / "citations", args.pairs)


if __name__ == "__main__":
    main()
