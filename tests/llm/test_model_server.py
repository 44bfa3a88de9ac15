"""``medbridge model-server``: the real 0.5B GGUF behind the OpenAI-compatible API, used by other processes'
``openai`` backend; concurrent clients are decoded in shared batches (one model copy, one batch)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from loopback_app import serve_app

from medbridge.llm.base import ChatMessage
from medbridge.llm.server import create_model_app
from medbridge.services import Services
from medbridge.settings import LLMSettings

pytestmark = pytest.mark.slow


def test_concurrent_clients_share_the_model_and_its_batches(settings, with_small_model):
    app = create_model_app(Services(with_small_model(settings)).llm)
    with serve_app(app) as base:
        client = Services(settings.model_copy(update={"llm": LLMSettings(
            backend="openai", base_url=f"{base}/v1", max_retries=0, max_tokens=12, temperature=0)})).llm
        questions = ["Name one symptom of Alzheimer disease.", "What does CSF stand for?",
                     "Translate 'brain' into Chinese.", "Name one neurotransmitter."]
        with ThreadPoolExecutor(4) as pool:
            replies = list(pool.map(lambda q: client.complete([ChatMessage("user", q)]), questions))
        assert all(reply.strip() for reply in replies)
        assert app.state.batching.batches < len(questions)  # overlapping clients joined a running batch
        streamed = "".join(client.stream([ChatMessage("user", "Say hello.")], max_tokens=8))
        assert streamed.strip()
