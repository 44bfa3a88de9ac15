"""Optional LLM rewrite of the question, against an OpenAI-compatible endpoint on loopback (the real HTTP
protocol; in production the endpoint is another machine)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from medbridge.llm import get_llm
from medbridge.settings import load_settings
from medbridge.search.understand import interpret

REPLY = "ketamine; rapid antidepressant effect; NMDA receptors"


@pytest.fixture
def endpoint():
    requests: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            requests.append({"path": self.path, "body": body})
            payload = json.dumps({
                "id": "cmpl-1", "object": "chat.completion", "created": 0, "model": body.get("model", "m"),
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": REPLY}}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            }).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", requests
    server.shutdown()


def test_llm_rewrite_adds_concepts_the_dictionary_missed(endpoint, tmp_path):
    url, requests = endpoint
    llm = get_llm(load_settings(home=tmp_path, llm={"backend": "openai", "base_url": url, "max_retries": 0}))
    without = interpret("氯胺酮为什么起效快")
    with_llm = interpret("氯胺酮为什么起效快", llm=llm)
    assert [c.en for c in without.concepts] == ["ketamine"]
    added = [c for c in with_llm.concepts if c.origin == "llm"]
    assert {c.mesh_name for c in added} >= {"Receptors, N-Methyl-D-Aspartate"}
    assert [c.en for c in with_llm.concepts].count("ketamine") == 1  # already known: not added twice
    assert requests[0]["path"].endswith("/chat/completions")
    assert "氯胺酮为什么起效快" in json.dumps(requests[0]["body"], ensure_ascii=False)
