"""Review length: words counted per language, and the word budget trimming real drafts of the sample corpus."""

from __future__ import annotations

import json

import pytest

from medbridge.errors import ConfigError
from medbridge.research import ResearchRequest, research_runner, review_of
from medbridge.research.citations import build_references, parse_marker
from medbridge.research.extract import Extractor
from medbridge.research.gather import Gatherer
from medbridge.research.localise import Localiser
from medbridge.research.plan import Planner
from medbridge.research.synthesise import MIN_STATEMENTS_PER_THEME, Synthesiser
from medbridge.research.text import count_words
from medbridge.research.vectors import record_vectors
from medbridge.research.vectors import SentenceEmbeddings
from medbridge.research.verify import Verifier
from medbridge.services import Services
from medbridge.settings import load_settings
from medbridge.text import CJK

CSF_QUESTION = "What is the evidence on CSF biomarkers for predicting Alzheimer's disease in MCI?"
SLEEP_QUESTION = "阿尔茨海默病的睡眠障碍与认知下降"
SOURCES = 20  # the default research.max_sources


def evidence(question: str, lang: str, engine, settings):
    """What the Synthesiser receives in a job: plan, evidence cards, records and themes of the top 20 sources."""
    store, terminology = engine.store, engine.index.terms
    plan = Planner(terminology).process(question, lang)
    sources = Gatherer(engine).process(plan, SOURCES)
    records = store.get_records([s.pmid for s in sources])
    ranked = [records[s.pmid] for s in sources]
    cards = [Extractor(terminology).process(r) for r in ranked]
    themes = Synthesiser(settings.research.max_words, terminology).themes(plan, ranked, record_vectors(engine.index, ranked))
    return plan, cards, records, themes


@pytest.fixture(scope="module")
def csf_evidence(sample_services):
    return evidence(CSF_QUESTION, "en", sample_services.search_engine, sample_services.settings)


@pytest.fixture(scope="module")
def sleep_evidence(sample_services):
    return evidence(SLEEP_QUESTION, "zh", sample_services.search_engine, sample_services.settings)


def statements(section) -> list:
    """The statements of a theme section: its finding sentences, after the theme's lead paragraph."""
    return [s for p in section.paragraphs[1:] for s in p.sentences if s.kind == "finding"]


def test_english_words_and_chinese_segmented_words_are_counted_without_punctuation(terminology):
    assert count_words("CSF Abeta42 predicted AD in 0.78 of 750 individuals.", terminology) == 9
    # jieba with the medical dictionary: 阿尔茨海默病 / 患者 / 的 / 睡眠障碍 / 与 / 认知下降 / 有关 — not 20 characters
    assert count_words("阿尔茨海默病患者的睡眠障碍与认知下降有关。", terminology) == 7
    # A finding as a Chinese review without a model frames it: 等, 报告 + name, year and four English words
    assert count_words("Mattsson 等（2009）报告：“CSF Abeta42 was lower.”", terminology) == 8
    assert count_words("“”（）。，", terminology) == 0


def test_a_chinese_translation_counts_about_as_many_words_as_its_english_original(terminology, shared_dir, sample_store):
    """The reference translations of three sample abstracts: what lets an English draft budget a Chinese review."""
    lines = (shared_dir / "data" / "bench" / "reference_translations_zh.jsonl").read_text(encoding="utf-8").splitlines()
    for reference in map(json.loads, lines):
        english = " ".join(section.text for section in sample_store.get_record(int(reference["pmid"])).abstract)
        chinese = "".join(text for _, text in reference["sections"])
        ratio = count_words(chinese, terminology) / count_words(english, terminology)
        assert 0.8 <= ratio <= 1.1, (reference["pmid"], ratio)
        assert len(CJK.findall(chinese)) > count_words(chinese, terminology)  # characters would overstate it


@pytest.mark.parametrize("fixture", ["csf_evidence", "sleep_evidence"])
def test_twenty_records_give_a_review_inside_1000_to_1500_words(terminology, fixture, request, sample_services):
    plan, cards, records, themes = request.getfixturevalue(fixture)
    synthesiser = Synthesiser(1500, terminology)
    draft = synthesiser.process(plan, cards, records, themes)
    estimate = synthesiser.delivered_words(draft, records)
    assert 1000 <= estimate <= 1500
    untrimmed = Synthesiser(10_000, terminology).process(plan, cards, records, themes)
    assert synthesiser.delivered_words(untrimmed, records) > 1500  # the budget, not a lack of material, set the length
    draft, _ = Verifier(terminology, SentenceEmbeddings(sample_services.embedder)).process(draft, records)
    localised = Localiser(None, terminology).process(draft, records)
    assert localised.word_count(terminology) == estimate  # without a model the estimate is the delivered length, in either language


