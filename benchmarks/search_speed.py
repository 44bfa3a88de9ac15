"""Search speed: p50/p95 latency and index size at the sample size and at 1,000,000 records, tantivy (the
product's lexical engine) beside PyPI bm25s and SQLite FTS5 on the same corpus in the same run; dense and
hybrid latency; embedding throughput.

    .venv/bin/python benchmarks/search_speed.py [--size 1000000] [--engines tantivy,bm25s,fts5]
        [--ann-min-vectors 50000] [--workdir DIR] [--shards 2,4]

The 1M corpus is made by recombining the 3,690 real sample records: record i takes its title, MeSH and
keywords from one record, the first half of its abstract from a second and the rest from a third, its
year and publication types from the second. Vectors at 1M are synthetic, made from the bundled real ones
(``synthetic_vectors``: one real vector plus half another plus noise, renormalised), because embedding 1M
abstracts on 2 cores would take days; recall@100 of the approximate index is measured against the exact
scan over these vectors, with the real e5 embeddings of the queries. Queries: the English and Chinese clinician-style
questions of benchmarks/search_quality.py, interpreted as the product does.

``--shards 2,4`` also builds the corpus as 2 and as 4 shards (``search.shards``, records split by pmid) and
times the product's sharded search (corpus-wide term statistics, shards searched in parallel threads) beside
the single index, with the overlap of their top 100. All lexical indexes are built by a pool of one process
per core, longest first; with ``--workdir``, an index of a smaller earlier run is copied and grown (the
recombined records and vectors of a smaller size are the first ones of a larger), as the product grows its
index from the change feed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from medbridge.corpus.models import AbstractSection, PubDate, Record  # noqa: E402
from medbridge.corpus.pubmed import iter_pubmed  # noqa: E402
from medbridge.corpus.sample import SAMPLE_PATH  # noqa: E402
from medbridge.search.dense import DIM, Embedder, VectorStore, load_bundled_vectors, passage_text  # noqa: E402
from medbridge.search.engine import CANDIDATES, fuse_scores  # noqa: E402
from medbridge.settings import load_settings  # noqa: E402
from medbridge.search.lexical import LexicalIndex, LexicalWriter  # noqa: E402
from medbridge.search.shards import LocalShards, ShardedLexical, shard_of  # noqa: E402
from medbridge.search.understand import Interpretation, interpret  # noqa: E402
from medbridge.terms import Terminology  # noqa: E402
from search_quality import TOPIC_QUERIES  # noqa: E402

TOP_K = 100
VECTOR_BLOCK = 50_000
VECTOR_NOISE = 0.3  # Gaussian noise added to a mix of real vectors, as a share of a unit vector's length


def sample_records() -> list[Record]:
    latest: dict[int, Record] = {}
    for item in iter_pubmed(SAMPLE_PATH):
        if isinstance(item, Record):
            latest[item.pmid] = item
    return list(latest.values())


def recombined(records: list[Record], size: int, seed: int = 7) -> Iterator[Record]:
    """``size`` records built from real ones."""
    rng = random.Random(seed)
    n = len(records)
    for i in range(size):
        a, b, c = records[rng.randrange(n)], records[rng.randrange(n)], records[rng.randrange(n)]
        half_b, half_c = b.abstract[: max(1, len(b.abstract) // 2)], c.abstract[len(c.abstract) // 2 :]
        abstract = [AbstractSection(text=s.text, markup=s.markup, label=s.label) for s in (*half_b, *half_c)]
        yield Record(pmid=100_000_000 + i, title=a.title, abstract=abstract, mesh=a.mesh, keywords=a.keywords,
                     article_types=b.article_types, pub_date=PubDate(year=b.year), journal=c.journal,
                     languages=a.languages, references=a.references)


def flat_text(record: Record) -> str:
    return " ".join([record.title, " ".join(s.text for s in record.abstract),
                     " ".join(m.descriptor for m in record.mesh), " ".join(k.text for k in record.keywords)])


def query_words(interpretation: Interpretation) -> list[str]:
    """The English words a single-field engine gets for the same question."""
    words = {w.lower() for c in interpretation.concepts for term in c.search_terms for w in term.split()}
    return sorted(w.strip("'\".,()") for w in words if w.strip("'\".,()"))


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))] * 1000


def timed(fn: Callable[[], object], repeats: int = 1) -> list[float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# -- engines -------------------------------------------------------------------------------------
def build_tantivy(folder: Path, docs: Iterator[Record], threads: int, terms: Terminology) -> LexicalIndex:
    index = LexicalIndex(folder, terms)
    writer = LexicalWriter(index, index.index.writer(heap_size=1_000_000_000, num_threads=threads))
    for record in docs:
        writer._writer.add_document(index.document(record))  # fresh index: no delete-before-add needed
    writer.commit()
    writer.close()
    return index


BUILT = "built.json"  # a finished build's figures, beside its index; an index without it is built again


def build_part(folder: Path, size: int, shard: int, shards: int, grown_from: int) -> dict:
    """One pool process's build: the records of ``shard`` of ``shards`` (1: all), after the first
    ``grown_from`` (already in the copied index)."""
    started = time.perf_counter()
    records = sample_records()
    source = records if size == len(records) else recombined(records, size)
    docs = (r for i, r in enumerate(source)
            if i >= grown_from and (shards == 1 or shard_of(r.pmid, shards) == shard))
    # A pool process has no terminology of main's; building it from the cache is cheap.
    index = build_tantivy(folder, docs, threads=1, terms=Terminology.from_files())
    figures = {"records": index.num_docs(), "added": index.num_docs() - grown_from,
               "seconds": time.perf_counter() - started}
    (folder / BUILT).write_text(json.dumps(figures))
    return figures


def lexical_folder(workdir: Path, size: int, shards: int) -> Path:
    return workdir / (f"tantivy-{size}" if shards == 1 else f"tantivy-{size}-{shards}-shards")


def build_lexical(workdir: Path, size: int, shard_counts: list[int]) -> list[str]:
    """The single index and each sharded one, by one process per core, the longest builds first. The single
    index starts from a copy of the largest smaller one in ``workdir``, if there is one."""
    jobs = []  # (estimated records to add, folder, shard, shards, grown_from)
    single = lexical_folder(workdir, size, 1)
    if not (single / BUILT).exists():
        smaller = sorted(n for f in workdir.glob("tantivy-*") if f.name.count("-") == 1
                         and (n := int(f.name.split("-")[1])) < size and (f / BUILT).exists())
        grown_from = 0
        shutil.rmtree(single, ignore_errors=True)
        if smaller:
            shutil.copytree(lexical_folder(workdir, smaller[-1], 1), single)
            (single / BUILT).unlink()
            grown_from = smaller[-1]
        jobs.append((size - grown_from, single, 0, 1, grown_from))
    for shards in shard_counts:
        for shard in range(shards):
            folder = lexical_folder(workdir, size, shards) / f"shard-{shard}"
            if not (folder / BUILT).exists():
                shutil.rmtree(folder, ignore_errors=True)
                jobs.append((size // shards, folder, shard, shards, 0))
    if jobs:
        jobs.sort(key=lambda job: -job[0])
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=os.cpu_count(), mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(build_part, folder, size, shard, shards, grown_from)
                       for _, folder, shard, shards, grown_from in jobs]
            for future in futures:
                future.result()
        wall = time.perf_counter() - started
    lines = []
    for shards in [1, *shard_counts]:
        folder = lexical_folder(workdir, size, shards)
        parts = [json.loads((f / BUILT).read_text()) for f in ([folder] if shards == 1 else
                                                                 [folder / f"shard-{i}" for i in range(shards)])]
        added, seconds = sum(p["added"] for p in parts), sum(p["seconds"] for p in parts)
        lines.append(f"tantivy build, {'single index' if shards == 1 else f'{shards} shards'}: "
                     f"{added:,} records added in {seconds:,.0f} process-s ({seconds / added * 1e6:,.0f} s per million "
                     f"per process), {folder_size(folder) / 1e6:,.0f} MB")
    if jobs:
        lines.append(f"lexical builds ran in {wall:,.0f} s wall, {os.cpu_count()} processes at once")
    return lines


def build_bm25s(folder: Path, texts: list[str]):
    import bm25s

    from medbridge.search.lexical import build_analyzer

    analyzer = build_analyzer()

    def stem(words: list[str]) -> list[str]:  # the same Snowball stems as tantivy; bm25s stems the vocabulary once
        return [(analyzer.analyze(word) or [word])[0] for word in words]

    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stemmer=stem, show_progress=False), show_progress=False)
    retriever.save(str(folder))
    return retriever, stem


def build_fts5(path: Path, docs: Iterator[Record]) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.execute("CREATE VIRTUAL TABLE docs USING fts5(title, abstract, mesh, keywords, tokenize='porter unicode61')")
    batch = []
    for record in docs:
        batch.append((record.pmid, record.title, " ".join(s.text for s in record.abstract),
                      " ".join(m.descriptor for m in record.mesh), " ".join(k.text for k in record.keywords)))
        if len(batch) == 10_000:
            conn.executemany("INSERT INTO docs(rowid, title, abstract, mesh, keywords) VALUES (?,?,?,?,?)", batch)
            batch.clear()
    conn.executemany("INSERT INTO docs(rowid, title, abstract, mesh, keywords) VALUES (?,?,?,?,?)", batch)
    conn.commit()
    conn.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    conn.commit()
    return conn


def run_size(label: str, size: int, records: list[Record], queries: list[Interpretation], engines: set[str],
             workdir: Path, vectors_bundle: dict, embedder: Embedder, ann_min_vectors: int,
             shard_counts: list[int], terms: Terminology) -> list[str]:
    yield f"\n== {label}: {size:,} records =="
    make_docs = (lambda: recombined(records, size)) if size != len(records) else (lambda: iter(records))
    if "tantivy" in engines:
        yield from build_lexical(workdir, size, shard_counts)
        index = LexicalIndex(lexical_folder(workdir, size, 1), terms)
        compiled = [index.compile(q.tree, q.filters, natural=q.mode == "natural") for q in queries]
        for query in compiled[:5]:
            index.search(query, TOP_K)  # warm the searcher and the OS cache
        searcher = index.searcher()
        samples = [t for query in compiled for t in timed(lambda: searcher.search(query, limit=TOP_K, count=True))]
        p50, p95 = percentiles(samples)
        yield f"tantivy  lexical   p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  (search only)"
        lexicals: list[tuple[str, LexicalIndex | ShardedLexical]] = [("single index", index)]
        lexicals += [(f"{shards} shards", ShardedLexical(LocalShards(lexical_folder(workdir, size, shards), terms, shards), terms))
                     for shards in shard_counts]
        single_top = [[hit.pmid for hit in index.search(query, TOP_K).hits] for query in compiled]
        for name, lexical in lexicals:
            assert lexical.num_docs() == size, f"{name}: {lexical.num_docs():,} records, not {size:,}"

            def compiled_and_searched(q: Interpretation, lexical=lexical) -> list[int]:
                query = lexical.compile(q.tree, q.filters, natural=q.mode == "natural")
                return [hit.pmid for hit in lexical.search(query, TOP_K).hits]

            for q in queries[:5]:
                compiled_and_searched(q)
            samples = [t for q in queries for t in timed(lambda: compiled_and_searched(q))]
            p50, p95 = percentiles(samples)
            tops = [compiled_and_searched(q) for q in queries]
            overlap = np.mean([len(set(a) & set(b)) / max(1, len(a)) for a, b in zip(tops, single_top)])
            overlap10 = np.mean([len(set(a[:10]) & set(b[:10])) / max(1, len(a[:10])) for a, b in zip(tops, single_top)])
            same_order = np.mean([a[:10] == b[:10] for a, b in zip(tops, single_top)])
            yield (f"lexical, {name} (compile + search) p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
                         f"overlap with the single index: top {TOP_K} {overlap:.3f}, top 10 {overlap10:.3f} "
                         f"(same order in {same_order:.0%} of queries)")
        yield from dense_and_hybrid(lexicals, size, records, queries, workdir, vectors_bundle, embedder, ann_min_vectors)
    if "bm25s" in engines:
        started = time.perf_counter()
        retriever, stem = build_bm25s(workdir / f"bm25s-{size}", [flat_text(r) for r in make_docs()])
        build_s = time.perf_counter() - started
        import bm25s

        tokenized = [bm25s.tokenize(" ".join(query_words(q)), stemmer=stem, show_progress=False) for q in queries]
        samples = [t for tokens in tokenized for t in timed(lambda: retriever.retrieve(tokens, k=TOP_K, show_progress=False, n_threads=1))]
        p50, p95 = percentiles(samples)
        yield (f"bm25s    lexical   p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  build {build_s:7.1f} s  "
                     f"size {folder_size(workdir / f'bm25s-{size}') / 1e6:8.1f} MB")
    if "fts5" in engines:
        path = workdir / f"fts5-{size}.db"
        started = time.perf_counter()
        conn = build_fts5(path, make_docs())
        build_s = time.perf_counter() - started
        statements = [" OR ".join(f'"{w}"' for w in query_words(q)) for q in queries]
        sql = "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 3.0, 1.0, 2.0, 1.5) LIMIT ?"
        samples = [t for match in statements for t in timed(lambda: conn.execute(sql, (match, TOP_K)).fetchall())]
        p50, p95 = percentiles(samples)
        yield (f"fts5     lexical   p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  build {build_s:7.1f} s  "
                     f"size {path.stat().st_size / 1e6:8.1f} MB")


def synthetic_vectors(base: np.ndarray, size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Unit vectors made from real e5 vectors, in blocks: one real vector plus half another plus a little
    Gaussian noise (each of 3,690² mixes is a distinct point near the real cone), renormalised."""
    for start in range(0, size, VECTOR_BLOCK):
        n = min(VECTOR_BLOCK, size - start)
        mixed = base[rng.integers(0, len(base), n)] + 0.5 * base[rng.integers(0, len(base), n)]
        mixed += rng.normal(scale=VECTOR_NOISE / np.sqrt(DIM), size=mixed.shape).astype(np.float32)
        mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
        yield mixed.astype(np.float16)


