"""Rebuild the precomputed vectors shipped for the bundled sample (a maintainer's step, not run by users):

    python -m medbridge.search.bundle [--workers 2]

Embedding the 3,690 sample abstracts takes many minutes on a laptop; shipping float16 vectors keyed by
pmid + text hash makes a first run fast, and a record whose text differs is simply re-embedded.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from rich.progress import Progress

from medbridge.corpus.models import Record
from medbridge.corpus.pubmed import iter_pubmed
from medbridge.corpus.sample import SAMPLE_PATH
from medbridge.search.dense import BUNDLED_VECTORS, embed_in_worker, passage_text, save_bundled_vectors, text_hash


def sample_records() -> dict[int, Record]:
    """Latest version of each sample record, by pmid (duplicates across files collapse)."""
    latest: dict[int, Record] = {}
    for item in iter_pubmed(SAMPLE_PATH):
        if isinstance(item, Record):
            if item.pmid not in latest or latest[item.pmid].version <= item.version:
                latest[item.pmid] = item
        else:
            latest.pop(item.pmid, None)
    return dict(sorted(latest.items()))


def sample_passages() -> dict[int, str]:
    """Latest version of each sample record → its passage text."""
    return {pmid: passage_text(record) for pmid, record in sample_records().items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=16)
    args = parser.parse_args()
    passages = sample_passages()
    pmids = list(passages)
    texts = [passages[p] for p in pmids]
    chunks = [texts[i : i + args.chunk] for i in range(0, len(texts), args.chunk)]
    vectors: list[np.ndarray] = []
    with Progress() as progress, ProcessPoolExecutor(args.workers) as pool:
        task = progress.add_task("embedding sample", total=len(texts))
        for block in pool.map(embed_in_worker, chunks):
            vectors.append(block)
            progress.advance(task, len(block))
    save_bundled_vectors(
        BUNDLED_VECTORS,
        np.asarray(pmids, np.int64),
        np.asarray([text_hash(t) for t in texts], np.uint64),
        np.concatenate(vectors),
    )
    print(f"wrote {len(pmids)} vectors to {BUNDLED_VECTORS}")


if __name__ == "__main__":
    main()
