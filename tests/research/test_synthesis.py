"""Synthesis across records, disagreements and readable Chinese, on real records of the sample corpus."""

from __future__ import annotations

import re

import pytest

from medbridge.documents.terms_only import TermsOnlyTranslator
from medbridge.research import ResearchRequest, research_runner, review_of
from medbridge.research.extract import Extractor
from medbridge.research.findings import direction, opposite
from medbridge.research.localise import Localiser, english_leaks
from medbridge.research.models import Draft, EvidenceField, Paragraph, Section, Sentence, Support
from medbridge.research.plan import Planner
from medbridge.research.synthesise import Synthesiser, Theme
from medbridge.research.verify import Verifier
from medbridge.text import is_cjk

CSF_QUESTION = "What is the evidence on CSF biomarkers for predicting Alzheimer's disease in MCI?"
MICROGLIA_QUESTION = "小胶质细胞在阿尔茨海默病神经炎症中的作用是什么?"
# Three CSF studies in MCI that all find CSF Abeta42 and tau identify incipient AD (Mattsson 2009, Hansson 2006,
# Buchhave 2012), and a melatonin trial that says nothing of it.
MATTSSON, HANSSON, BUCHHAVE, MELATONIN = 19622817, 16488378, 22213792, 14655926
SAME_FINDING = (MATTSSON, HANSSON, BUCHHAVE)


@pytest.fixture(scope="module")
def csf(terminology, sample_store):
    pmids = [*SAME_FINDING, MELATONIN]
    records = sample_store.get_records(pmids)
    cards = [Extractor(terminology).process(records[p]) for p in pmids]
    return Planner(terminology).process(CSF_QUESTION, "en"), cards, records


def statements(draft: Draft) -> list[Sentence]:
    return [s for sec in draft.sections if sec.key == "theme" for p in sec.paragraphs for s in p.sentences if s.kind == "finding"]


def test_the_same_finding_of_three_records_is_one_statement_citing_all_three(terminology, csf):
    plan, cards, records = csf
    draft = Synthesiser(10_000, terminology).process(plan, cards, records, [Theme("CSF", "CSF", [c.pmid for c in cards])])
    merged = [s for s in statements(draft) if len(s.citations) == 3]
    assert len(merged) == 1, [s.citations for s in statements(draft)]
    statement = merged[0]
    assert set(statement.citations) == set(SAME_FINDING) and statement.consistent == statement.citations[1:]
    # Written from the clearest quote, verbatim, with each agreeing record's own finding kept beside it.
    quoted = statement.citations[0]
    assert statement.checked_text in " ".join(s.text for s in records[quoted].abstract)
    for support in statement.supports:
        assert support.quote in " ".join(s.text for s in records[support.pmid].abstract)
    assert statement.note == "(3 human studies)"
    assert MELATONIN not in {p for s in statements(draft) if len(s.citations) > 1 for p in s.citations}

    draft, report = Verifier(terminology).process(draft, records)
    assert [s.citations for s in statements(draft) if len(s.citations) == 3] == [statement.citations]
    checks = [c for c in report.checks if c.sentence == statement.checked_text]
    assert [(c.pmid, c.basis, c.supported) for c in checks] == [
        (statement.citations[0], "claim", True), *((p, "agreement", True) for p in statement.consistent)]


def test_a_cited_record_that_does_not_support_the_statement_is_dropped(terminology, csf):
    _, cards, records = csf
    melatonin = next(c for c in cards if c.pmid == MELATONIN).conclusion.quote
    hansson = next(c for c in cards if c.pmid == HANSSON).conclusion.quote
    mattsson = next(c for c in cards if c.pmid == MATTSSON).conclusion.quote
    extractive = Sentence(mattsson, [MATTSSON, HANSSON, MELATONIN], consistent=[HANSSON, MELATONIN],
                          supports=[Support(MATTSSON, mattsson), Support(HANSSON, hansson), Support(MELATONIN, melatonin)])
    written = Sentence("Several studies found that CSF T-tau, P-tau and Abeta42 identify incipient Alzheimer's disease in patients with MCI.",
                       [MATTSSON, HANSSON, MELATONIN], origin="llm",
                       supports=[Support(MATTSSON, mattsson), Support(HANSSON, hansson), Support(MELATONIN, melatonin)])
    unsupported = Sentence("Several studies found that melatonin cures Alzheimer's disease.", [MATTSSON, HANSSON], origin="llm")
    draft = Draft("q", "en", [Section("theme", "CSF", paragraphs=[Paragraph([extractive, written, unsupported])])])
    draft, report = Verifier(terminology).process(draft, records)
    kept = draft.sentences()
    assert kept[0].citations == [MATTSSON, HANSSON] and kept[0].consistent == [HANSSON]
    assert kept[1].citations == [MATTSSON, HANSSON] and kept[1].origin == "llm"
    assert report.dropped_citations == 2
    assert all("melatonin cures" not in s.text for s in kept)  # the unsupported statement is gone (removed or rewritten)


