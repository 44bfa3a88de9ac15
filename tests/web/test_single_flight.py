"""A record's translation asked for by many readers at once runs once: later readers follow the first one's
translation. The model is an OpenAI-compatible endpoint on loopback (the protocol hosted models speak)."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from openai_endpoint import openai_endpoint

from medbridge.settings import load_settings
from medbridge.web.app import create_app
from pgcluster import free_port

REPLY = "脑脊液生物标志物可用于阿尔茨海默病的诊断。"


@pytest.fixture
def endpoint():
    with openai_endpoint(REPLY, delay_s=0.2) as served:  # a model takes time
        yield served


def read_stream(base: str, pmid: int, to: str) -> list[dict]:
    with httpx.stream("GET", f"{base}/api/records/{pmid}/translation", params={"to": to}, timeout=120) as response:
        return [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")]


def test_many_readers_of_one_record_share_one_translation(sample_copy_settings, endpoint):
    url, requests = endpoint
    settings = load_settings(home=sample_copy_settings.home, llm={"backend": "openai", "base_url": url, "max_retries": 0},
                             translation={"max_retries": 0})
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive()
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        pmid = next(r.pmid for r in settings_records(settings) if len(r.abstract) >= 2)
        alone = read_stream(base, pmid, "zh-Hant")  # one reader: what one translation of the record costs
        one_translation = len(requests)
        assert alone[-1]["type"] == "done" and one_translation > 0, alone[-1]
        with ThreadPoolExecutor(4) as pool:
            streams = list(pool.map(lambda _: read_stream(base, pmid, "zh"), range(4)))
    finally:
        server.should_exit = True
        thread.join(10)
    total = streams[0][0]["total"]
    for events in streams:  # every reader saw every text arrive, once
        assert events[-1] == {"type": "done", "total": total, "done": total}
        units = [e["index"] for e in events if e["type"] == "unit"]
        assert len(units) == len(set(units)) == total - events[0]["done"]
    assert len(requests) - one_translation == one_translation  # four readers, one translation


def settings_records(settings):
    from medbridge.store import open_store

    return open_store(settings).iter_records()
