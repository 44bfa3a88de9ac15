"""Each QA check on real reference translations (good pairs must pass) and on corrupted copies (each
corruption must be caught by the check made for it)."""

from __future__ import annotations

import re

import pytest

from medbridge.terms import GlossaryEntry
from medbridge.translate.qa import (
    AdditionCheck,
    ForeignContentCheck,
    GlossaryCheck,
    InconsistentTermCheck,
    NumbersCheck,
    OmissionCheck,
    QAContext,
    RepetitionCheck,
    UntranslatedCheck,
    numbers_in,
    qa_report,
    run_checks,
    source_language_share,
)
from medbridge.translate.languages import get_language

KETAMINE = GlossaryEntry("ketamine", "氯胺酮", "drug", zh_variants=("克他命",))


@pytest.fixture(scope="module")
def ctx(terminology) -> QAContext:
    return QAContext.create("en", "zh", terminology)


@pytest.fixture(scope="module")
def isf_pair(reference_pairs):
    """The five-sentence abstract of PMID 18755980 and its reference translation."""
    return next(p for p in reference_pairs if p.pmid == "18755980" and p.label != "TITLE")


def sentences(zh: str) -> list[str]:
    return [s for s in re.split(r"(?<=。)", zh) if s]


def errors(problems, check=None):
    return [p for p in problems if p.severity == "error" and (check is None or p.check == check)]


def test_reference_translations_pass_every_check(reference_pairs, ctx):
    problems = run_checks([p.en for p in reference_pairs], [p.zh for p in reference_pairs], ctx)
    # The references word some terms otherwise than the packaged glossary ("tau" vs "tau蛋白"); that is the
    # glossary's call, so glossary-driven findings are left out here and tested with explicit entries below.
    assert [p for p in errors(problems) if p.check not in ("glossary", "inconsistent_term")] == []


def test_dropped_sentence_is_an_omission(isf_pair, ctx):
    parts = sentences(isf_pair.zh)
    dropped = "".join(parts[:2] + parts[3:])
    found = errors(OmissionCheck().check([isf_pair.en], [dropped], ctx))
    assert len(found) == 1 and found[0].source_span.startswith("We found a strong positive correlation")


