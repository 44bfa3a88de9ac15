"""Search work on a real local Ray cluster (tests/raycluster.py: a head and a second node on loopback):
`medbridge index --ray` fills shards held by Ray actors on both nodes, a search process finds the same
actors and ranks as the single index does, a shard lost with its node is filled again from the change
feed, and batch embedding spread over the nodes loses nothing when a node dies mid-batch."""

import dataclasses
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest
import ray
from test_shards import QUERIES, assert_same_ranking

from medbridge.cluster import RayEmbedder
from medbridge.search.dense import Embedder, passage_text
from medbridge.search.engine import SearchOptions
from medbridge.search.shards import ShardedLexical
from medbridge.services import Services
from medbridge.settings import load_settings

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster_home(sample_settings, tmp_path):
    """A copy of the sample home without its index."""
    home = tmp_path / "home"
    shutil.copytree(sample_settings.home, home, ignore=shutil.ignore_patterns(sample_settings.index_dir.name))
    return home


def assert_ranks_as_the_single_index(single, sharded) -> None:
    for question in QUERIES[:4]:
        for retrieval in ("lexical", "hybrid"):
            assert_same_ranking(single.search(question, SearchOptions(limit=30, retrieval=retrieval)),
                                sharded.search(question, SearchOptions(limit=30, retrieval=retrieval)))


def test_shards_held_by_ray_actors_rank_as_the_single_index(ray_cluster, cluster_home, sample_engine):
    env = {**os.environ, "MEDBRIDGE_HOME": str(cluster_home), "MEDBRIDGE_LLM__BACKEND": "none", "MEDBRIDGE_SEARCH__SHARDS": "2"}
    built = subprocess.run([sys.executable, "-m", "medbridge", "index", "--ray", ray_cluster.address],
                           env=env, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    assert "3,690 records searchable" in built.stderr

    # Another process (a search server) on the same cluster finds the shards the index command filled.
    settings = load_settings(home=cluster_home, llm={"backend": "none"}, search={"shards": 2}, ray={"address": ray_cluster.address})
    sharded = Services(settings).search_engine
    lexical = sharded.index.lexical
    assert isinstance(lexical, ShardedLexical) and lexical.num_docs() == 3690 and not lexical.created_empty
    holders = ray.get([actor.node_id.remote() for actor in lexical.shards.actors])
    assert set(holders) == ray_cluster.node_ids()  # one shard on each node
    assert_ranks_as_the_single_index(sample_engine, sharded)

    # The node holding a shard dies: its actor restarts on the head with an empty folder, and the next
    # update fills the shards again from the change feed.
    lost = ray_cluster.lose_worker()
    try:
        assert lost in holders and lexical.lost()
        report = sharded.index.update()
        assert report.indexed == 3690 and lexical.num_docs() == 3690 and not lexical.lost()
        assert_ranks_as_the_single_index(sample_engine, sharded)
    finally:
        ray_cluster.replace_worker()


def test_batch_embedding_over_the_cluster_loses_nothing_when_a_node_dies(ray_cluster, settings, store, sample_store):
    # Real sample records under new pmids: the bundled vectors (keyed by pmid) do not apply, so all are embedded.
    originals = list(sample_store.get_records(sample_store.all_pmids()[:48]).values())
    records = [dataclasses.replace(record, pmid=record.pmid + 900_000_000) for record in originals]
    with store.ingesting_file("cluster.xml", "cluster") as writer:
        for record in records:
            writer.put(record)
    on_cluster = load_settings(home=settings.home, llm={"backend": "none"}, ray={"address": ray_cluster.address})
    services = Services(on_cluster, store=store)
    index = services.search_engine.index
    assert isinstance(index.batch_embedder, RayEmbedder)
    assert index.update().pending_embeddings == 48

    class LosingANodeMidBatch(RayEmbedder):
        lost, in_flight_when_lost = False, 0

        def embed_passages(self, texts):
            running = self.submit(texts)
            if not self.lost:  # the first batch: its chunks are being embedded on both nodes
                time.sleep(2)
                ready, _ = ray.wait(running, num_returns=len(running), timeout=0)
                self.in_flight_when_lost = len(running) - len(ready)
                ray_cluster.lose_worker()
                self.lost = True
            return np.concatenate(ray.get(running))

    index.batch_embedder = embedder = LosingANodeMidBatch(ray_cluster.address)
    try:
        embedded = index.embed_pending()
    finally:
        ray_cluster.replace_worker()
    assert embedder.lost and embedder.in_flight_when_lost > 0
    assert embedded == 48 and index.pending() == [] and len(index.vectors) == 48
    local = Embedder().embed_passages([passage_text(record) for record in records[::12]])
    for record, expected in zip(records[::12], local):
        np.testing.assert_allclose(index.vectors.vector(record.pmid), expected.astype(np.float32), atol=2e-3)