def dense_and_hybrid(lexicals: list[tuple[str, "LexicalIndex | ShardedLexical"]], size: int, records: list[Record],
                     queries: list[Interpretation], workdir: Path, bundle: dict, embedder: Embedder,
                     ann_min_vectors: int) -> Iterator[str]:
    pmid_vectors = [bundle[r.pmid][1] for r in records if r.pmid in bundle]
    rng = np.random.default_rng(7)
    # A scan costs the same whatever the values: without the bundle, random unit vectors time it as well.
    base = np.stack(pmid_vectors).astype(np.float32) if pmid_vectors else rng.normal(size=(len(records), DIM)).astype(np.float32)
    folder = workdir / f"dense-{size}"
    smaller = sorted(n for f in workdir.glob("dense-*") if len(records) < (n := int(f.name.split("-")[1])) < size)
    if size != len(records) and smaller and not folder.exists():  # grown from a smaller run's vectors and graph
        shutil.copytree(workdir / f"dense-{smaller[-1]}", folder)
    written = VectorStore(folder)
    started = time.perf_counter()
    if len(written) < size:
        if size == len(records):  # the sample: its own real vectors
            with_vectors = [r.pmid for r in records if r.pmid in bundle]
            written.add(with_vectors, [0] * len(with_vectors), np.stack([bundle[p][1] for p in with_vectors]))
        else:
            first = 100_000_000
            for block in synthetic_vectors(base, size, rng):  # the same blocks as a smaller run's, then more
                if first - 100_000_000 >= len(written):
                    written.add(list(range(first, first + len(block))), [0] * len(block), block)
                first += len(block)
    write_s = time.perf_counter() - started
    exact = VectorStore(folder)  # no threshold: the full scan the graph is measured against
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    approximate = VectorStore(folder, ann_min_vectors=ann_min_vectors)  # opens a saved graph and catches it up
    approximate.update_graph()  # builds the graph, or catches up the one a previous run saved (--workdir)
    graph_s = time.perf_counter() - started
    use_graph = approximate.graph.active and len(approximate) >= ann_min_vectors

    query_vectors = [embedder.embed_query(q.dense_text) for q in queries]
    embed_samples = [t for q in queries[:20] for t in timed(lambda: embedder.embed_query(q.dense_text))]
    exact.search(query_vectors[0], CANDIDATES)  # page the memmap in
    exact_samples, truths = [], []
    for v in query_vectors:
        started = time.perf_counter()
        truths.append(exact.search(v, CANDIDATES))
        exact_samples.append(time.perf_counter() - started)
    yield from [f"e5 query embedding p50 {percentiles(embed_samples)[0]:7.1f} ms  p95 {percentiles(embed_samples)[1]:7.1f} ms",
             f"dense exact scan (top {CANDIDATES}) p50 {percentiles(exact_samples)[0]:7.1f} ms  p95 {percentiles(exact_samples)[1]:7.1f} ms  "
             f"vectors {size * DIM * 2 / 1e6:.0f} MB float16 (written in {write_s:.1f} s)"]
    dense = exact
    if use_graph:
        approximate.search(query_vectors[0], CANDIDATES)
        ann_samples, recall100, recall1000 = [], [], []
        for v, truth in zip(query_vectors, truths):
            started = time.perf_counter()
            found = approximate.search(v, CANDIDATES)
            ann_samples.append(time.perf_counter() - started)
            top = {h.pmid for h in truth[:TOP_K]}
            recall100.append(len(top & {h.pmid for h in found[:TOP_K]}) / len(top))
            recall1000.append(len({h.pmid for h in truth} & {h.pmid for h in found}) / len(truth))
        graph_mb = (folder / "ann.usearch").stat().st_size / 1e6
        rss_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1e3
        a50, a95 = percentiles(ann_samples)
        yield from [f"dense ANN (usearch HNSW int8 + exact rescoring, top {CANDIDATES}) p50 {a50:7.1f} ms  p95 {a95:7.1f} ms  "
                  f"recall@100 {np.mean(recall100):.3f}  recall@{CANDIDATES} {np.mean(recall1000):.3f}",
                  f"graph: built/caught up in {graph_s:.1f} s, file {graph_mb:.0f} MB, peak RSS grew {rss_mb:.0f} MB"]
        dense = approximate
    else:
        yield f"dense ANN: not used below search.ann_min_vectors = {ann_min_vectors:,} (exact scan)"

    search_settings = load_settings().search
    for name, lexical in lexicals:
        compiled = [lexical.compile(q.tree, q.filters, natural=q.mode == "natural") for q in queries]

        def hybrid(query, vector, lexical=lexical) -> None:
            found = lexical.search(query, CANDIDATES)
            neighbours = dense.search(vector, CANDIDATES)
            fuse_scores([(h.pmid, h.score) for h in found.hits], [(h.pmid, h.score) for h in neighbours],
                        search_settings.dense_weight, search_settings.dense_min_similarity)

        hybrid_samples = [t for query, v in zip(compiled, query_vectors) for t in timed(lambda: hybrid(query, v))]
        h50, h95 = percentiles(hybrid_samples)
        yield (f"hybrid, {name} (lexical {CANDIDATES} + dense {CANDIDATES} {'ANN' if use_graph else 'exact'} + "
                     f"score fusion, query vector given) p50 {h50:7.1f} ms  p95 {h95:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--engines", default="tantivy,bm25s,fts5")
    parser.add_argument("--skip-sample", action="store_true")
    parser.add_argument("--ann-min-vectors", type=int, default=load_settings().search.ann_min_vectors,
                        help="Vectors from which the approximate index is used (the product's setting by default).")
    parser.add_argument("--workdir", type=Path, help="Keep the built indexes here and reuse them on the next run.")
    parser.add_argument("--shards", default="", help="Shard counts to build and time beside the single index, e.g. 2,4.")
    args = parser.parse_args()
    engines = set(args.engines.split(","))
    records = sample_records()
    terms = Terminology.from_files()
    queries = [interpret(text, terms=terms) for _, en, zh in TOPIC_QUERIES for text in (en, zh)]
    bundle = load_bundled_vectors()
    embedder = Embedder(num_threads=1)
    passages = [passage_text(r) for r in records[:24]]
    embedder.embed_passages(passages[:2])
    started = time.perf_counter()
    embedder.embed_passages(passages)
    throughput = len(passages) / (time.perf_counter() - started)
    interpret_samples = [t for _, en, zh in TOPIC_QUERIES for t in timed(lambda: interpret(zh, terms=terms))]
    i50, i95 = percentiles(interpret_samples)
    lines = [
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start",
        f"queries: {len(queries)} (English + Chinese), top {TOP_K}",
        f"embedding throughput: {throughput:.2f} passages/s (1 thread, passages of <= 1,200 characters)",
        f"query understanding (Chinese): p50 {i50:.1f} ms  p95 {i95:.1f} ms",
    ]
    print("\n".join(lines), flush=True)
    with tempfile.TemporaryDirectory(prefix="medbridge-speed-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        sizes = ([] if args.skip_sample else [("sample", len(records))]) + [("recombined", args.size)]
        for label, size in sizes:
            for line in run_size(label, size, records, queries, engines, workdir, bundle, embedder, args.ann_min_vectors,
                                 [int(n) for n in args.shards.split(",") if n], terms):
                print(line, flush=True)  # as measured: a long run's first figures are not lost with its last
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