def test_truncated_translation_is_an_omission(reference_pairs, ctx):
    results = next(p for p in reference_pairs if p.label == "RESULTS")
    truncated = results.zh[: len(results.zh) // 3]
    assert errors(OmissionCheck().check([results.en], [truncated], ctx))


def test_changed_number_is_caught(isf_pair, ctx):
    found = errors(NumbersCheck().check([isf_pair.en], [isf_pair.zh.replace("18例", "19例")], ctx))
    assert {p.source_span or p.target_span for p in found} == {"18", "19"}


def test_number_normalisation(terminology):
    en, zh = get_language("en"), get_language("zh")
    assert numbers_in("P < .05, n = 1,279, 3.0", en) == numbers_in("P＜0.05，n＝１２７９，3", zh)
    assert set(numbers_in("0,78 (1.279 Patienten)", get_language("de"))) == {"0.78", "1279"}
    # Written-out numbers may stand for digits but are never required.
    assert NumbersCheck().check_pair("followed for 2 years in two parts", "随访两年，分两部分", QAContext.create("en", "zh", terminology)) == []


def test_inserted_advert_and_contacts_are_foreign_content(terminology, isf_pair, ctx):
    parts = sentences(isf_pair.zh)
    ad = "".join(parts[:2]) + "欢迎关注我们的微信公众号，点击链接www.example.com领取优惠，或致电13812345678。" + "".join(parts[2:])
    found = errors(ForeignContentCheck().check([isf_pair.en], [ad], ctx))
    spans = {p.target_span for p in found}
    assert {"公众号", "www.example.com", "13812345678"} <= spans
    english_ad = isf_pair.en + " Click here to subscribe!"
    assert errors(ForeignContentCheck().check([isf_pair.zh], [english_ad], QAContext.create("zh", "en", terminology)))


def test_unrelated_sentence_is_an_addition(isf_pair, ctx):
    parts = sentences(isf_pair.zh)
    added = "".join(parts[:3]) + "今天的天气非常晴朗，适合外出散步和野餐，大家都很开心。" + "".join(parts[3:])
    found = errors(AdditionCheck().check([isf_pair.en], [added], ctx))
    assert [p.target_span for p in found] == ["今天的天气非常晴朗，适合外出散步和野餐，大家都很开心。"]


def test_english_clause_left_in_chinese_is_untranslated(isf_pair, ctx):
    leftover = isf_pair.zh.replace("我们采用脑内微透析技术，", "we used intracerebral microdialysis，")
    found = errors(UntranslatedCheck().check([isf_pair.en], [leftover], ctx))
    assert [p.target_span for p in found] == ["we used intracerebral microdialysis"]


def test_half_an_english_word_glued_to_chinese_is_untranslated(ctx):
    # Seen from the 1.5B model: "soluble Abeta" came out as "溶uble的β淀粉样蛋白".
    source = "In accord, synaptic glutamate uptake was significantly decreased by soluble Abeta oligomers."
    found = errors(UntranslatedCheck().check([source], ["可溶uble的β淀粉样蛋白寡聚体显著降低了突触谷氨酸摄取。"], ctx))
    assert [p.target_span for p in found] == ["uble"]


def test_defined_compound_abbreviation_and_its_parts_may_stay(ctx):
    # PMID 11506396 defines "(CSF/phospho-tau199)"; a translation keeps it, and "tau" of it is no half-word.
    source = "Levels of tau protein phosphorylated at serine 199 (CSF/phospho-tau199) were elevated. Elevated CSF/phospho-tau199 in AD was noted."
    target = "丝氨酸199位磷酸化的tau蛋白（CSF/phospho-tau199）水平升高。AD患者的脑脊液/磷酸化tau199升高。"
    assert errors(UntranslatedCheck().check([source], [target], ctx)) == []
    leftover = target.replace("水平升高", "levels were elevated")
    assert [p.target_span for p in errors(UntranslatedCheck().check([source], [leftover], ctx))] == ["levels were elevated"]


def test_chinese_left_in_english_is_untranslated(terminology):
    found = UntranslatedCheck().check(["我们采用脑内微透析技术。"], ["We used 脑内微透析 technique."], QAContext.create("zh", "en", terminology))
    assert [p.target_span for p in found] == ["脑内微透析"]


def test_phrase_loop_and_repeated_sentence_are_repetition(isf_pair, ctx):
    loop = isf_pair.zh.replace("神经功能状态改善时", "神经功能状态改善时" * 5)
    assert errors(RepetitionCheck().check([isf_pair.en], [loop], ctx))
    parts = sentences(isf_pair.zh)
    repeated = "".join(parts[:2] + [parts[1]] + parts[2:])
    assert errors(RepetitionCheck().check([isf_pair.en], [repeated], ctx))
    assert RepetitionCheck().check([isf_pair.en], [isf_pair.zh], ctx) == []


def test_drug_spelled_two_ways_is_inconsistent(terminology):
    ctx = QAContext.create("en", "zh", terminology, glossary=[KETAMINE])
    sources = ["Ketamine reduced depressive symptoms.", "Patients received ketamine infusions."]
    good = ["氯胺酮减轻了抑郁症状。", "患者接受了氯胺酮输注。"]
    bad = ["氯胺酮减轻了抑郁症状。", "患者接受了克他命输注。"]
    assert InconsistentTermCheck().check(sources, good, ctx) == []
    found = InconsistentTermCheck().check(sources, bad, ctx)
    assert [(p.segment, p.target_span) for p in found] == [(1, "克他命")]


def test_glossary_violation_and_abbreviation_kept(terminology, reference_pairs):
    ctx = QAContext.create("en", "zh", terminology, glossary=[KETAMINE])
    found = GlossaryCheck().check(["Ketamine reduced symptoms."], ["克他命减轻了症状。"], ctx)
    assert len(found) == 1 and "'氯胺酮'" in found[0].message and found[0].target_span == "克他命"
    assert GlossaryCheck().check(["Ketamine reduced symptoms."], ["氯胺酮减轻了症状。"], ctx) == []
    # "MCI" kept as written counts as rendered (the reference's convention).
    objective = next(p for p in reference_pairs if p.label == "OBJECTIVE")
    assert not [p for p in GlossaryCheck().check([objective.en], [objective.zh], ctx) if p.source_span == "MCI"]


def test_latin_forms_chinese_keeps_and_defined_abbreviations_count_as_rendered(terminology):
    source = "Soluble Abeta facilitates long-term depression and tau aggregation."
    ctx = QAContext.create("en", "zh", terminology)
    kept = "可溶性Aβ促进长时程抑制和tau聚集。"  # Aβ and tau: Latin forms the glossary lists for Chinese
    assert errors(GlossaryCheck().check([source], [kept], ctx)) == []
    verbatim = "可溶性Abeta促进长时程抑制和tau聚集。"
    assert [p.source_span for p in errors(GlossaryCheck().check([source], [verbatim], ctx))] == ["Abeta"]
    ctx.abbreviations.add("Abeta")  # the document defines "amyloid-beta peptide (Abeta)" elsewhere
    assert errors(GlossaryCheck().check([source], [verbatim], ctx)) == []


def test_digits_of_a_glossary_term_are_not_data(ctx):
    source = "CSF Abeta42 was lower in 271 patients."
    assert NumbersCheck().check([source], ["271名患者的脑脊液β淀粉样蛋白42较低。"], ctx) == []
    changed = NumbersCheck().check([source], ["217名患者的脑脊液β淀粉样蛋白42较低。"], ctx)
    assert [(p.source_span, p.target_span) for p in changed] == [("271", None), (None, "217")]


def test_source_language_share_ignores_kept_abbreviations(reference_pairs, ctx):
    sources, targets = [p.en for p in reference_pairs], [p.zh for p in reference_pairs]
    assert source_language_share(sources, targets, ctx) < 0.01  # the references keep CSF, MCI, Abeta42… by convention
    half = [t if i % 2 else s for i, (s, t) in enumerate(zip(sources, targets))]  # every other text left in English
    assert source_language_share(sources, half, ctx) > 0.5


def test_qa_report_pairs_paragraphs(terminology, reference_pairs):
    pairs = [p for p in reference_pairs if p.pmid == "19622817"]
    source = "\n\n".join(p.en for p in pairs)
    target = "\n\n".join(p.zh for p in pairs)
    assert [p for p in errors(qa_report(source, target, "en", "zh", terminology)) if p.check not in ("glossary", "inconsistent_term")] == []
    damaged = target.replace("750名", "570名")
    found = errors(qa_report(source, damaged, "en", "zh", terminology), "numbers")
    assert found and all(p.segment == 3 for p in found)


def test_traditional_target_is_checked_in_simplified_form(terminology):
    ctx = QAContext.create("en", "zh-Hant", terminology, glossary=[KETAMINE])
    assert GlossaryCheck().check(["Ketamine helps."], ["氯胺酮有幫助。"], ctx) == []
    assert run_checks(["Ketamine helps."], ["氯胺酮有幫助。"], ctx) == []