@pytest.mark.parametrize("planted", [
    "We compared CSF Abeta42, T-tau and P-tau in patients with MCI who later developed incipient Alzheimer disease.",
    "The role of CSF T-tau and Abeta42 in MCI progression to Alzheimer disease remains unclear.",
])
def test_a_sentence_on_the_same_subject_stating_no_effect_backs_no_finding(terminology, csf, planted):
    """A method or an open question shares the finding's concepts and wording, but says nothing it could back."""
    plan, cards, records = csf
    other = Extractor(terminology).process(records[MELATONIN])
    other.findings, other.conclusion = [EvidenceField(planted, planted, "RESULTS")], None
    draft = Synthesiser(10_000, terminology).process(plan, [cards[0], other], records, [Theme("CSF", "CSF", [MATTSSON, MELATONIN])])
    assert all(len(s.citations) == 1 for s in statements(draft)), [s.citations for s in statements(draft)]


def test_a_planted_contrary_finding_is_shown_side_by_side(terminology, csf):
    plan, cards, records = csf
    planted = "CSF Abeta42, T-tau and P-tau did not identify incipient Alzheimer's disease in patients with MCI."
    assert direction(planted) == "null" and opposite(direction(planted), direction(cards[0].conclusion.quote))
    contrary = [Extractor(terminology).process(records[MELATONIN])]
    contrary[0].findings, contrary[0].conclusion = [EvidenceField(planted, planted, "RESULTS")], None
    draft = Synthesiser(10_000, terminology).process(plan, [cards[0], *contrary], records, [Theme("CSF", "CSF", [MATTSSON, MELATONIN])])
    section = next(s for s in draft.sections if s.key == "disagreements")
    pair = next(p for p in section.paragraphs if sum(s.kind == "finding" for s in p.sentences) == 2)
    sides = [s for s in pair.sentences if s.kind == "finding"]
    assert [s.citations for s in sides] in ([[MATTSSON], [MELATONIN]], [[MELATONIN], [MATTSSON]])
    assert planted in {s.checked_text for s in sides} and sides[1].text.startswith("By contrast,")

    agreeing = Synthesiser(10_000, terminology).process(plan, cards, records, [Theme("CSF", "CSF", [c.pmid for c in cards])])
    checked = next(s for s in agreeing.sections if s.key == "disagreements").paragraphs[0].sentences[0].text
    assert re.match(r"The direction of effect of \d+ pairs of findings", checked)  # checked, and said how


def test_chinese_review_reads_chinese(terminology, research_services, research_settings):
    runner = research_runner(research_services)
    job = runner.run(runner.submit(ResearchRequest.create(MICROGLIA_QUESTION, research_settings).params()).id)
    assert job.state == "done", job.message
    review = review_of(job)
    for section in review.draft.sections:  # headings and theme names in the review's language
        assert is_cjk(section.heading) and not re.search(r"[A-Za-z]{4,}", section.heading), section.heading
    assert english_leaks(review.draft, terminology) == []
    markdown = job.result["review"]["markdown"]
    body, about = markdown.split("## 关于本综述")
    assert review.plan.pubmed_query not in body and review.plan.pubmed_query in about  # the search string moved
    assert "按证据等级" in body and "动物研究" in body


