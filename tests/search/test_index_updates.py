"""The index follows the store's change feed: incremental, resumable, deletions honoured, vectors kept."""

import json
from itertools import islice

import numpy as np

from medbridge.corpus.models import Record
from medbridge.corpus.pubmed import iter_pubmed
from medbridge.corpus.sample import SAMPLE_PATH
from medbridge.search import indexer
from medbridge.search.dense import VectorStore
from medbridge.search.engine import SearchEngine
from medbridge.search.indexer import SearchIndex
from medbridge.settings import load_settings
from medbridge.store import open_store


def _put(store, records, name="update.xml"):
    with store.ingesting_file(name, name) as writer:
        for record in records:
            writer.put(record)


def test_incremental_updates_and_deletes(terminology, settings, store):
    index = SearchIndex(settings, store, terminology)
    _put(store, [Record(pmid=1, title="Ketamine for treatment-resistant depression"),
                 Record(pmid=2, title="Metformin and cognition in older adults")])
    report = index.update()
    assert report.indexed == 2 and index.applied_seq == store.last_change() and index.behind() == 0
    engine = SearchEngine(index)
    assert [h.pmid for h in engine.search("ketamine").hits] == [1]

    _put(store, [Record(pmid=1, version=2, title="Esketamine nasal spray in depression")], "update2.xml")
    with store.ingesting_file("delete.xml", "delete.xml") as writer:
        writer.delete(2)
    report = index.update()
    assert (report.indexed, report.deleted, report.applied_changes) == (1, 1, 2)
    assert engine.search("metformin").hits == []
    assert [h.pmid for h in engine.search("esketamine").hits] == [1]
    assert engine.search("ketamine[ti] NOT esketamine[ti]").hits == []


def test_resumes_from_the_saved_sequence(terminology, settings, store):
    _put(store, [Record(pmid=p, title=f"amyloid study {p}") for p in range(1, 6)])
    SearchIndex(settings, store, terminology).update()
    _put(store, [Record(pmid=p, title=f"tau study {p}") for p in range(6, 9)], "second.xml")
    reopened = SearchIndex(settings, open_store(settings), terminology)  # a new process
    assert reopened.behind() == 3
    report = reopened.update()
    assert report.applied_changes == 3 and reopened.lexical.num_docs() == 8


def test_an_index_of_an_older_schema_is_rebuilt_from_the_feed(terminology, settings, store):
    _put(store, [Record(pmid=p, title=f"amyloid plaque study {p}") for p in range(1, 4)])
    SearchIndex(settings, store, terminology).update()
    meta = settings.index_dir / "lexical" / "schema.json"
    meta.write_text(json.dumps({"version": 1}))  # as written by an earlier medbridge

    reopened = SearchIndex(settings, open_store(settings), terminology)
    assert reopened.applied_seq == 0 and reopened.behind() == 3
    reopened.update()
    assert reopened.lexical.num_docs() == 3
    assert [h.pmid for h in SearchEngine(reopened).search('"amyloid plaque"[ti]').hits] != []


def test_phrases_match_adjacent_words_only(terminology, settings, store):
    _put(store, [Record(pmid=1, title="Amyloid plaques in the cortex"), Record(pmid=2, title="Plaques without amyloid"),
                 Record(pmid=3, title="Senile dementia of the Alzheimer type")])
    index = SearchIndex(settings, store, terminology)
    index.update()
    engine = SearchEngine(index)
    assert [h.pmid for h in engine.search('"amyloid plaque"[ti]').hits] == [1]  # stems match, order matters
    assert [h.pmid for h in engine.search('"dementia of the alzheimer type"[ti]').hits] == [3]
    assert engine.search('"dementia alzheimer"[ti]').hits == []


def test_rebuild_reapplies_the_whole_feed(terminology, settings, store):
    _put(store, [Record(pmid=p, title=f"amyloid study {p}") for p in range(1, 4)])
    index = SearchIndex(settings, store, terminology)
    index.update()
    report = index.rebuild()
    assert report.indexed == 3 and index.lexical.num_docs() == 3


