"""The shared text helpers: CJK detection, language guess, sentence split, Chinese numerals."""

from __future__ import annotations

import pytest

from medbridge.text import guess_language, is_cjk, sentence_texts, split_sentences, weighted_length, zh_numeral_value


@pytest.mark.parametrize(("text", "cjk"), [
    ("阿尔茨海默病", True), ("tau蛋白", True), ("ひらがな", True), ("한국어", True), ("㐀", True),  # ext. A
    ("Alzheimer disease", False), ("。，、", False), ("", False),
])
def test_cjk_detection_covers_han_kana_hangul_not_punctuation(text, cjk):
    assert is_cjk(text) is cjk


@pytest.mark.parametrize(("text", "language"), [
    ("阿尔茨海默病", "zh"),
    ("tau PET", "en"),
    ("tau蛋白PET显像", "zh"),
    ("metformin 认知 RCT", "zh"),                       # a Chinese question naming English terms
    ("阿尔茨海默病 cerebrospinal fluid biomarkers amyloid tau", "zh"),
    ("Qi (气) is a concept of traditional Chinese medicine that practitioners relate to circulation, "
     "and this abstract discusses how trials of acupuncture measured it in older adults with dementia.", "en"),
])
def test_one_language_guess_for_questions_and_texts(text, language):
    assert guess_language(text) == language


def test_weighted_length_counts_a_chinese_character_like_several_letters():
    assert weighted_length("阿尔茨海默病") == pytest.approx(6 * 3.3)
    assert weighted_length("tau PET.") == 7  # spaces not counted
    assert weighted_length("蛋白。") == pytest.approx(3 * 3.3)  # full-width punctuation weighs as much


def test_sentences_cover_the_text_and_keep_numbers_whole():
    text = "Rates were 1.73% in controls and 3.5% in AD (p < 0.01 vs. controls). Smith et al. agreed.  Next one."
    pieces = split_sentences(text, "en")
    assert "".join(pieces) == text
    assert [p.strip() for p in pieces] == sentence_texts(text) == [
        "Rates were 1.73% in controls and 3.5% in AD (p < 0.01 vs. controls).", "Smith et al. agreed.", "Next one."]


def test_chinese_sentences_end_at_chinese_punctuation():
    text = "我们发现显著相关。2019年的研究如何？结论；讨论。"
    assert split_sentences(text, "zh") == ["我们发现显著相关。", "2019年的研究如何？", "结论；", "讨论。"]
    assert sentence_texts(text, "zh", clause_marks=False) == ["我们发现显著相关。", "2019年的研究如何？", "结论；讨论。"]


@pytest.mark.parametrize(("word", "value"), [
    ("一", 1), ("两", 2), ("十", 10), ("十二", 12), ("二十", 20), ("二十三", 23), ("三百", 300), ("百", 100),
    ("十十", None), ("五六", None),
])
def test_chinese_numerals(word, value):
    assert zh_numeral_value(word) == value