def test_half_translated_sentences_are_never_shown(terminology, sample_store):
    """The terms-only translator sets glossary terms into English sentences — exactly the half-English a reader
    must not see; the QA checks catch it and the English stays whole, quoted, with a Chinese gloss."""
    record = sample_store.get_record(MATTSSON)
    quote = Extractor(terminology).process(record).conclusion.quote
    half = TermsOnlyTranslator(terminology).translate_batch([quote], source="en", target="zh")[0].target
    assert english_leaks(Draft("q", "zh", [Section("theme", "脑脊液", [Paragraph([Sentence(half, [MATTSSON], source_text=quote)])])]), terminology)

    draft = Draft("q", "zh", [Section("theme", "脑脊液", [Paragraph([Sentence(quote, [MATTSSON], template="reported")])], "CSF")])
    draft = Localiser(TermsOnlyTranslator(terminology), terminology).process(draft, {MATTSSON: record})
    shown = draft.sentences()[0].text
    assert shown.startswith("Mattsson等（2009）报告：“" + quote + "”（要点：") and half not in shown
    assert english_leaks(draft, terminology) == []


EXERCISE_QUESTION = "Does physical exercise slow cognitive decline in older adults with mild cognitive impairment?"
# Two cohorts reporting, in their own words and numbers, that more physical activity goes with slower cognitive decline
# (Buchman 2012: total daily activity; Weuve 2004: walking), and a trial finding more impairment in its exercise group.
BUCHMAN, WEUVE, EXERCISE_TRIAL = 22517108, 21771894, 29769247
NPS_STUDY = 35142047  # CSF Aβ42 and tau ratios associated with neuropsychiatric symptoms (NPS), not with AD


def test_the_same_kind_of_result_in_other_words_and_numbers_is_one_statement(terminology, sample_store):
    """Same concepts (as MeSH descriptors), same direction, same subject: one finding, whatever the numbers; a record
    reporting the opposite on the same concepts backs none of it."""
    pmids = [BUCHMAN, WEUVE, EXERCISE_TRIAL]
    records = sample_store.get_records(pmids)
    cards = [Extractor(terminology).process(records[p]) for p in pmids]
    plan = Planner(terminology).process(EXERCISE_QUESTION, "en")
    draft = Synthesiser(10_000, terminology).process(plan, cards, records, [Theme("Exercise", "Exercise", pmids)])
    merged = [s for s in statements(draft) if len(s.citations) >= 2]
    assert [s.citations for s in merged] == [[BUCHMAN, WEUVE]], [s.citations for s in statements(draft)]
    assert "physical activity" in merged[0].checked_text and "slower rates of cognitive decline" in merged[0].supports[1].quote
    assert EXERCISE_TRIAL not in {p for s in merged for p in s.citations}
    # Buchman's conclusion ("a higher level of total daily physical activity is associated with a reduced risk of AD")
    # restates its Cox result on incident AD: the paper appears once for that finding, not as a list of its sentences.
    on_ad = [s for s in statements(draft) if s.citations == [BUCHMAN] and re.search(r"incident AD|risk of AD", s.checked_text)]
    assert len(on_ad) == 1, [s.checked_text for s in on_ad]

    draft, report = Verifier(terminology).process(draft, records)
    assert [s.citations for s in statements(draft) if len(s.citations) >= 2] == [[BUCHMAN, WEUVE]]
    assert [c.supported for c in report.checks if c.basis == "agreement"] == [True]


def test_a_record_on_another_outcome_or_an_aim_backs_no_finding(terminology, csf, sample_store):
    """The NPS study shares the CSF markers with Buchhave's conversion finding but names an outcome the other does not;
    an aim or a hypothesis states no finding at all."""
    plan, cards, records = csf
    records = {**records, NPS_STUDY: sample_store.get_record(NPS_STUDY)}
    buchhave = next(c for c in cards if c.pmid == BUCHHAVE)
    nps = Extractor(terminology).process(records[NPS_STUDY])
    draft = Synthesiser(10_000, terminology).process(plan, [buchhave, nps], records, [Theme("CSF", "CSF", [BUCHHAVE, NPS_STUDY])])
    assert all(len(s.citations) == 1 for s in statements(draft)), [s.citations for s in statements(draft)]
    for sentence in ("The authors conducted a prospective study to determine the association between physical activity and dementia.",
                     "We hypothesize that chronic sleep deprivation increases cerebral Aβ42 levels."):
        assert direction(sentence) is None
