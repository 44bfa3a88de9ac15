"""What is left untranslated, and styled runs through markup and back."""

from __future__ import annotations

import pytest

from medbridge.documents.ir import Run
from medbridge.documents.languages import target_share
from medbridge.documents.segments import markup_to_runs, runs_to_markup, skip_reason, translated_runs


@pytest.mark.parametrize("text,reason", [
    ("https://doi.org/10.1001/jama.2009.1064", "url"),
    ("doi:10.1016/j.neuron.2009.07.001", "doi"),
    ("10.1038/nature12345", "doi"),
    ("71.3 ± 6.2", "number"),
    ("(12)", "number"),
    ("y = α + β·x + ε", "formula"),
    ("E = mc2", "formula"),
    ("for (int i = 0; i < n; i++) {", "code"),
    ("   ", "empty"),
    ("Mild cognitive impairment", None),
    ("The p value was < 0.05 in both groups of patients.", None),
    ("阿尔茨海默病患者", None),
])
def test_skip_reasons(text, reason):
    assert skip_reason(text) == reason


def test_math_fonts_mark_a_formula():
    assert skip_reason("x y z", ("CMMI10", "CMSY10")) == "formula"


def test_single_style_blocks_travel_as_plain_text():
    runs = [Run("Healthy "), Run("controls <65 y")]
    assert runs_to_markup(runs) == "Healthy controls <65 y"
    assert translated_runs(runs, "健康对照 <65 岁") == [Run("健康对照 <65 岁")]


def test_mixed_styles_round_trip_through_markup():
    runs = [Run("Background. ", bold=True), Run("Amyloid", italic=True), Run(" rises"), Run("2", superscript=True)]
    markup = runs_to_markup(runs)
    assert markup == "<b>Background. </b><i>Amyloid</i> rises<sup>2</sup>"
    back = markup_to_runs("<b>背景。</b><i>淀粉样蛋白</i>升高 &lt;5<sup>2</sup>")
    assert [(r.text, r.style) for r in back] == [
        ("背景。", (True, False, False, False)),
        ("淀粉样蛋白", (False, True, False, False)),
        ("升高 <5", (False, False, False, False)),
        ("2", (False, False, True, False)),
    ]


def test_unbalanced_or_unknown_tags_degrade_to_text():
    assert [r.text for r in markup_to_runs("<b>a <span>b</span>")] == ["a ", "b"]


def test_target_share():
    assert target_share("阿尔茨海默病 disease", "zh") == pytest.approx(6 / 13)
    assert target_share("12.5 ± 3", "zh") == 1.0
    assert target_share("Болезнь Альцгеймера", "ru") == 1.0
