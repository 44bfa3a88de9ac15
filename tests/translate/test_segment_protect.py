"""Segmentation, span protection and markup preservation on real abstract text."""

from __future__ import annotations

import html
import re

import pytest

from medbridge.translate.protect import PLACEHOLDER_STYLES, defined_abbreviations, is_symbol, protect
from medbridge.translate.segment import split_markup_sentences, split_sentences


def test_english_sentences_follow_pysbd_and_keep_abbreviations_and_numbers_whole():
    text = "Dr. Smith et al. found AUC 0.78 (95% CI, 0.75-0.82). P < .001 held. Patients were followed for 2 years."
    sentences = split_sentences(text, "en")
    assert [s.strip() for s in sentences] == [
        "Dr. Smith et al. found AUC 0.78 (95% CI, 0.75-0.82).",
        "P < .001 held.",
        "Patients were followed for 2 years.",
    ]
    assert "".join(sentences) == text


def test_chinese_and_japanese_split_on_sentence_punctuation():
    zh = "我们发现显著相关：浓度升高。是否如此？是的！结论；讨论。"
    assert split_sentences(zh, "zh") == ["我们发现显著相关：浓度升高。", "是否如此？", "是的！", "结论；", "讨论。"]
    assert split_sentences(zh, "zh", clause_marks=False) == ["我们发现显著相关：浓度升高。", "是否如此？", "是的！", "结论；讨论。"]
    assert split_sentences("「はい。」と言った。次です。", "ja") == ["「はい。」", "と言った。", "次です。"]


def test_markup_sentences_cover_the_fragment_and_never_cut_inside_a_tag(reference_pairs):
    results = next(p.en for p in reference_pairs if p.label == "RESULTS")
    fragment = html.escape(results, quote=False).replace("Abeta42", "A<i>beta</i><sub>42</sub>", 1)
    fragment = fragment.replace("During follow-up", "<b>During follow-up", 1).replace("dementias.", "dementias.</b>", 1)
    pieces = split_markup_sentences(fragment, "en")
    assert "".join(pieces) == fragment
    assert len(pieces) == len(split_sentences(results, "en"))
    assert all(re.findall(r"<(\w+)>", p) == re.findall(r"</(\w+)>", p) for p in pieces)
    # A bold span over two sentences keeps them together.
    bold = "<b>One finding. Another one.</b> Third &amp; last."
    assert split_markup_sentences(bold, "en") == ["<b>One finding. Another one.</b> ", "Third &amp; last."]


@pytest.mark.parametrize(
    "token, expected",
    [("NMDA", True), ("mTOR", True), ("Abeta42", True), ("T-tau", True), ("CSF", True), ("p53", True), ("BDNF", True),
     ("Alzheimer", False), ("The", False), ("1990s", False), ("tau", False), ("20th", False),
     ("non-AD", False), ("peptide42", False), ("CSF/phospho-tau199", False), ("anti-NMDA", False)],
)
def test_symbol_recognition(token, expected):
    assert is_symbol(token) is expected


def test_protected_spans_of_a_results_section(reference_pairs):
    results = next(p.en for p in reference_pairs if p.label == "RESULTS")
    spans = {s.text for s in protect(results).spans}
    assert {"P < .001", "96-1075 ng/L", "95% CI, 0.72-0.80", "95% CI, 78%-88%", "Abeta42/P-tau", "MCI", "T-tau"} <= spans
    # Bare counts, percentages and unit-less numbers stay for the model to read (QA checks them).
    assert not any(s in spans for s in ("271", "62%", "0.78", "The", "Patients"))


def test_urls_dois_emails_and_defined_abbreviations_are_protected():
    text = "See doi:10.1001/jama.2009.1064 or https://pubmed.ncbi.nlm.nih.gov/19622817/, mail a.b@uni-x.de. Amyloid peptide (Abeta) rose; Abeta fell."
    protected = protect(text)
    spans = [s.text for s in protected.spans]
    assert spans[:3] == ["doi:10.1001/jama.2009.1064", "https://pubmed.ncbi.nlm.nih.gov/19622817/", "a.b@uni-x.de"]
    assert "Abeta" in spans and protected.text.count(protected.style.make(spans.index("Abeta") + 1)) == 2


def test_defined_abbreviations_in_parentheses():
    text = "tau phosphorylated at serine 199 (CSF/phospho-tau199), the kinase (mTOR) and/or (and/or) peptide (Abeta)"
    assert defined_abbreviations(text) == {"CSF/phospho-tau199", "mTOR", "Abeta"}


def test_headings_in_capitals_are_words_not_abbreviations():
    assert protect("DESIGN, SETTING, AND PARTICIPANTS").spans == []


