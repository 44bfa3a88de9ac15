"""End to end through the local llama.cpp backend with the small 0.5B GGUF: pipeline mechanics only (markers
restored, cache written, QA attached), not translation quality, which that model cannot deliver."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from medbridge.llm.models import MODELS, ensure_model
from medbridge.services import Services
from medbridge.settings import load_settings
from medbridge.store import open_store
from medbridge.translate import CACHE_NAMESPACE, get_language

pytestmark = pytest.mark.slow

SMALL = MODELS["qwen2.5-coder-0.5b"]
# The same machine-wide cache the LLM tests use, so the 490 MB file is assembled and hashed once.
MODEL_CACHE = Path(os.environ.get("MEDBRIDGE_TEST_MODEL_CACHE", "/tmp/medbridge-test-models")) / SMALL.sha256[:12]


def test_small_model_translates_with_markers_restored_and_cached(tmp_path):
    pytest.importorskip("llama_cpp")
    ensure_model(SMALL, MODEL_CACHE)
    home = tmp_path / "home"
    home.mkdir()
    (home / "models").symlink_to(MODEL_CACHE, target_is_directory=True)
    settings = load_settings(home=home, llm={"backend": "local", "model_path": SMALL.name, "n_ctx": 2048})
    store = open_store(settings)
    translator = Services(settings, store=store).translator
    source = "Median CSF Abeta42 was 356 ng/L (P < .001) in 18 patients with MCI."
    [result] = translator.translate_batch([source], source="en", target="zh")

    assert "⟦" not in result.target and result.target.strip()
    assert isinstance(result.problems, list) and result.flagged == any(p.severity == "error" for p in result.problems)
    # Every protected span the model kept is back verbatim; any it lost is reported, never silently dropped.
    for span in ("356 ng/L", "P < .001"):
        assert span in result.target or any(p.check in ("placeholder", "numbers") for p in result.problems)
    key = translator.cache_key(source, get_language("en"), get_language("zh"), translator.terminology)
    cached = json.loads(store.cache_get(CACHE_NAMESPACE, key))
    assert cached["target"] == result.target and cached["flagged"] == result.flagged
    calls = translator.calls
    assert translator.translate(source, source="en", target="zh").from_cache and translator.calls == calls
