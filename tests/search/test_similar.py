"""Similar articles on the real records: shared MeSH, citations and (when vectors exist) embedding neighbours."""

import pytest

from medbridge.errors import NotFoundError
from medbridge.search import similar, similar_articles
from medbridge.search.similar import find_similar

MATTSSON_2009 = 19622817
DAVIES_1976 = 63862  # "Selective loss of central cholinergic neurons in Alzheimer's disease" (a letter: no abstract)


def test_similar_articles_share_topic_and_citations(sample_engine):
    record = sample_engine.store.get_record(MATTSSON_2009)
    similar = find_similar(sample_engine.index, MATTSSON_2009, limit=10)
    assert len(similar) == 10
    assert MATTSSON_2009 not in [a.pmid for a in similar]
    scores = [a.score for a in similar]
    assert scores == sorted(scores, reverse=True)
    own_mesh = {m.descriptor for m in record.mesh}
    # every neighbour is tied to the record by topic, citation or meaning
    for article in similar:
        assert article.shared_mesh or article.cites_or_cited or article.shared_references or article.similarity
        assert set(article.shared_mesh) <= own_mesh
    assert sum("Alzheimer Disease" in a.shared_mesh for a in similar) >= 7
    assert any(a.cites_or_cited for a in similar)  # records citing this well-cited paper surface


def test_check_tags_alone_do_not_make_records_similar(sample_engine):
    for article in find_similar(sample_engine.index, MATTSSON_2009, limit=10):
        assert set(article.shared_mesh) - {"Humans", "Aged", "Female", "Male"}


def test_similar_articles_entry_point_and_unknown_pmid(sample_engine):
    articles = similar_articles(sample_engine, MATTSSON_2009, limit=3)
    assert len(articles) == 3 and all(a.to_dict()["pmid"] == a.pmid for a in articles)
    with pytest.raises(NotFoundError):
        similar_articles(sample_engine, 1, limit=3)


def test_title_only_vector_counts_less_than_mesh_and_citations(sample_engine, monkeypatch):
    record = sample_engine.store.get_record(DAVIES_1976)
    assert not record.has_abstract and len(record.mesh) >= 5
    weighted = find_similar(sample_engine.index, DAVIES_1976, limit=10)
    own_topics = {m.descriptor for m in record.mesh} - similar.CHECK_TAGS
    assert all(set(a.shared_mesh) & own_topics or a.cites_or_cited for a in weighted)
    with_abstract = [a.pmid for a in find_similar(sample_engine.index, MATTSSON_2009, limit=10)]

    monkeypatch.setattr(similar, "TITLE_VECTOR_WEIGHT", 1.0)  # the title's vector weighed like an abstract's
    unweighted = find_similar(sample_engine.index, DAVIES_1976, limit=10)
    # records tied by MeSH or citations but not among the title's vector neighbours move up into the list
    assert sum(a.similarity is None for a in weighted) > sum(a.similarity is None for a in unweighted)
    assert [a.pmid for a in find_similar(sample_engine.index, MATTSSON_2009, limit=10)] == with_abstract
