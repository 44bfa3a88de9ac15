"""Search over the 3,690 real Alzheimer records: ranking sanity, PubMed syntax semantics, filters, facets,
sorting, paging, snippets."""

import pytest

from medbridge.search import Filters, QuerySyntaxError, SearchOptions
from medbridge.search.engine import InvalidSearchOptions, SearchEngine, fuse_scores, rrf
from medbridge.search.indexer import SearchIndex
from medbridge.settings import load_settings

MATTSSON_2009 = 19622817  # "CSF biomarkers and incipient Alzheimer disease in patients with mild cognitive impairment"


def pmids(result):
    return [hit.pmid for hit in result.hits]


@pytest.mark.parametrize("query", ["CSF biomarkers mild cognitive impairment", "阿尔茨海默病的脑脊液生物标志物",
                                   "轻度认知障碍患者的脑脊液生物标志物", 'csf biomarkers[tiab] AND "mild cognitive impairment"[tiab]'])
def test_known_paper_on_first_page(sample_engine, query):
    result = sample_engine.search(query, SearchOptions(limit=10))
    assert MATTSSON_2009 in pmids(result)


@pytest.mark.parametrize("retrieval", ["lexical", "hybrid"])
def test_chinese_and_english_questions_agree(sample_engine, retrieval):
    english = sample_engine.search("Alzheimer disease cerebrospinal fluid biomarkers", SearchOptions(limit=20, retrieval=retrieval))
    chinese = sample_engine.search("阿尔茨海默病的脑脊液生物标志物", SearchOptions(limit=20, retrieval=retrieval))
    assert len(set(pmids(english)) & set(pmids(chinese))) >= 10


def test_top_hits_are_on_topic(sample_engine):
    result = sample_engine.search("帕金森病", SearchOptions(limit=10))
    for hit in result.hits:
        record = sample_engine.store.get_record(hit.pmid)
        text = f"{record.title} {record.abstract_text}".lower()
        assert "parkinson" in text or any("Parkinson" in m.descriptor for m in record.mesh)


@pytest.mark.parametrize("query", ["氯胺酮为什么起效快", "why does ketamine act fast"])
def test_records_naming_the_concept_outrank_vector_neighbours(sample_engine, query):
    # Few records mention ketamine; the dense side adds many neighbours about other drugs and "fast" transport.
    assert sample_engine.index.dense_enabled and len(sample_engine.index.vectors) > 0
    naming = sample_engine.search("ketamine[mh] OR ketamine[tiab]", SearchOptions(limit=50))
    assert 2 <= naming.total < 10
    result = sample_engine.search(query, SearchOptions(limit=10))
    assert result.dense_used
    assert set(pmids(result)[: naming.total]) == set(pmids(naming))
    for hit in result.hits[: naming.total]:
        record = sample_engine.store.get_record(hit.pmid)
        assert "ketamine" in f"{record.title} {record.abstract_text}".lower() or "Ketamine" in [m.descriptor for m in record.mesh]


def test_pubmed_syntax_every_hit_satisfies_the_expression(sample_engine):
    result = sample_engine.search('tau[ti] AND "cerebrospinal fluid"[tiab] NOT review[pt] AND 2005:2015[dp]', SearchOptions(limit=200))
    assert result.total == len(result.hits) > 5
    for hit in result.hits:
        record = sample_engine.store.get_record(hit.pmid)
        assert "tau" in record.title.lower()
        assert "cerebrospinal fluid" in f"{record.title} {record.abstract_text}".lower()
        assert "Review" not in record.article_types
        assert 2005 <= record.year <= 2015


def test_mesh_tag_explodes_to_narrower_descriptors(sample_engine):
    # Tauopathies includes Alzheimer Disease, Frontotemporal Dementia, ... in the MeSH tree
    exploded = sample_engine.search("tauopathies[mh]", SearchOptions(limit=5)).total
    exact_name_only = sample_engine.search('"tauopathies"[tiab]', SearchOptions(limit=5)).total
    alzheimer = sample_engine.search("alzheimer disease[mh]", SearchOptions(limit=5)).total
    assert exploded >= alzheimer > exact_name_only


