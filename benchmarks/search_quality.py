"""Search quality on real records: nDCG@10 and Recall@100 for BM25, dense and hybrid, English vs Chinese;
precision of the result set and facet-count agreement.

    .venv/bin/python benchmarks/search_quality.py [--pubmedqa-limit 1000] [--skip-pubmedqa] [--dense-weight 0.3]
        [--ann-min-vectors 1000]

The ranking judged is what a page shows: the result set (records containing every required concept), then
the related records offered when the set is short. Result-set precision is the share of returned results that
contain every required concept, checked here record by record in Python (MeSH heading or a descendant, or a
synonym's words in a row in title, abstract, a MeSH heading or a keyword), not by the index that chose them.
Facet agreement clicks every facet value of the topic queries and compares the count shown with the total found.

1. MeSH-topic evaluation on the bundled Alzheimer sample (3,690 records): for MeSH major topics present in
   the set, an English query and a Chinese query written the way a clinician asks; relevant = the records
   indexed with that descriptor as a major topic.
2. PubMedQA known-item search (../shared/data/bench/pubmedqa_ori_pqal.json): each question against the
   1,000 abstracts of the set (contexts only: no title, no long answer); relevant = its own abstract.
PubMedQA's index and vectors persist under ~/.cache/medbridge-bench (embedding is the slow part).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from medbridge.corpus.models import AbstractSection, MeshHeading, PubDate, Record  # noqa: E402
from medbridge.search.lexical import build_analyzer  # noqa: E402
from medbridge.search.understand import Concept, Filters  # noqa: E402
from medbridge.terms import Terminology  # noqa: E402
from medbridge.corpus.sample import ensure_sample  # noqa: E402
from medbridge.search.engine import SearchEngine, SearchOptions  # noqa: E402
from medbridge.search.indexer import SearchIndex  # noqa: E402
from medbridge.settings import load_settings  # noqa: E402
from medbridge.store import open_store  # noqa: E402

SHARED = REPO.parent / "shared"
PUBMEDQA = SHARED / "data" / "bench" / "pubmedqa_ori_pqal.json"
CACHE = Path.home() / ".cache" / "medbridge-bench"

# (MeSH major topic, English query, Chinese query) — phrased as a clinician would type them, not as headings.
TOPIC_QUERIES: list[tuple[str, str, str]] = [
    ("tau Proteins", "tau protein pathology", "tau蛋白的病理"),
    ("Amyloid beta-Protein Precursor", "amyloid precursor protein processing", "淀粉样前体蛋白的加工"),
    ("Aging", "brain aging", "大脑衰老"),
    ("Cognition Disorders", "cognitive disorders in the elderly", "老年人认知障碍"),
    ("Dementia", "risk factors for dementia", "痴呆的危险因素"),
    ("Hippocampus", "hippocampus changes", "海马体的变化"),
    ("Microglia", "microglia activation in neurodegeneration", "小胶质细胞激活与神经退行性变"),
    ("Parkinson Disease", "Parkinson's disease", "帕金森病"),
    ("Plaque, Amyloid", "amyloid plaques", "淀粉样斑块"),
    ("Cognitive Dysfunction", "mild cognitive impairment progression", "轻度认知障碍的进展"),
    ("Amyloid Precursor Protein Secretases", "beta secretase BACE1", "β分泌酶"),
    ("Apolipoproteins E", "apolipoprotein E", "载脂蛋白E"),
    ("Synapses", "synapse loss", "突触丢失"),
    ("Tauopathies", "tauopathies", "tau蛋白病"),
    ("Amyotrophic Lateral Sclerosis", "amyotrophic lateral sclerosis", "肌萎缩侧索硬化"),
    ("Memory Disorders", "memory impairment", "记忆障碍"),
    ("alpha-Synuclein", "alpha-synuclein aggregation", "α-突触核蛋白聚集"),
    ("Frontotemporal Dementia", "frontotemporal dementia", "额颞叶痴呆"),
    ("Astrocytes", "role of astrocytes", "星形胶质细胞的作用"),
    ("Mitochondria", "mitochondrial dysfunction", "线粒体功能障碍"),
    ("Positron-Emission Tomography", "PET imaging", "PET显像"),
    ("Biomarkers", "diagnostic biomarkers", "诊断生物标志物"),
    ("Neurofibrillary Tangles", "neurofibrillary tangles", "神经原纤维缠结"),
    ("Apoptosis", "neuronal apoptosis", "神经元凋亡"),
    ("Down Syndrome", "Down syndrome and Alzheimer disease", "唐氏综合征与阿尔茨海默病"),
    ("Oxidative Stress", "oxidative stress", "氧化应激"),
    ("Inflammation", "neuroinflammation", "神经炎症"),
    ("Cerebral Amyloid Angiopathy", "cerebral amyloid angiopathy", "脑淀粉样血管病"),
    ("Huntington Disease", "Huntington's disease", "亨廷顿病"),
    ("Lewy Body Disease", "dementia with Lewy bodies", "路易体痴呆"),
    ("Blood-Brain Barrier", "blood-brain barrier", "血脑屏障"),
    ("Induced Pluripotent Stem Cells", "iPSC-derived neurons", "诱导多能干细胞来源的神经元"),
    ("Cholinesterase Inhibitors", "cholinesterase inhibitor treatment", "胆碱酯酶抑制剂治疗"),
    ("Hypertension", "hypertension and dementia", "高血压与痴呆"),
    ("COVID-19", "COVID-19 and cognition", "新冠肺炎对认知的影响"),
    ("Dementia, Vascular", "vascular dementia", "血管性痴呆"),
    ("Brain-Derived Neurotrophic Factor", "BDNF", "脑源性神经营养因子"),
    ("Antibodies, Monoclonal, Humanized", "monoclonal antibody therapy", "单克隆抗体治疗"),
    ("Genome-Wide Association Study", "GWAS risk genes", "全基因组关联研究的风险基因"),
    ("Anti-Inflammatory Agents, Non-Steroidal", "NSAIDs", "非甾体抗炎药"),
    ("Presenilin-1", "presenilin 1 mutations", "早老素1突变"),
    ("Long-Term Potentiation", "long-term potentiation", "长时程增强"),
    ("Cholesterol", "cholesterol metabolism", "胆固醇代谢"),
]
RETRIEVALS = ("lexical", "dense", "hybrid")
FACET_FILTERS = {"pt": "publication_types", "journal": "journals", "la": "languages"}


def ndcg_at(ranking: list[int], relevant: set[int], k: int = 10) -> float:
    dcg = sum(1.0 / math.log2(i + 2) for i, pmid in enumerate(ranking[:k]) if pmid in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def recall_at(ranking: list[int], relevant: set[int], k: int = 100) -> float:
    return len(set(ranking[:k]) & relevant) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranking: list[int], relevant: set[int], k: int = 10) -> float:
    return next((1.0 / (i + 1) for i, pmid in enumerate(ranking[:k]) if pmid in relevant), 0.0)


def ranking(engine: SearchEngine, query: str, retrieval: str) -> list[int]:
    """The first 100 records a reader sees: results, then related records when the results are fewer."""
    result = engine.search(query, SearchOptions(limit=100, retrieval=retrieval))  # type: ignore[arg-type]
    return [hit.pmid for hit in [*result.hits, *result.relaxed]]


class ConceptCheck:
    """Does a record contain a concept? Plain Python over the record, independent of the search index."""

    def __init__(self, terms: Terminology):
        self.terms = terms
        self.analyzer = build_analyzer()

    def words(self, text: str) -> list[str]:
        return self.analyzer.analyze(text)

    def contains(self, record: Record, concept: Concept) -> bool:
        if concept.mesh_ui and self._has_heading(record, concept.mesh_ui):
            return True
        values = [record.title, " ".join(s.text for s in record.abstract), *(m.descriptor for m in record.mesh), *(k.text for k in record.keywords)]
        fields = [self.words(v) for v in values if v]
        for synonym in concept.search_terms:
            wanted = self.words(synonym)
            if wanted and any(_in_row(wanted, words) for words in fields):
                return True
        return False

    def _has_heading(self, record: Record, ui: str) -> bool:
        """The heading or one below it in the MeSH tree ([mh] explodes, as in PubMed)."""
        descriptor = self.terms.mesh(ui)
        roots = descriptor.tree_numbers if descriptor else ()
        for heading in record.mesh:
            if heading.ui == ui:
                return True
            below = self.terms.mesh(heading.ui) if heading.ui else None
            if below and any(n == r or n.startswith(r + ".") for n in below.tree_numbers for r in roots):
                return True
        return False


def _in_row(wanted: list[str], words: list[str]) -> bool:
    n = len(wanted)
    return any(words[i : i + n] == wanted for i in range(len(words) - n + 1))


def result_set_precision(engine: SearchEngine, check: ConceptCheck, query: str) -> tuple[int, int]:
    """(results containing every required concept, results checked) over the first 100 results."""
    result = engine.search(query, SearchOptions(limit=100))
    records = engine.store.get_records([hit.pmid for hit in result.hits])
    required = result.interpretation.required_concepts
    good = sum(all(check.contains(records[h.pmid], c) for c in required) for h in result.hits if h.pmid in records)
    return good, len(result.hits)


def facet_agreement(engine: SearchEngine, query: str) -> tuple[int, int]:
    """(facet values whose count equals the total after filtering by them, facet values tried)."""
    result = engine.search(query, SearchOptions(limit=1, retrieval="lexical"))  # counts do not depend on the ranking
    agree = tried = 0
    for name, buckets in result.facets.items():
        for value, count in buckets:
            filters = Filters()
            if name in FACET_FILTERS:
                setattr(filters, FACET_FILTERS[name], (value,))
            elif name == "year":
                filters.year_from = filters.year_to = int(value)
            elif name == "has_abstract":
                filters.has_abstract = value == "1"
            tried += 1
            agree += engine.search(query, SearchOptions(limit=1, filters=filters, retrieval="lexical")).total == count
    return agree, tried


def topic_evaluation(home: Path, search: dict, terms: Terminology) -> dict:
    settings = load_settings(home=home, search=search)
    store = open_store(settings)
    ensure_sample(store)
    engine = SearchEngine(SearchIndex(settings, store, terms))
    report = engine.index.update()
    coverage = len(engine.index.vectors) / max(1, engine.index.lexical.num_docs())
    relevant: dict[str, set[int]] = {}
    for record in store.iter_records():
        for heading in record.mesh:
            if heading.is_major:
                relevant.setdefault(heading.descriptor, set()).add(record.pmid)
    rows = []
    check = ConceptCheck(engine.index.terms)
    precise = returned = agree = tried = 0
    for topic, english, chinese in TOPIC_QUERIES:
        judged = relevant.get(topic, set())
        if not judged:
            continue
        for language, query in (("en", english), ("zh", chinese)):
            for retrieval in RETRIEVALS:
                ranked = ranking(engine, query, retrieval)
                rows.append({"topic": topic, "language": language, "retrieval": retrieval, "query": query,
                             "ndcg10": ndcg_at(ranked, judged), "recall100": recall_at(ranked, judged, 100),
                             "relevant": len(judged)})
            good, checked = result_set_precision(engine, check, query)
            precise, returned = precise + good, returned + checked
            same, values = facet_agreement(engine, query)
            agree, tried = agree + same, tried + values
    return {"rows": rows, "vector_coverage": coverage, "vectors_from_bundle": report.vectors_from_bundle,
            "precision": precise / max(1, returned), "results_checked": returned, "facets_agreeing": agree, "facets_tried": tried}


def _pubmedqa_records(limit: int) -> tuple[list[Record], dict[int, str]]:
    data = json.loads(PUBMEDQA.read_text())
    records, questions = [], {}
    for pmid_text, item in list(data.items())[:limit]:
        pmid = int(pmid_text)
        sections = [AbstractSection(text=text, markup=text, label=label)
                    for text, label in zip(item["CONTEXTS"], item.get("LABELS") or [None] * len(item["CONTEXTS"]))]
        records.append(Record(pmid=pmid, title="", abstract=sections, pub_date=PubDate(year=int(item["YEAR"]) if item.get("YEAR") else None),
                              mesh=[MeshHeading(descriptor=m) for m in item.get("MESHES", [])], languages=["eng"]))
        questions[pmid] = item["QUESTION"]
    return records, questions


def pubmedqa_evaluation(limit: int, lexical_only: bool, search: dict, terms: Terminology) -> dict:
    """Runs in a persistent home under CACHE, so embedding (the slow part) resumes after an interruption."""
    settings = load_settings(home=CACHE / f"pubmedqa-{limit}", search=search)
    store = open_store(settings)
    records, questions = _pubmedqa_records(limit)
    if store.stats().records != len(records):
        with store.ingesting_file("pubmedqa_ori_pqal.json", "bench") as writer:
            for record in records:
                writer.put(record)
    index = SearchIndex(settings, store, terms)
    index.update()
    started = time.perf_counter()
    embedded = 0 if lexical_only else index.embed_pending()
    embed_seconds = time.perf_counter() - started
    engine = SearchEngine(index)
    check = ConceptCheck(index.terms)
    precise = returned = 0
    for question in questions.values():
        good, checked = result_set_precision(engine, check, question)
        precise, returned = precise + good, returned + checked
    metrics = {}
    for retrieval in ("lexical",) if lexical_only else RETRIEVALS:
        rr, r1, r10, nd = [], [], [], []
        for pmid, question in questions.items():
            ranked = ranking(engine, question, retrieval)
            rr.append(reciprocal_rank(ranked, {pmid}))
            r1.append(float(ranked[:1] == [pmid]))
            r10.append(float(pmid in ranked[:10]))
            nd.append(ndcg_at(ranked, {pmid}))
        metrics[retrieval] = {"mrr10": float(np.mean(rr)), "recall1": float(np.mean(r1)),
                              "recall10": float(np.mean(r10)), "ndcg10": float(np.mean(nd))}
    throughput = embedded / embed_seconds if embedded else None
    return {"questions": len(questions), "metrics": metrics, "embedded_now": embedded, "passages_per_s": throughput,
            "precision": precise / max(1, returned), "results_checked": returned}


def summarize(rows: list[dict]) -> dict:
    table = {}
    for language in ("en", "zh"):
        for retrieval in RETRIEVALS:
            picked = [r for r in rows if r["language"] == language and r["retrieval"] == retrieval]
            table[f"{language}/{retrieval}"] = {
                "ndcg10": float(np.mean([r["ndcg10"] for r in picked])),
                "recall100": float(np.mean([r["recall100"] for r in picked])),
                "queries": len(picked),
            }
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pubmedqa-limit", type=int, default=1000)
    parser.add_argument("--skip-pubmedqa", action="store_true")
    parser.add_argument("--skip-topics", action="store_true")
    parser.add_argument("--pubmedqa-lexical-only", action="store_true", help="No embedding: BM25 figures only.")
    parser.add_argument("--dense-weight", type=float, help="Hybrid fusion weight to try instead of search.dense_weight.")
    parser.add_argument("--ann-min-vectors", type=int,
                        help="Use the approximate vector index from this many vectors (1000: on the sample too).")
    parser.add_argument("--json", type=Path, help="Also write all figures here.")
    args = parser.parse_args()
    search = {} if args.dense_weight is None else {"dense_weight": args.dense_weight}
    if args.ann_min_vectors is not None:
        search["ann_min_vectors"] = args.ann_min_vectors
    fusion = load_settings(search=search).search
    print(f"hybrid = {1 - fusion.dense_weight:.2f}·BM25 + {fusion.dense_weight:.2f}·e5 (cosine floor {fusion.dense_min_similarity:.2f})")
    output: dict = {"dense_weight": fusion.dense_weight, "dense_min_similarity": fusion.dense_min_similarity}
    terms = Terminology.from_files()
    with tempfile.TemporaryDirectory(prefix="medbridge-quality-") as tmp:
        if not args.skip_topics:
            topics = topic_evaluation(Path(tmp) / "alzheimer", search, terms)
            table = summarize(topics["rows"])
            output["topics"] = {"summary": table, "vector_coverage": topics["vector_coverage"], "rows": topics["rows"]}
            print(f"MeSH-topic queries on the Alzheimer sample ({table['en/lexical']['queries']} topics, "
                  f"vectors for {topics['vector_coverage']:.0%} of records)")
            print(f"{'':14}{'nDCG@10':>10}{'Recall@100':>12}")
            for key, value in table.items():
                print(f"{key:14}{value['ndcg10']:>10.3f}{value['recall100']:>12.3f}")
            for retrieval in RETRIEVALS:
                ratio = table[f"zh/{retrieval}"]["ndcg10"] / max(1e-9, table[f"en/{retrieval}"]["ndcg10"])
                print(f"Chinese/English nDCG@10 ({retrieval}): {ratio:.0%}")
            output["topics"].update({k: topics[k] for k in ("precision", "results_checked", "facets_agreeing", "facets_tried")})
            print(f"result-set precision: {topics['precision']:.3f} ({topics['results_checked']} results checked; target >= 0.98)")
            print(f"facet counts equal to the filtered total: {topics['facets_agreeing']}/{topics['facets_tried']} (must be all)")
        if not args.skip_pubmedqa:
            qa = pubmedqa_evaluation(args.pubmedqa_limit, args.pubmedqa_lexical_only, search, terms)
            output["pubmedqa"] = qa
            print(f"\nPubMedQA known-item ({qa['questions']} questions over their own abstracts)")
            print(f"{'':10}{'MRR@10':>8}{'R@1':>7}{'R@10':>7}{'nDCG@10':>9}")
            for retrieval, m in qa["metrics"].items():
                print(f"{retrieval:10}{m['mrr10']:>8.3f}{m['recall1']:>7.3f}{m['recall10']:>7.3f}{m['ndcg10']:>9.3f}")
            print(f"result-set precision: {qa['precision']:.3f} ({qa['results_checked']} results checked)")
            if qa["passages_per_s"]:
                print(f"embedding throughput: {qa['passages_per_s']:.2f} passages/s ({qa['embedded_now']} embedded)")
    if args.json:
        args.json.write_text(json.dumps(output, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
