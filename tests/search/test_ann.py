"""The approximate vector index: real e5 vectors of the sample, recall against the exact scan, exact scores,
deletes and replacements honoured in this process and the next, compaction, the size threshold."""

import numpy as np
import pytest

from medbridge.search.dense import VectorStore, load_bundled_vectors
from medbridge.search.engine import SearchEngine
from medbridge.search.indexer import SearchIndex
from medbridge.settings import load_settings

TOP = 100


@pytest.fixture(scope="module")
def sample_vectors() -> tuple[list[int], np.ndarray]:
    bundle = load_bundled_vectors()
    pmids = sorted(bundle)
    return pmids, np.stack([bundle[p][1] for p in pmids])


def _filled(folder, pmids, vectors, threshold) -> VectorStore:
    store = VectorStore(folder, ann_min_vectors=threshold)
    store.add(pmids, list(range(len(pmids))), vectors)
    store.update_graph()
    return store


def _exact(folder, pmids, vectors) -> VectorStore:
    exact = VectorStore(folder)  # no threshold: always a full scan
    exact.add(pmids, list(range(len(pmids))), vectors)
    return exact


def test_graph_recall_against_the_exact_scan_on_real_vectors(tmp_path, sample_vectors):
    pmids, vectors = sample_vectors
    approximate = _filled(tmp_path / "ann", pmids, vectors, threshold=1_000)
    exact = _exact(tmp_path / "exact", pmids, vectors)
    assert (tmp_path / "ann" / "ann.usearch").exists() and approximate.graph.active
    rng = np.random.default_rng(3)
    recalls = []
    for row in rng.choice(len(pmids), 40, replace=False):
        query = vectors[row].astype(np.float32)
        truth = exact.search(query, TOP)
        found = approximate.search(query, TOP)
        recalls.append(len({h.pmid for h in truth} & {h.pmid for h in found}) / TOP)
        scores = {h.pmid: h.score for h in truth}
        for hit in found:  # rescored from the float16 rows: the exact cosine, not the int8 estimate
            if hit.pmid in scores:
                assert hit.score == pytest.approx(scores[hit.pmid], abs=1e-5)
        assert [h.score for h in found] == sorted((h.score for h in found), reverse=True)
    assert np.mean(recalls) >= 0.95


def test_deletes_and_replacements_are_honoured_now_and_after_reopening(tmp_path, sample_vectors):
    pmids, vectors = sample_vectors
    folder = tmp_path / "dense"
    store = _filled(folder, pmids, vectors, threshold=1_000)
    query = vectors[0].astype(np.float32)
    before = [h.pmid for h in store.search(query, 10)]
    assert before[0] == pmids[0]

    store.remove(before[:3])                             # deleted records
    replaced = before[3]
    store.add([replaced], [99], -vectors[3:4])           # a record whose text changed: now points away
    store.update_graph()
    after = [h.pmid for h in store.search(query, 10)]
    assert not set(before[:4]) & set(after)
    assert len(set(before[4:]) & set(after)) >= 5  # approximate: the graph may miss one

    reopened = VectorStore(folder, ann_min_vectors=1_000)  # another process: saved graph + catch-up
    assert reopened.graph.active
    again = [h.pmid for h in reopened.search(query, 10)]
    assert not set(before[:4]) & set(again) and len(set(again) & set(after)) >= 9
    assert reopened.search(-query, 1)[0].pmid == replaced


def test_compaction_keeps_the_graph(tmp_path, sample_vectors):
    pmids, vectors = sample_vectors
    folder = tmp_path / "dense"
    store = _filled(folder, pmids, vectors, threshold=1_000)
    store.remove(pmids[::2])
    store.compact()
    kept = set(pmids[1::2])
    exact = _exact(tmp_path / "exact", pmids[1::2], vectors[1::2])
    reopened = VectorStore(folder, ann_min_vectors=1_000)
    assert reopened.graph.active and len(reopened.graph) == len(kept)
    for row in range(1, 200, 20):
        query = vectors[row].astype(np.float32)
        expected = {h.pmid for h in exact.search(query, 20)}
        for searched in (store, reopened):
            found = [h.pmid for h in searched.search(query, 20)]
            assert set(found) <= kept  # nothing removed comes back after the rows were renumbered
            assert len(set(found) & expected) >= 18  # approximate: the graph may miss one or two


def test_below_the_threshold_the_scan_stays_exact_and_the_graph_goes(tmp_path, sample_vectors):
    pmids, vectors = sample_vectors
    folder = tmp_path / "dense"
    store = _filled(folder, pmids[:500], vectors[:500], threshold=1_000)
    assert not (folder / "ann.usearch").exists() and not store.graph.active
    store.add(pmids[500:1500], list(range(1000)), vectors[500:1500])
    store.update_graph()
    assert (folder / "ann.usearch").exists()
    store.remove(pmids[:800])
    store.update_graph()
    assert not (folder / "ann.usearch").exists() and not store.graph.active


def test_the_engine_searches_through_the_graph_from_the_change_feed(terminology, sample_copy_settings, sample_settings):
    """The sample indexed with a threshold below its size: the graph is built by the indexer, and the
    natural-language results match those of the exact scan (to within a missed neighbour or two)."""
    from medbridge.store import open_store

    settings = load_settings(home=sample_copy_settings.home, llm={"backend": "none"}, search={"ann_min_vectors": 1_000})
    index = SearchIndex(settings, open_store(settings), terminology)
    index.update()
    assert index.vectors.graph.active and (settings.index_dir / "dense" / "ann.usearch").exists()
    exact = SearchIndex(sample_settings, open_store(sample_settings), terminology)
    exact.update()
    assert not exact.vectors.graph.active
    for question in ("microglia activation in neurodegeneration", "小胶质细胞激活与神经退行性变"):
        with_graph = [h.pmid for h in SearchEngine(index).search(question).hits]
        with_scan = [h.pmid for h in SearchEngine(exact).search(question).hits]
        assert with_graph and len(set(with_graph) & set(with_scan)) >= 0.9 * len(with_scan)