def test_a_tight_budget_drops_single_record_statements_first_and_keeps_every_citation_true(terminology, csf_evidence):
    plan, cards, records, themes = csf_evidence
    full = Synthesiser(10_000, terminology).process(plan, cards, records, themes)
    synthesiser = Synthesiser(700, terminology)
    tight = synthesiser.process(plan, cards, records, themes)
    assert synthesiser.delivered_words(tight, records) <= 700

    full_themes = [s for s in full.sections if s.key == "theme"]
    tight_themes = [s for s in tight.sections if s.key == "theme"]
    assert [s.heading for s in tight_themes] == [s.heading for s in full_themes]  # the structure stays

    def key(sentence):
        return sentence.checked_text, tuple(sentence.citations)

    dropped_records = set()
    for before, after in zip(full_themes, tight_themes):
        kept, everything = statements(after), statements(before)
        kept_keys = {key(s) for s in kept}
        assert kept_keys <= {key(s) for s in everything}
        assert len(kept) >= min(MIN_STATEMENTS_PER_THEME, len(everything))
        dropped = [s for s in everything if key(s) not in kept_keys]
        if dropped and len(kept) > MIN_STATEMENTS_PER_THEME:  # statements backed by fewer records go first
            assert max(len(s.citations) for s in dropped) <= min(len(s.citations) for s in kept)
        dropped_records |= {p for s in dropped for p in s.citations}
        theme = next(t for t in themes if t.label == after.heading)
        assert after.paragraphs[0].sentences[0].text.startswith(f"{len(theme.pmids)} of the records address")

    for sentence in (s for s in tight.sentences() if s.kind == "finding"):
        quoted = [p for p in sentence.citations if p not in sentence.consistent]
        assert len(quoted) == 1
        abstract = " ".join(section.text for section in records[quoted[0]].abstract)
        assert sentence.checked_text in abstract  # still a verbatim quote of the record it cites
        for support in sentence.supports:  # and each agreeing record's own finding is verbatim in it
            assert support.quote in " ".join(section.text for section in records[support.pmid].abstract)
    meta = [s.text for s in tight.sentences() if s.kind == "meta"]
    assert meta[0].startswith("This review addresses") and f"It draws on {len(cards)} records" in meta[0]

    references = build_references(tight.cited_pmids(), records)
    assert [(r.number, r.pmid) for r in references] == list(enumerate(tight.cited_pmids(), start=1))
    gone = dropped_records - set(tight.cited_pmids())  # records no longer quoted anywhere
    assert gone and not gone & {r.pmid for r in references}


def test_disagreements_and_counts_survive_trimming(terminology, sleep_evidence):
    plan, cards, records, themes = sleep_evidence
    full = Synthesiser(10_000, terminology).process(plan, cards, records, themes)
    tight = Synthesiser(600, terminology).process(plan, cards, records, themes)

    def section(draft, key):
        return next(s for s in draft.sections if s.key == key)

    def texts(draft):
        return [s.text for p in section(draft, "disagreements").paragraphs for s in p.sentences]

    assert texts(full) and texts(full) == texts(tight)  # what was checked and found stays, whatever the budget
    counts = section(full, "gaps").paragraphs[0].sentences[0].text
    human = sum(1 for c in cards if c.level.kind == "human")
    assert counts.startswith(f"{human} 项人类研究中") and section(tight, "gaps").paragraphs[0].sentences[0].text == counts


def test_the_job_honours_research_max_words_and_numbers_only_cited_records(sample_copy_settings):
    settings = load_settings(home=sample_copy_settings.home, llm={"backend": "none"}, research={"max_words": 800})
    services = Services.from_settings(settings)
    runner = research_runner(services)
    job = runner.run(runner.submit(ResearchRequest.create(CSF_QUESTION, settings).params()).id)
    assert job.state == "done", job.message
    review = review_of(job)
    assert review.sources == SOURCES and review.word_count(services.terminology) <= 800
    assert job.result["review"]["word_count"] == review.word_count(services.terminology)
    cited = review.draft.cited_pmids()
    assert [r.pmid for r in review.references] == cited and len(cited) < SOURCES  # records trimmed out are not listed
    body = job.result["review"]["markdown"].split("## About this review")[0]
    assert set(parse_marker(body)) == set(range(1, len(cited) + 1))
    services.close()


@pytest.mark.parametrize("words", [499, 10_001])
def test_max_words_outside_sensible_bounds_is_refused(words, tmp_path):
    with pytest.raises(ConfigError, match="research.max_words"):
        load_settings(home=tmp_path, research={"max_words": words})