def test_records_without_bundled_vectors_wait_for_embedding(terminology, settings, store):
    _put(store, [Record(pmid=7, title="A record the sample bundle does not know")])
    index = SearchIndex(settings, store, terminology)
    report = index.update()
    assert settings.search.dense  # the default
    assert report.pending_embeddings == 1 and index.pending() == [7]


def _sample_and_new_records() -> list[Record]:
    """Five real records of the bundled sample (their vectors ship precomputed) and one the bundle lacks."""
    sample = list(islice((item for item in iter_pubmed(SAMPLE_PATH) if isinstance(item, Record)), 5))
    return [*sample, Record(pmid=7, title="A record the sample bundle does not know")]


def test_switching_dense_on_takes_bundled_vectors_on_the_next_update(terminology, settings, store):
    _put(store, _sample_and_new_records())
    lexical_only = load_settings(home=settings.home, search={"dense": False})
    SearchIndex(lexical_only, store, terminology).update()
    assert len(SearchIndex(lexical_only, store, terminology).vectors) == 0

    index = SearchIndex(settings, store, terminology)
    assert index.behind() == 6  # the vectors have not followed the feed yet
    report = index.update()
    assert (report.indexed, report.vectors_from_bundle, report.pending_embeddings) == (0, 5, 1)
    assert len(index.vectors) == 5 and index.pending() == [7] and index.behind() == 0


def _built_without_the_bundle(terminology, settings, store, monkeypatch) -> SearchIndex:
    """An index as a release without the shipped vectors left it: every record waiting for embedding."""
    _put(store, _sample_and_new_records())
    with monkeypatch.context() as patch:
        patch.setattr(indexer, "load_bundled_vectors", dict)
        index = SearchIndex(settings, store, terminology)
        assert index.update().pending_embeddings == 6 and len(index.vectors) == 0
    return index


def test_rebuild_takes_bundled_vectors_for_records_queued_without_them(terminology, settings, store, monkeypatch):
    _built_without_the_bundle(terminology, settings, store, monkeypatch)
    index = SearchIndex(settings, store, terminology)
    report = index.rebuild()
    assert (report.indexed, report.vectors_from_bundle, report.pending_embeddings) == (6, 5, 1)
    assert len(index.vectors) == 5 and index.pending() == [7]


def test_update_of_an_index_older_than_the_vector_cursor_takes_bundled_vectors(terminology, settings, store, monkeypatch):
    old = _built_without_the_bundle(terminology, settings, store, monkeypatch)
    (old.folder / "state.json").write_text(json.dumps({"applied_seq": old.applied_seq}))  # the old state file
    index = SearchIndex(settings, store, terminology)
    report = index.update()
    assert (report.indexed, report.vectors_from_bundle, report.pending_embeddings) == (0, 5, 1)
    assert len(index.vectors) == 5 and index.pending() == [7]


def test_vector_store_appends_replaces_and_survives_reopen(tmp_path):
    vectors = VectorStore(tmp_path / "dense")
    rng = np.random.default_rng(0)
    block = rng.normal(size=(3, 384)).astype(np.float32)
    block /= np.linalg.norm(block, axis=1, keepdims=True)
    vectors.add([10, 11, 12], [1, 2, 3], block)
    assert [h.pmid for h in vectors.search(block[1], 1)] == [11]
    vectors.add([11], [9], block[2:3])           # record 11 changed: new row, old one dead
    vectors.remove([12])
    reopened = VectorStore(tmp_path / "dense")
    assert len(reopened) == 2 and reopened.has(11, 9) and not reopened.has(11, 2)
    assert [h.pmid for h in reopened.search(block[2], 2)][0] == 11
    reopened.compact()
    assert reopened.dead_fraction() == 0.0 and len(VectorStore(tmp_path / "dense")) == 2
    # bytes of a batch whose sidecar never landed are cut off on open
    with open(tmp_path / "dense" / "vectors.f16", "ab") as handle:
        handle.write(b"\0" * 100)
    assert len(VectorStore(tmp_path / "dense")) == 2
    assert (tmp_path / "dense" / "vectors.f16").stat().st_size == 2 * 384 * 2
