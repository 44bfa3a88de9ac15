"""Shipped Chinese titles of the sample: made by the real (small) model, resumable, looked up by pmid + English."""

import re

import pytest

from medbridge.llm import get_llm
from medbridge.translate import Translator
from medbridge.translate.sample_titles import load_sample_titles, title_hash, translate_missing

TITLES = {
    19622817: "CSF biomarkers and incipient Alzheimer disease in patients with mild cognitive impairment.",
    29113975: "Ketamine in the treatment of depression.",
    23622690: "CSF biomarker variability in the Alzheimer's Association quality control program.",
}


@pytest.mark.slow
def test_titles_translated_in_batches_and_resumed(terminology, small_settings, tmp_path):
    translator = Translator(get_llm(small_settings()), terminology=terminology)  # no store: nothing cached between the runs
    path = tmp_path / "titles.json.gz"
    seen = []
    translate_missing(translator, TITLES, path, batch=2, limit=2, progress=lambda done, todo, _: seen.append((done, todo)))
    assert seen == [(2, 2)] and len(load_sample_titles(path)) == 2
    calls = translator.calls
    entries = translate_missing(translator, TITLES, path, batch=2)  # resumes: only the third is translated
    assert translator.calls > calls and len(entries) == 3
    for pmid, entry in entries.items():
        assert entry["hash"] == title_hash(TITLES[pmid]) and re.search(r"[\u4e00-\u9fff]", entry["zh"])
    calls = translator.calls
    translate_missing(translator, {**TITLES, 19622817: "A changed title."}, path, batch=2)
    assert translator.calls > calls and load_sample_titles(path)[19622817]["hash"] == title_hash("A changed title.")
