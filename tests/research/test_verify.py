"""The citation checker on real abstracts: planted unsupported sentences and wrong citations are caught."""

from __future__ import annotations

import pytest

from medbridge.research.models import Draft, Paragraph, Section, Sentence
from medbridge.research.vectors import SentenceEmbeddings
from medbridge.research.verify import Verifier

CSF_STUDY, CSF_FOLLOW_UP, MELATONIN_TRIAL = 19622817, 16488378, 14655926


@pytest.fixture(scope="module")
def verifier(terminology, sample_services):
    return Verifier(terminology, SentenceEmbeddings(sample_services.embedder))


@pytest.fixture(scope="module")
def records(sample_store):
    return sample_store.get_records([CSF_STUDY, CSF_FOLLOW_UP, MELATONIN_TRIAL])


def test_verbatim_quote_and_faithful_paraphrase_are_supported(verifier, records):
    quote = records[CSF_STUDY].abstract[4].text.split(". ")[0] + "."
    assert verifier.check(quote, records[CSF_STUDY]).supported
    paraphrase = verifier.check("In this multicenter study, CSF Abeta42, T-tau and P-tau identified incipient AD with good accuracy.", records[CSF_STUDY])
    assert paraphrase.supported and paraphrase.similarity >= 0.82


def test_planted_unsupported_sentence_is_caught(verifier, records):
    check = verifier.check("Donepezil reversed cognitive decline in 95% of patients with MCI within six months.", records[CSF_STUDY])
    assert not check.supported and check.lexical < 0.6


def test_invented_number_and_flipped_finding_are_caught(verifier, records):
    assert not verifier.check("Melatonin was not an effective soporific agent in 41% of patients.", records[MELATONIN_TRIAL]).numbers_ok
    assert verifier.check("Melatonin was not an effective soporific agent in patients with Alzheimer disease.", records[MELATONIN_TRIAL]).supported
    assert not verifier.check("Melatonin was an effective soporific agent in patients with Alzheimer disease.", records[MELATONIN_TRIAL]).supported


def test_wrong_citation_is_dropped_and_unsupported_sentences_removed_or_rewritten(verifier, records, sample_store):
    true_claim = "Patients who developed AD had lower median Abeta42 and higher P-tau and T-tau than those who did not."
    draft = Draft("q", "en", [Section("theme", "CSF", [Paragraph([
        Sentence("Framing sentence that states nothing.", kind="meta"),
        Sentence(true_claim, [CSF_STUDY, MELATONIN_TRIAL]),                           # one right, one wrong citation
        Sentence(true_claim, [MELATONIN_TRIAL]),                                      # only a wrong citation
        Sentence("Donepezil cured Alzheimer's disease in every patient.", [CSF_STUDY]),  # planted, unsupported
        Sentence("CSF tau predicts conversion to dementia.", []),                     # a finding without a citation
        Sentence("Some claim about a record outside the corpus.", [999999999]),
    ])])])
    draft, report = verifier.process(draft, records)
    sentences = draft.sentences()
    assert sentences[0].kind == "meta"
    assert sentences[1].text == true_claim and sentences[1].citations == [CSF_STUDY]
    assert report.claims == 5 and report.cited == 4 and report.supported == 0
    assert report.dropped_citations == 1 and report.out_of_corpus == 1
    assert report.removed + report.rewritten == 4
    for sentence in sentences[2:]:  # what is left of the bad sentences is verbatim text of a cited record
        assert sentence.origin == "rewritten"
        assert any(sentence.text in s.text for p in sentence.citations for s in records[p].abstract)
    assert all(s.supported for s in sentences if s.kind == "finding")
    assert report.final_supported == report.final_claims == len(sentences) - 1
    assert 999999999 not in draft.cited_pmids()
