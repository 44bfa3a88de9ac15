"""End to end with the real Translator on the small local model (Qwen2.5-Coder-0.5B GGUF through llama.cpp):
a slide deck and a paper page come back in Chinese, layout intact, with the QA summary on the result."""

from __future__ import annotations

import os
from pathlib import Path

import pymupdf
import pytest

import doc_samples

from medbridge.documents.fidelity import measure_pdf
from medbridge.documents.pipeline import DocumentTask, translate_document
from medbridge.llm.models import MODELS, ensure_model
from medbridge.services import Services
from medbridge.settings import load_settings
from medbridge.text import is_cjk

pytestmark = pytest.mark.slow
SMALL = MODELS["qwen2.5-coder-0.5b"]
# the same per-machine cache the LLM tests use, so the 490 MB model is joined once
MODEL_CACHE = Path(os.environ.get("MEDBRIDGE_TEST_MODEL_CACHE", "/tmp/medbridge-test-models")) / SMALL.sha256[:12]


@pytest.fixture(scope="module")
def model_translator(tmp_path_factory):
    path = ensure_model(SMALL, MODEL_CACHE)
    home = tmp_path_factory.mktemp("model-home")
    settings = load_settings(home=home, llm={"backend": "local", "model_path": str(path), "n_ctx": 2048})
    services = Services.from_settings(settings)
    return services.document_translator, services.store


def test_deck_translated_by_the_model(model_translator, sample_dir, tmp_path, limits):
    translator, _ = model_translator
    result = translate_document(DocumentTask(sample_dir / "deck.pptx", "zh", tmp_path / "deck.zh.pptx"), translator, limits)
    from pptx import Presentation

    texts = [s.text_frame.text for slide in Presentation(str(result.output)).slides for s in slide.shapes if s.has_text_frame]
    chinese = [t for t in texts if is_cjk(t)]
    assert len(chinese) >= len([t for t in texts if t.strip()]) - 1
    assert isinstance(result.qa, dict)


def test_pdf_table_translated_by_the_model_keeps_layout(model_translator, tmp_path, limits):
    translator, _ = model_translator
    source = tmp_path / "table.pdf"
    doc_samples.build_table_pdf(source)
    result = translate_document(DocumentTask(source, "zh", tmp_path / "table.zh.pdf"), translator, limits)
    report = measure_pdf(source, result.output, result.document)
    assert report.ok, report.problems
    assert report.target_share >= 0.5, "most placed text is Chinese even with the smallest model"
    # a second run is served by the store's translation cache: same output text, no model calls
    calls = translator.calls
    again = translate_document(DocumentTask(source, "zh", tmp_path / "again.pdf"), translator, limits)
    assert translator.calls == calls
    with pymupdf.open(result.output) as a, pymupdf.open(again.output) as b:
        assert a[0].get_text() == b[0].get_text()
