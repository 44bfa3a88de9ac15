"""Optional LLM rewrite of the question, against an OpenAI-compatible endpoint on loopback (the real HTTP
protocol; in production the endpoint is another machine)."""

import json

import pytest
from openai_endpoint import openai_endpoint

from medbridge.llm import get_llm
from medbridge.settings import load_settings
from medbridge.search.understand import interpret

REPLY = "ketamine; rapid antidepressant effect; NMDA receptors"


@pytest.fixture
def endpoint():
    with openai_endpoint(REPLY) as served:
        yield served


def test_llm_rewrite_adds_concepts_the_dictionary_missed(terminology, endpoint, tmp_path):
    url, requests = endpoint
    llm = get_llm(load_settings(home=tmp_path, llm={"backend": "openai", "base_url": url, "max_retries": 0}))
    without = interpret("氯胺酮为什么起效快", terms=terminology)
    with_llm = interpret("氯胺酮为什么起效快", terms=terminology, llm=llm)
    assert [c.en for c in without.concepts] == ["ketamine"]
    added = [c for c in with_llm.concepts if c.origin == "llm"]
    assert {c.mesh_name for c in added} >= {"Receptors, N-Methyl-D-Aspartate"}
    assert [c.en for c in with_llm.concepts].count("ketamine") == 1  # already known: not added twice
    assert requests[0]["path"].endswith("/chat/completions")
    assert "氯胺酮为什么起效快" in json.dumps(requests[0]["body"], ensure_ascii=False)