def test_major_topic_is_narrower_than_mesh(sample_engine):
    major = sample_engine.search("microglia[majr]", SearchOptions(limit=400))
    anywhere = sample_engine.search("microglia[mh]", SearchOptions(limit=5))
    assert 0 < major.total < anywhere.total
    for hit in major.hits[:20]:
        record = sample_engine.store.get_record(hit.pmid)
        assert any(m.descriptor == "Microglia" and m.is_major for m in record.mesh)


def test_truncation_author_journal_language_pmid(sample_engine):
    neuro = sample_engine.search("neuroinflamm*[ti]", SearchOptions(limit=50))
    assert neuro.hits and all("neuroinflamm" in h.title.lower() for h in neuro.hits)
    author = sample_engine.search("Mattsson N[au]", SearchOptions(limit=50))
    assert MATTSSON_2009 in pmids(author)
    journal = sample_engine.search("jama[ta]", SearchOptions(limit=50))
    assert MATTSSON_2009 in pmids(journal)
    for hit in journal.hits:
        assert sample_engine.store.get_record(hit.pmid).journal.iso_abbreviation == "JAMA"
    assert pmids(sample_engine.search(f"{MATTSSON_2009}[pmid]")) == [MATTSSON_2009]
    assert sample_engine.search("alzheimer AND eng[la]", SearchOptions(limit=5)).total > \
        sample_engine.search("alzheimer AND english[la] NOT eng[la]", SearchOptions(limit=5)).total


def test_or_is_union_and_not_excludes(sample_engine):
    tau = sample_engine.search("tau[ti]", SearchOptions(limit=1)).total
    amyloid = sample_engine.search("amyloid[ti]", SearchOptions(limit=1)).total
    either = sample_engine.search("tau[ti] OR amyloid[ti]", SearchOptions(limit=1)).total
    both = sample_engine.search("tau[ti] AND amyloid[ti]", SearchOptions(limit=1)).total
    only_tau = sample_engine.search("tau[ti] NOT amyloid[ti]", SearchOptions(limit=1)).total
    assert either == tau + amyloid - both
    assert only_tau == tau - both


@pytest.mark.parametrize(
    ("filters", "check"),
    [
        (Filters(year_from=2015, year_to=2018), lambda r: 2015 <= r.year <= 2018),
        (Filters(publication_types=("Review",)), lambda r: "Review" in r.article_types),
        (Filters(journals=("Neurology",)), lambda r: "Neurology" in (r.journal.medline_ta, r.journal.iso_abbreviation, r.journal.title)),
        (Filters(has_abstract=False), lambda r: not r.has_abstract),
        (Filters(languages=("eng",)), lambda r: "eng" in r.languages),
    ],
)
def test_filters_hold_for_every_hit(sample_engine, filters, check):
    result = sample_engine.search("amyloid beta", SearchOptions(limit=100, filters=filters))
    assert result.hits
    for record in sample_engine.store.get_records(pmids(result)).values():
        assert check(record)


def test_intent_filter_from_chinese_question(sample_engine):
    result = sample_engine.search("阿尔茨海默病的综述", SearchOptions(limit=50))
    assert result.interpretation.filters.publication_types == ("Review",)
    assert result.hits
    for record in sample_engine.store.get_records(pmids(result)).values():
        assert "Review" in record.article_types


def test_sort_by_date_and_paging(sample_engine):
    by_date = sample_engine.search("microglia", SearchOptions(limit=30, sort="date"))
    years = [h.year or 0 for h in by_date.hits]
    assert years == sorted(years, reverse=True)
    first = sample_engine.search("microglia", SearchOptions(limit=10))
    second = sample_engine.search("microglia", SearchOptions(limit=10, offset=10))
    both = sample_engine.search("microglia", SearchOptions(limit=20))
    assert pmids(first) + pmids(second) == pmids(both)


