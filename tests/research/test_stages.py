"""Each research stage on the real Alzheimer records of the sample corpus."""

from __future__ import annotations

import csv
import io

import pytest

from medbridge.research.citations import build_references, marker, parse_marker, vancouver
from medbridge.research.extract import Extractor, evidence_csv
from medbridge.research.gather import Gatherer
from medbridge.research.plan import Planner
from medbridge.text import sentence_texts

CSF_QUESTION = "What is the evidence on CSF biomarkers for predicting Alzheimer's disease in MCI?"
SLEEP_QUESTION = "阿尔茨海默病的睡眠障碍与认知下降"


@pytest.fixture(scope="module")
def csf_sources(terminology, sample_services):
    plan = Planner(terminology).process(CSF_QUESTION, "en")
    return plan, Gatherer(sample_services.search_engine).process(plan, 12)


def test_plan_has_mesh_facets_in_both_languages(terminology):
    plan = Planner(terminology).process(SLEEP_QUESTION, "zh")
    assert plan.mesh == ["Alzheimer Disease", "Sleep Wake Disorders", "Cognitive Dysfunction"]
    assert "sleep disorder" in plan.question_en and "cognitive decline" in plan.question_en
    assert plan.facets[0].origin == "question" and plan.facets[0].query_zh == SLEEP_QUESTION
    pairs = [f for f in plan.facets if f.origin == "terms"]
    assert len(pairs) == 3
    assert {f.query_zh for f in pairs} >= {"阿尔茨海默病 睡眠障碍", "睡眠障碍 认知下降"}
    assert all(f.label == f.query_zh for f in pairs)  # labels in the reader's language


def test_plan_english_question_gets_chinese_form(terminology):
    plan = Planner(terminology).process(CSF_QUESTION, "en")
    assert "脑脊液生物标志物" in plan.question_zh and "轻度认知障碍" in plan.question_zh
    assert "Cognitive Dysfunction" in plan.mesh


def test_gather_keeps_top_n_distinct_records_with_abstracts(csf_sources, sample_store):
    plan, sources = csf_sources
    assert len(sources) == 12
    pmids = [s.pmid for s in sources]
    assert len(set(pmids)) == 12
    records = sample_store.get_records(pmids)
    assert all(records[p].has_abstract for p in pmids)
    assert 19622817 in pmids  # the multicentre CSF study in MCI (Mattsson 2009, JAMA)
    assert [s.score for s in sources] == sorted((s.score for s in sources), reverse=True)
    assert all(0 in s.facets or s.facets for s in sources)


def test_extracted_quotes_occur_verbatim_in_the_abstracts(terminology, csf_sources, sample_store):
    _, sources = csf_sources
    records = sample_store.get_records([s.pmid for s in sources])
    filled = 0
    for source in sources:
        record = records[source.pmid]
        card = Extractor(terminology).process(record)
        sections = [s.text for s in record.abstract]
        fields = [getattr(card, n) for n in card.FIELDS] + card.findings + card.limitations + [card.conclusion, card.background]
        for field in (f for f in fields if f is not None):
            filled += 1
            assert any(field.quote in text for text in sections), (record.pmid, field.quote)
            assert field.value.lower() in field.quote.lower()
    assert filled >= 4 * len(sources)


def test_evidence_card_of_a_known_record(terminology, sample_store):
    card = Extractor(terminology).process(sample_store.get_record(19622817))
    assert card.study_type.value == "prospective cohort study"
    assert "750 individuals" in card.population.value
    assert card.outcomes.section == "METHODS" and card.outcomes.quote.startswith("Sensitivity, specificity")
    assert any("0.78" in f.value and "CI" in f.value for f in card.findings)
    assert card.conclusion.quote.startswith("This multicenter study found")
    table = list(csv.DictReader(io.StringIO(evidence_csv([card], {card.pmid: sample_store.get_record(19622817)}, {19622817: 3}))))
    assert table[0]["ref"] == "3" and table[0]["study_type"] == "prospective cohort study"
    assert table[0]["study_type_quote"] == card.study_type.quote


def test_fields_without_a_quote_stay_empty(terminology, sample_store):
    card = Extractor(terminology).process(sample_store.get_record(19660834))  # an unstructured imaging abstract
    assert card.intervention is None and card.comparator is None


def test_vancouver_reference_with_pmid_and_doi(sample_store):
    record = sample_store.get_record(19622817)
    assert vancouver(record) == (
        "Mattsson N, Zetterberg H, Hansson O, Andreasen N, Parnetti L, Jonsson M, et al. CSF biomarkers and incipient "
        "Alzheimer disease in patients with mild cognitive impairment. JAMA. 2009 Jul 22;302(4):385-93. "
        "doi: 10.1001/jama.2009.1064. PMID: 19622817."
    )
    references = build_references([19622817, 999999999, 16488378], sample_store.get_records([19622817, 16488378]))
    assert [(r.number, r.pmid) for r in references] == [(1, 19622817), (2, 16488378)]  # no reference outside the corpus


def test_citation_markers():
    assert marker([3, 1, 2, 5]) == "[1–3,5]"
    assert marker([4, 2]) == "[2,4]"
    assert parse_marker("as shown [1,3–5] and [7]") == [1, 3, 4, 5, 7]


def test_sentences_stay_verbatim_and_whole():
    text = "Rates were 1.73% in controls and 3.5% in AD (p < 0.01 vs. controls). Smith et al. agreed."
    assert sentence_texts(text) == ["Rates were 1.73% in controls and 3.5% in AD (p < 0.01 vs. controls).", "Smith et al. agreed."]


def test_gather_ranks_the_records_other_sources_cite_higher(terminology, sample_services):
    plan = Planner(terminology).process(CSF_QUESTION, "en")
    engine = sample_services.search_engine
    search_only = [s.pmid for s in Gatherer(engine, citation_weight=0).process(plan, 20)]
    with_graph = Gatherer(engine).process(plan, 20)
    cited = Gatherer(engine).cited_within(search_only)
    assert cited, "the sample's CSF papers cite one another"
    ranked = [s.pmid for s in with_graph]
    kept = [pmid for pmid in cited if pmid in ranked]

    def mean_position(order: list[int]) -> float:
        return sum(order.index(pmid) for pmid in kept) / len(kept)

    assert kept and mean_position(ranked) < mean_position(search_only)
    assert all(s.facets for s in with_graph)  # the graph reorders what search found, it adds nothing off topic
