"""Which approximate nearest-neighbour library: faiss (IVF-SQ8, IVF-PQ, HNSW-SQ8), usearch (HNSW int8 and
float16) and hnswlib (HNSW float32) on the same e5-like vectors, each proposing 1,000 candidates that are
rescored exactly from float16 rows (as medbridge does); recall@100 against the exact scan, latency, build
time (wall and CPU seconds: the machine is shared) and memory.

    .venv/bin/python benchmarks/ann_choice.py [--size 100000] [--only usearch-i8,faiss-ivf-sq8,...]

Vectors are synthetic, made from the real bundled e5 vectors as in search_speed.py (``synthetic_vectors``);
queries are 200 further such mixes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from medbridge.search.dense import DIM, load_bundled_vectors  # noqa: E402
from search_speed import synthetic_vectors  # noqa: E402

TOP_K = 100
CANDIDATES = 1_000


def build_faiss_ivf(vectors: np.ndarray, code: str):
    import faiss

    lists = 1024
    quantizer = faiss.IndexFlatIP(DIM)
    if code == "sq8":
        index = faiss.IndexIVFScalarQuantizer(quantizer, DIM, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    else:
        index = faiss.IndexIVFPQ(quantizer, DIM, lists, 48, 8, faiss.METRIC_INNER_PRODUCT)
    index.train(vectors[:: max(1, len(vectors) // (50 * lists))])
    index.add(vectors)
    index.nprobe = 128

    def search(q: np.ndarray) -> np.ndarray:
        return index.search(q[None], CANDIDATES)[1][0]

    return search, f"faiss IVF{lists},{code.upper()} nprobe=128"


def build_faiss_hnsw(vectors: np.ndarray):
    import faiss

    index = faiss.IndexHNSWSQ(DIM, faiss.ScalarQuantizer.QT_8bit, 16, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 64
    index.train(vectors[:50_000])
    index.add(vectors)
    index.hnsw.efSearch = CANDIDATES
    return (lambda q: index.search(q[None], CANDIDATES)[1][0]), "faiss HNSW16,SQ8 ef=1000"


def build_usearch(vectors: np.ndarray, dtype: str):
    from usearch.index import Index

    index = Index(ndim=DIM, metric="cos", dtype=dtype, connectivity=16, expansion_add=64)
    index.add(np.arange(len(vectors)), vectors, threads=2)
    index.expansion_search = CANDIDATES
    return (lambda q: np.asarray(index.search(q, CANDIDATES).keys, np.int64)), f"usearch HNSW16 {dtype} ef=1000"


def build_hnswlib(vectors: np.ndarray):
    import hnswlib

    index = hnswlib.Index(space="ip", dim=DIM)
    index.init_index(max_elements=len(vectors), ef_construction=64, M=16)
    index.add_items(vectors, np.arange(len(vectors)), num_threads=2)
    index.set_ef(CANDIDATES)
    return (lambda q: index.knn_query(q[None], k=CANDIDATES, num_threads=1)[0][0].astype(np.int64)), "hnswlib M16 ef=1000"


BUILDERS: dict[str, Callable] = {
    "faiss-ivf-sq8": lambda v: build_faiss_ivf(v, "sq8"),
    "faiss-ivf-pq48": lambda v: build_faiss_ivf(v, "pq48"),
    "faiss-hnsw-sq8": build_faiss_hnsw,
    "usearch-i8": lambda v: build_usearch(v, "i8"),
    "usearch-f16": lambda v: build_usearch(v, "f16"),
    "hnswlib": build_hnswlib,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--only", default=",".join(BUILDERS))
    args = parser.parse_args()
    bundle = load_bundled_vectors()
    base = np.stack([vector for _, vector in bundle.values()]).astype(np.float32)
    rng = np.random.default_rng(7)
    stored = np.concatenate(list(synthetic_vectors(base, args.size, rng)))
    vectors = stored.astype(np.float32)
    queries = np.concatenate(list(synthetic_vectors(base, 200, rng))).astype(np.float32)
    truths = [set(np.argpartition(-(vectors @ q), TOP_K)[:TOP_K].tolist()) for q in queries]
    print(f"{args.size:,} vectors, 200 queries, {CANDIDATES} candidates rescored exactly, recall@{TOP_K} vs exact")
    for name in args.only.split(","):
        wall, cpu = time.perf_counter(), time.process_time()
        search, label = BUILDERS[name](vectors)
        build_wall, build_cpu = time.perf_counter() - wall, time.process_time() - cpu
        latencies, recalls = [], []
        for q, truth in zip(queries, truths):
            started = time.perf_counter()
            found = np.sort(search(q))
            found = found[found >= 0]
            scores = stored[found].astype(np.float32) @ q
            top = found[np.argsort(-scores)[:TOP_K]]
            latencies.append(time.perf_counter() - started)
            recalls.append(len(truth & set(top.tolist())) / TOP_K)
        latencies.sort()
        print(f"{label:34s} recall@100 {np.mean(recalls):.3f}  p50 {latencies[len(latencies) // 2] * 1000:7.1f} ms  "
              f"p95 {latencies[int(0.95 * len(latencies))] * 1000:7.1f} ms  build {build_wall:6.1f} s wall / {build_cpu:6.1f} s CPU",
              flush=True)


if __name__ == "__main__":
    main()
