"""Fixtures for the LLM runtime: the real 0.5B GGUF (assembled once per machine), a real llama.cpp
OpenAI-compatible server on loopback, and a flaky HTTP front for testing retries."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from loopback_http import LoopbackHTTPServer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dead_endpoint() -> str:
    """An endpoint URL on a loopback port where nothing listens."""
    return f"http://127.0.0.1:{free_port()}/v1"


@dataclass
class Server:
    base_url: str
    model: str
    process: subprocess.Popen = field(repr=False)


@pytest.fixture(scope="session")
def llama_server(small_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """llama-cpp-python's own OpenAI-compatible server on a free loopback port."""
    port = free_port()
    log = (tmp_path_factory.mktemp("llama-server") / "server.log").open("wb")
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(small_model_path), "--model_alias", "small",
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
    ]  # fmt: skip
    # Passive OpenMP waiting, as medbridge.llm.local sets for itself: spinning threads crawl on a busy machine.
    env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {process.returncode}; see {log.name}")
            try:
                if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not answer /v1/models within 120 s; see {log.name}")
            time.sleep(0.3)
        yield Server(base_url, "small", process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@dataclass
class FlakyFront:
    """Answers the first ``failures`` POSTs with ``status`` (as an overloaded gateway would), then forwards
    each request to the real server. Records what it received."""

    base_url: str
    failures: int = 0
    status: int = 503
    received: list[dict] = field(default_factory=list)


@pytest.fixture
def flaky_front(llama_server: Server) -> Iterator[FlakyFront]:
    upstream = llama_server.base_url.removesuffix("/v1")
    server: LoopbackHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            front.received.append({"path": self.path, "authorization": self.headers.get("Authorization")})
            if len(front.received) <= front.failures:
                payload = json.dumps({"error": {"message": "try again later"}}).encode()
                self.send_response(front.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Retry-After", "0")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            answer = httpx.post(upstream + self.path, content=body, headers={"Content-Type": "application/json"}, timeout=120)
            self.send_response(answer.status_code)
            self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        def log_message(self, *args: object) -> None:
            pass

    server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
    front = FlakyFront(f"http://127.0.0.1:{server.server_address[1]}/v1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield front
    server.shutdown()
    server.server_close()
