"""Sharded lexical search on the real sample: built by one process per shard, searched in parallel threads,
merged with corpus-wide BM25 statistics, and ranked as the single index ranks."""

import shutil

import pytest

from medbridge.search import indexer
from medbridge.search.engine import SearchEngine, SearchOptions
from medbridge.search.indexer import SearchIndex
from medbridge.search.shards import ShardedLexical, shard_of
from medbridge.search.understand import Filters
from medbridge.settings import load_settings
from medbridge.store import open_store

SCORE_TOLERANCE = 0.05  # measured up to 0.041 on these queries (see assert_same_ranking)
QUERIES = [
    "tau protein pathology",
    "microglia activation in neurodegeneration",
    "小胶质细胞激活与神经退行性变",
    "轻度认知障碍的进展",
    "amyloid beta[ti] AND csf[tiab]",
    '"alzheimer disease"[mh] NOT mice',
    "apolipoprotein E 近五年",
]


@pytest.fixture(scope="module")
def engines(terminology, sample_settings, sample_store, tmp_path_factory):
    """The sample as one index and as three shards (built in parallel processes)."""
    single = SearchEngine(SearchIndex(sample_settings, sample_store, terminology))
    single.index.update()
    home = tmp_path_factory.mktemp("sharded") / "home"
    shutil.copytree(sample_settings.home, home, ignore=shutil.ignore_patterns(sample_settings.index_dir.name))
    settings = load_settings(home=home, llm={"backend": "none"}, search={"shards": 3})
    store = open_store(settings)
    patch = pytest.MonkeyPatch()
    patch.setattr(indexer, "PARALLEL_BUILD_MIN_CHANGES", 1)  # the sample is small: build it the parallel way
    sharded = SearchEngine(SearchIndex(settings, store, terminology))
    report = sharded.index.update()
    patch.undo()
    return single, sharded, report


def test_parallel_build_partitions_the_records_by_pmid(engines):
    single, sharded, report = engines
    lexical = sharded.index.lexical
    assert isinstance(lexical, ShardedLexical) and len(lexical.shards) == 3
    assert lexical.num_docs() == single.index.lexical.num_docs() == report.indexed
    for i, shard in enumerate(lexical.shards.shards):
        pmids = [hit.pmid for hit in shard.index.search(shard.index.compile(None, Filters(), natural=False), 10_000).hits]
        assert pmids and all(shard_of(pmid, 3) == i for pmid in pmids)


def assert_same_ranking(one, many) -> None:
    """Same totals and facet counts; the same records on the page (but for the one or two at its edge),
    each scored as the single index scores it to within SCORE_TOLERANCE. IDFs are corpus-wide; tantivy-py
    keeps BM25's average field length per shard, which moves scores by up to a few per cent on shards of
    1,230 records (far less on shards of millions), so records of near-equal score may swap places."""
    assert many.total == one.total and many.facets == one.facets
    single_score = {h.pmid: h.score for h in one.hits}
    shared = [h for h in many.hits if h.pmid in single_score]
    assert len(many.hits) == len(one.hits) and len(shared) >= 0.9 * len(one.hits)
    for hit in shared:
        assert hit.score == pytest.approx(single_score[hit.pmid], rel=SCORE_TOLERANCE)


@pytest.mark.parametrize("question", QUERIES)
def test_sharded_ranking_equals_the_single_index(engines, question):
    single, sharded, _ = engines
    for retrieval in ("lexical", "hybrid"):
        one = single.search(question, SearchOptions(limit=50, retrieval=retrieval))
        many = sharded.search(question, SearchOptions(limit=50, retrieval=retrieval))
        assert_same_ranking(one, many)


def test_paging_and_filters_across_shards(engines):
    single, sharded, _ = engines
    filters = Filters(year_from=2010, has_abstract=True)
    whole = sharded.search("amyloid plaques", SearchOptions(limit=30, filters=filters))
    page = sharded.search("amyloid plaques", SearchOptions(limit=10, offset=20, filters=filters))
    assert [h.pmid for h in page.hits] == [h.pmid for h in whole.hits[20:30]]
    assert all(hit.year >= 2010 for hit in page.hits)
    one = single.search("amyloid plaques", SearchOptions(limit=30, filters=filters))
    assert page.total == one.total and page.facets == one.facets
    assert len({h.pmid for h in whole.hits} & {h.pmid for h in one.hits}) >= 0.8 * len(one.hits)
