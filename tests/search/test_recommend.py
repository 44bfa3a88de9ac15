"""推荐理由 read off real records, the quoted best sentence, the extractive summary, and the verified answer
(the research verifier removing an unsupported sentence; the real small model end to end)."""

import re

import pytest

from medbridge.research.vectors import SentenceEmbeddings
from medbridge.research.verify import Verifier
from medbridge.search.answer import answer_sentences, citations_of, verify_sentence
from medbridge.search.recommend import Recommender, best_sentence, summarize
from medbridge.search.understand import interpret
from medbridge.services import Services

MATTSSON_2009 = 19622817  # CSF biomarkers and incipient Alzheimer disease in MCI (JAMA 2009), structured abstract


@pytest.fixture(scope="module")
def recommender(sample_engine):
    return Recommender(sample_engine.index.terms, sample_engine.index.lexical.analyzer)


def test_reasons_match_the_record(recommender, sample_store, sample_engine):
    record = sample_store.get_record(MATTSSON_2009)
    concepts = interpret("阿尔茨海默病的脑脊液生物标志物", terms=sample_engine.index.terms).concepts
    [found] = recommender.recommend([record], concepts, {MATTSSON_2009: 7})
    where = {m.concept: m.where for m in found.matched}
    assert where == {"阿尔茨海默病": ["title", "abstract", "mesh"], "脑脊液生物标志物": ["title", "abstract"]}
    assert (found.evidence.kind, found.evidence.design) == ("human", "cohort")  # "multicenter … cohort", MeSH Cohort Studies
    assert found.cited_by == 7 and found.year == 2009
    assert found.evidence.sample_text == "750 individuals" and found.evidence.sample_text in record.abstract_text
    section = next(s for s in record.abstract if found.quote in s.text)
    assert section.category in ("RESULTS", "CONCLUSIONS") and "CSF" in found.quote
    reasons = found.reasons("zh", 2026)
    assert reasons[0] == "阿尔茨海默病：见于标题、摘要、MeSH"
    assert {"研究类型：队列研究", "样本量：750 individuals", "2009 年发表", "被引 7 次"} <= set(reasons)
    assert "Study type: cohort study" in found.reasons("en", 2026)


def test_a_concept_the_record_lacks_is_missing(recommender, sample_store, sample_engine):
    record = sample_store.get_record(MATTSSON_2009)
    concepts = interpret("metformin", terms=sample_engine.index.terms).concepts
    [found] = recommender.recommend([record], concepts, {})
    assert found.matched == [] and found.missing == ["metformin"]


def test_best_sentence_names_the_most_concepts(sample_store, sample_engine):
    record = sample_store.get_record(MATTSSON_2009)
    patterns = [[re.compile(r"sensitivity", re.I)], [re.compile(r"specificity", re.I)]]
    quote, section = best_sentence(record, patterns)
    assert "sensitivity" in quote.lower() and "specificity" in quote.lower()


def test_summary_is_extractive_and_uses_cached_chinese(sample_store, recommender):
    record = sample_store.get_record(MATTSSON_2009)
    evidence = recommender.evidence(record)
    english = summarize(record, "zh", evidence)
    assert english["study_type"] == "队列研究" and english["size"] == "750 individuals"
    assert [p["label"] for p in english["points"]][-1] in ("结论", "结论与意义")
    assert all(not p["translated"] and p["text"] in record.abstract_text for p in english["points"])
    cached = ["标题译文", *(f"第{i}节译文" for i in range(len(record.abstract)))]
    chinese = summarize(record, "zh", evidence, lambda r: cached)
    assert chinese["title_zh"] == "标题译文" and all(p["translated"] and p["text"].endswith("节译文") for p in chinese["points"])


def test_verifier_removes_an_unsupported_sentence(sample_store, sample_services):
    record = sample_store.get_record(MATTSSON_2009)
    quote = next(s for s in record.abstract if (s.category or "") == "CONCLUSIONS").text.split(". ")[0].rstrip(".") + "."
    verifier = Verifier(SentenceEmbeddings(sample_services.embedder))
    kept = verify_sentence(f"{quote} [{MATTSSON_2009}]", {MATTSSON_2009: record}, verifier)
    assert kept == {"type": "sentence", "text": quote, "source_text": quote, "citations": [MATTSSON_2009]}
    invented = f"Donepezil cured 95% of patients within two weeks [{MATTSSON_2009}]."
    assert verify_sentence(invented, {MATTSSON_2009: record}, verifier) is None
    assert verify_sentence(quote, {MATTSSON_2009: record}, verifier) is None  # no citation, not shown
    assert citations_of("A [PMID: 123456; 234567].") == ("A .", [123456, 234567])


@pytest.mark.slow
def test_answer_from_the_small_model_shows_only_verified_sentences(sample_settings, sample_store, sample_services, sample_engine, with_small_model, recommender):
    concepts = interpret("CSF biomarkers for Alzheimer disease", terms=sample_engine.index.terms).concepts
    result = sample_engine.search("CSF biomarkers for Alzheimer disease")
    records = list(sample_store.get_records(h.pmid for h in result.hits[:6]).values())
    recommendations = {r.pmid: r for r in recommender.recommend(records, concepts, {})}
    llm = Services(with_small_model(sample_settings), store=sample_store).llm
    verifier = Verifier(SentenceEmbeddings(sample_services.embedder))
    events = list(answer_sentences(llm, "Which CSF biomarkers predict Alzheimer disease?", "en", records, recommendations, verifier))
    done = events[-1]
    assert done["type"] == "done" and done["sources"] == [r.pmid for r in records]
    sentences = [e for e in events if e["type"] == "sentence"]
    assert done["kept"] == len(sentences)
    by_pmid = {r.pmid: r for r in records}
    for sentence in sentences:
        assert sentence["citations"] and all(verifier.check(sentence["text"], by_pmid[p]).supported for p in sentence["citations"])
