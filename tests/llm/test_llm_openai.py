"""The OpenAI-compatible backend against llama-cpp-python's real server on loopback."""

from __future__ import annotations

import time

import pytest

from medbridge.llm import ChatMessage, ChatRequest, LLMError, get_llm
from medbridge.llm.openai_compat import OpenAICompatibleLLM
from medbridge.settings import load_settings

pytestmark = pytest.mark.slow

ARITHMETIC = [
    ChatMessage("system", "You are a calculator. Answer with the number only."),
    ChatMessage("user", "What is 2+2?"),
]


def endpoint(base_url: str, model: str = "small", **options: object) -> OpenAICompatibleLLM:
    return OpenAICompatibleLLM(base_url, model, max_tokens=32, **options)


def test_factory_builds_the_endpoint_client_from_settings(tmp_path, llama_server) -> None:
    settings = load_settings(home=tmp_path, llm={"backend": "openai", "base_url": llama_server.base_url + "/", "model": "small"})

    llm = get_llm(settings)

    assert llm.model_id == f"openai:{llama_server.base_url}#small"
    assert "4" in llm.complete(ARITHMETIC, temperature=0)


def test_complete(llama_server) -> None:
    answer = endpoint(llama_server.base_url).complete(ARITHMETIC, temperature=0)

    assert "4" in answer
    assert len(answer) < 40


def test_stream(llama_server) -> None:
    llm = endpoint(llama_server.base_url)

    pieces = list(llm.stream([ChatMessage("user", "Count from 1 to 5, separated by commas.")], temperature=0))

    assert len(pieces) > 3
    assert "1, 2, 3, 4, 5" in "".join(pieces)


def test_stop_sequence_is_sent(llama_server) -> None:
    llm = endpoint(llama_server.base_url)

    stopped = llm.complete([ChatMessage("user", "Count from 1 to 10, separated by commas.")], temperature=0, stop=["5"])

    assert "4" in stopped and "5" not in stopped


def test_unreachable_endpoint_is_retried_then_explained(dead_endpoint) -> None:
    llm = endpoint(dead_endpoint, max_retries=2, backoff_s=0.1)

    started = time.monotonic()
    with pytest.raises(LLMError, match=rf"^cannot reach LLM endpoint {dead_endpoint}: connection refused$"):
        llm.complete(ARITHMETIC)
    assert time.monotonic() - started >= 0.1 + 0.2  # two backoff waits before giving up


def test_unreachable_endpoint_fails_a_stream_before_any_text(dead_endpoint) -> None:
    llm = endpoint(dead_endpoint, max_retries=0)

    with pytest.raises(LLMError, match="connection refused"):
        next(llm.stream(ARITHMETIC))


@pytest.mark.parametrize("status", [503, 429])
def test_transient_errors_are_retried_until_the_answer_comes(flaky_front, status) -> None:
    flaky_front.failures, flaky_front.status = 2, status
    llm = endpoint(flaky_front.base_url, max_retries=3, backoff_s=0.01)

    assert "4" in llm.complete(ARITHMETIC, temperature=0)
    assert len(flaky_front.received) == 3


def test_retries_give_up_with_the_endpoint_message(flaky_front) -> None:
    flaky_front.failures = 10
    llm = endpoint(flaky_front.base_url, max_retries=1, backoff_s=0.01)

    with pytest.raises(LLMError, match=r"answered HTTP 503: try again later$"):
        llm.complete(ARITHMETIC)
    assert len(flaky_front.received) == 2


def test_streamed_answer_is_parsed_through_a_front(flaky_front, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local-test")
    llm = endpoint(flaky_front.base_url)

    assert "4" in "".join(llm.stream(ARITHMETIC, temperature=0))
    assert flaky_front.received == [{"path": "/v1/chat/completions", "authorization": "Bearer sk-local-test"}]


def test_http_error_status_is_explained_without_retrying(llama_server) -> None:
    wrong_path = llama_server.base_url.removesuffix("/v1") + "/not-v1"
    llm = endpoint(wrong_path, max_retries=3, backoff_s=5)

    started = time.monotonic()
    with pytest.raises(LLMError, match=r"^LLM endpoint http://127\.0\.0\.1:\d+/not-v1/chat/completions answered HTTP 404: "):
        llm.complete(ARITHMETIC)
    assert time.monotonic() - started < 5  # a 404 is not transient: no backoff wait


def test_complete_many_sends_requests_concurrently_and_takes_follow_ups(llama_server) -> None:
    llm = endpoint(llama_server.base_url, parallel=3)
    questions = [[ARITHMETIC[0], ChatMessage("user", f"What is {a}+{a}?")] for a in (1, 2, 3)]
    order: list[int] = []

    def follow(index: int, reply: str) -> list[ChatRequest]:
        order.append(index)
        return [ChatRequest(ARITHMETIC)] if index == 0 else []

    answers = llm.complete_many([ChatRequest(q) for q in questions], temperature=0, on_done=follow)

    assert [a.strip() for a in answers] == ["2", "4", "6", "4"]
    assert sorted(order) == [0, 1, 2, 3] and order[-1] == 3  # the follow-up came last


def test_complete_many_reports_an_unreachable_endpoint(dead_endpoint) -> None:
    with pytest.raises(LLMError, match="cannot reach LLM endpoint"):
        endpoint(dead_endpoint, max_retries=0).complete_many([ChatRequest(ARITHMETIC)] * 3)