def test_facets_count_the_result_set(sample_engine):
    result = sample_engine.search("alzheimer disease[mh] AND 2010:2012[dp]", SearchOptions(limit=1))
    years = dict(result.facets["year"])
    assert set(years) <= {"2010", "2011", "2012"}
    assert sum(years.values()) == result.total
    assert sum(c for _, c in result.facets["has_abstract"]) == result.total
    types = dict(result.facets["pt"])
    reviews = sample_engine.search("alzheimer disease[mh] AND 2010:2012[dp] AND review[pt]", SearchOptions(limit=1)).total
    assert types.get("Review", 0) == reviews


def test_snippets_highlight_english_terms_for_a_chinese_question(sample_engine):
    result = sample_engine.search("阿尔茨海默病的脑脊液生物标志物", SearchOptions(limit=5))
    marked = [hit.snippet.text[s:e].lower() for hit in result.hits for s, e in hit.snippet.spans]
    assert any("cerebrospinal fluid" in m or "csf" in m for m in marked)
    assert any("alzheimer" in m for m in marked)
    html = result.hits[0].snippet.html()
    assert "<mark>" in html and "<script" not in html


def test_syntax_error_and_bad_options(sample_engine):
    with pytest.raises(QuerySyntaxError):
        sample_engine.search("tau AND (amyloid")
    with pytest.raises(InvalidSearchOptions):
        sample_engine.search("tau", SearchOptions(filters=Filters(year_from=2020, year_to=2010)))
    with pytest.raises(InvalidSearchOptions):
        sample_engine.search("tau", SearchOptions(sort="citations"))  # type: ignore[arg-type]


def test_reciprocal_rank_fusion():
    fused = rrf([[1, 2, 3], [3, 1]], k=60)
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)
    assert sorted(fused, key=fused.get, reverse=True) == [1, 3, 2]


def test_score_fusion_keeps_margins_and_weighs_by_setting():
    bm25 = [(1, 12.0), (2, 3.0), (3, 2.0)]
    cosine = [(3, 0.90), (2, 0.88), (4, 0.85)]
    fused = fuse_scores(bm25, cosine, dense_weight=0.3, dense_floor=0.80)
    assert fused[1] == pytest.approx(0.7)                          # best BM25, no neighbour
    assert fused[3] == pytest.approx(0.7 * 2 / 12 + 0.3)           # best neighbour
    assert fused[4] == pytest.approx(0.3 * 0.05 / 0.10)            # neighbour only
    assert sorted(fused, key=fused.get, reverse=True) == [1, 3, 2, 4]  # far ahead on BM25 stays first
    assert fuse_scores(bm25, cosine, dense_weight=1.0, dense_floor=0.80)[1] == 0.0


@pytest.mark.usefixtures("sample_engine")  # the sample indexed, vectors included
@pytest.mark.parametrize("query", ["tau protein pathology", "小胶质细胞激活与神经退行性变"])
def test_dense_weight_slides_hybrid_between_the_two_retrievers(terminology, sample_settings, sample_store, query):
    def first_page(retrieval="hybrid", limit=10, **search):
        settings = load_settings(home=sample_settings.home, llm={"backend": "none"}, search=search)
        return pmids(SearchEngine(SearchIndex(settings, sample_store, terminology)).search(query, SearchOptions(limit=limit, retrieval=retrieval)))

    assert first_page(dense_weight=0.0) == first_page("lexical")
    # Vectors only re-rank the result set: at weight 1 it is in the vectors' order.
    result_set = set(first_page("lexical", limit=1000))
    assert first_page(dense_weight=1.0) == [p for p in first_page("dense", limit=1000) if p in result_set][:10]
    assert first_page() not in (first_page("lexical"), first_page("dense"))  # the default mixes both
