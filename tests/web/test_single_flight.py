"""A record's translation asked for by many readers at once runs once: later readers follow the first one's
translation, in the same web process or in another one over the same store. The model is an OpenAI-compatible
endpoint on loopback (the protocol hosted models speak)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from loopback_app import serve_app
from openai_endpoint import openai_endpoint

from medbridge.services import Services
from medbridge.settings import load_settings
from medbridge.web.app import create_app

REPLY = "脑脊液生物标志物可用于阿尔茨海默病的诊断。"


@pytest.fixture
def endpoint():
    with openai_endpoint(REPLY, delay_s=0.2) as served:  # a model takes time
        yield served


def read_stream(base: str, pmid: int, to: str) -> list[dict]:
    with httpx.stream("GET", f"{base}/api/records/{pmid}/translation", params={"to": to}, timeout=120) as response:
        return [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")]


def test_many_readers_in_two_processes_share_one_translation(sample_copy_settings, endpoint):
    url, requests = endpoint
    settings = load_settings(home=sample_copy_settings.home, llm={"backend": "openai", "base_url": url, "max_retries": 0},
                             translation={"max_retries": 0})
    pmid = next(r.pmid for r in Services(settings).store.iter_records() if len(r.abstract) >= 2)
    with serve_app(create_app(Services(settings))) as first, serve_app(create_app(Services(settings))) as second:
        alone = read_stream(first, pmid, "zh-Hant")  # one reader: what one translation of the record costs
        one_translation = len(requests)
        assert alone[-1]["type"] == "done" and one_translation > 0, alone[-1]
        with ThreadPoolExecutor(4) as pool:
            streams = list(pool.map(lambda base: read_stream(base, pmid, "zh"), [first, second, first, second]))
    total = streams[0][0]["total"]
    for events in streams:  # every reader saw every text arrive, once
        assert events[-1] == {"type": "done", "total": total, "done": total}
        units = [e["index"] for e in events if e["type"] == "unit"]
        assert len(units) == len(set(units)) == total - events[0]["done"]
    assert len(requests) - one_translation == one_translation  # four readers, two processes, one translation