def test_compounds_with_english_words_keep_only_their_symbols():
    # Found in PubMed abstracts: as whole markers the 1.5B model dropped them, words and all.
    protected = protect("Levels of CSF/phospho-tau199 in non-AD-demented subjects, beta-amyloid peptide42 and GluN2B-containing receptors.")
    assert [s.text for s in protected.spans] == ["CSF", "AD", "GluN2B"]
    assert "⟦1⟧/phospho-tau199" in protected.text and "non-⟦2⟧-demented" in protected.text and "peptide42" in protected.text
    assert "-containing" in protected.text


def test_glossary_surfaces_stay_visible():
    assert [s.text for s in protect("CSF Abeta42 in MCI", keep={"CSF"}).spans] == ["Abeta42", "MCI"]


@pytest.mark.parametrize("style", PLACEHOLDER_STYLES.values(), ids=PLACEHOLDER_STYLES.keys())
def test_round_trip_on_every_reference_text(reference_pairs, style):
    for pair in reference_pairs:
        protected = protect(pair.en, style=style)
        assert protected.restore(protected.text) == pair.en
        assert protected.marker_problems(protected.text) == []


def test_marker_problems_missing_duplicated_invented():
    protected = protect("CSF Abeta42 was 356 ng/L (P < .001) in AD.")
    text = protected.text  # ⟦1⟧ was ⟦2⟧ (⟦3⟧) in ⟦4⟧.
    assert text.count("⟦") == 4
    damaged = text.replace("⟦2⟧", "").replace("⟦4⟧", "⟦4⟧ ⟦4⟧") + " ⟦9⟧"
    messages = [p.message for p in protected.marker_problems(damaged)]
    assert any("'356 ng/L' was dropped" in m for m in messages)
    assert any("'AD' appears 2 times" in m for m in messages)
    assert any("invented marker ⟦9⟧" in m for m in messages)
    assert all(p.check == "placeholder" for p in protected.marker_problems(damaged))
    assert protected.restore("⟦ 1 ⟧为⟦2⟧") == "CSF Abeta42为356 ng/L"  # spaces inside brackets tolerated


def test_markup_tags_survive_translation_and_text_is_escaped():
    source = "Effect of <i>APOE</i> ε4 on Ca<sup>2+</sup> influx &amp; <b>memory</b> (P &lt; .05)"
    protected = protect(source, markup=True)
    assert "<" not in protected.text and "&amp;" not in protected.text
    markers = protected.style.pattern.findall(protected.text)
    # A model answer that moves the words around but keeps every marker once; it adds a raw "<" of its own.
    answer = protected.text.replace("Effect of", "<作用>").replace("memory", "记忆").replace("influx", "内流")
    restored = protected.restore(answer)
    assert "<i>APOE</i> ε4" in restored and "<sup>" in restored and "</sup>" in restored
    assert "<b>记忆</b>" in restored and "&lt;作用&gt;" in restored and "P &lt; .05" in restored
    assert protected.marker_problems(answer) == [] and len(markers) >= 4


def test_markup_stays_well_formed_when_a_tag_marker_is_lost():
    protected = protect("<i>in vivo</i> data", markup=True)
    close = protected.style.make(len(protected.spans))
    broken = protected.text.replace(close, "")
    assert protected.restore(broken) == "in vivo data"
    assert protected.marker_problems(broken)[0].check == "placeholder"


def test_markers_rewritten_by_a_small_model_are_still_recognised():
    protected = protect("Levels were 356 ng/L (P < .001).")
    answer = "水平为[1]（【2】）。"
    assert protected.marker_problems(answer) == []
    assert protected.restore(answer) == "水平为356 ng/L（P < .001）。"
    # With citations like "[1]" in the text, only the real marker form counts.
    cited = protect("Levels were 356 ng/L [1].")
    assert cited.restore("水平为⟦1⟧[1]。") == "水平为356 ng/L[1]。"


def test_structured_labels_in_capitals_are_words_to_translate():
    labelled = protect("<b>DESIGN, SETTING, AND PARTICIPANTS:</b> 529 with AD and 304 controls.", markup=True)
    assert labelled.text.startswith("⟦1⟧DESIGN, SETTING, AND PARTICIPANTS:⟦2⟧ ")
    assert [s.text for s in labelled.spans if s.text] == ["AD"]  # abbreviations after the label stay protected
    assert [s.text for s in protect("RESULTS: NMDA rose.").spans] == ["NMDA"]
    assert [s.text for s in protect("MCI: a review of CSF.").spans] == ["MCI", "CSF"]  # too short to be a label
