"""Fixtures for translation tests: real abstracts with their reference translations from ../shared, and a
scripted OpenAI-compatible endpoint on loopback (a stand-in for a remote model server, spoken to over real
HTTP by the real openai backend), so pipeline mechanics are tested without loading a model."""

from __future__ import annotations

import gzip
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Callable, Iterable

import pytest
from lxml import etree
from loopback_http import LoopbackHTTPServer

from medbridge.llm.openai_compat import OpenAICompatibleLLM
from medbridge.text import split_sentences



@dataclass(slots=True)
class ReferencePair:
    pmid: str
    label: str | None
    en: str
    zh: str


def _read_sources(alzheimer_dir: Path, pmids: set[str]) -> dict[str, tuple[str, list[str]]]:
    found: dict[str, tuple[str, list[str]]] = {}
    for path in sorted(alzheimer_dir.glob("*.xml.gz")):
        with gzip.open(path) as handle:
            for _, element in etree.iterparse(handle, tag="PubmedArticle"):
                pmid = element.findtext(".//PMID")
                if pmid in pmids and pmid not in found:
                    title = "".join(element.find(".//ArticleTitle").itertext())
                    sections = ["".join(a.itertext()) for a in element.findall(".//Abstract/AbstractText")]
                    found[pmid] = (title, sections)
                element.clear()
        if len(found) == len(pmids):
            break
    return found


@pytest.fixture(scope="session")
def reference_pairs(shared_dir, alzheimer_dir) -> list[ReferencePair]:
    """Titles and abstract sections of the three reference abstracts, English with careful Chinese."""
    refs = [json.loads(line) for line in (shared_dir / "data" / "bench" / "reference_translations_zh.jsonl").open(encoding="utf-8")]
    sources = _read_sources(alzheimer_dir, {r["pmid"] for r in refs})
    pairs = []
    for ref in refs:
        title, sections = sources[ref["pmid"]]
        pairs.append(ReferencePair(ref["pmid"], "TITLE", title, ref["title"]))
        for en, (label, zh) in zip(sections, ref["sections"]):
            pairs.append(ReferencePair(ref["pmid"], label, en, zh))
    return pairs


@dataclass
class ScriptedEndpoint:
    """Answers each chat completion with ``reply(messages)``; records every request body."""

    url: str
    reply: Callable[[list[dict]], str] = lambda messages: ""
    requests: list[dict] = field(default_factory=list)

    def llm(self, model: str = "scripted") -> OpenAICompatibleLLM:
        return OpenAICompatibleLLM(self.url, model, max_retries=0)


@pytest.fixture
def endpoint() -> ScriptedEndpoint:
    state = ScriptedEndpoint(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(body)
            content = state.reply(body["messages"])
            payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args) -> None:
            pass

    server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


# ---- a deterministic stand-in for a translation model -------------------------------------------------
# It answers with the reference translation of the text it is sent, with the spans the translator protected
# replaced by the markers it was given, as a model that follows the instructions would.

_MARKER = re.compile(r"⟦(\d+)⟧")


def answer_for(sent: str, en: str, zh: str) -> str | None:
    """The marked reference ``zh`` if ``sent`` is ``en`` with some spans replaced by markers, else None."""
    pattern = "".join(
        f"(?P<m{piece}>.+?)" if i % 2 else re.escape(piece) for i, piece in enumerate(_MARKER.split(sent))
    )
    # Repeated markers stand for the same span: later occurrences must match the first.
    seen: set[str] = set()
    def backref(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in seen:
            return f"(?P=m{name})"
        seen.add(name)
        return match.group(0)
    pattern = re.sub(r"\(\?P<m(\d+)>\.\+\?\)", backref, pattern)
    match = re.fullmatch(pattern, en, re.DOTALL)
    if match is None:
        return None
    answer = zh
    for name, span in sorted(match.groupdict().items(), key=lambda item: -len(item[1])):
        answer = answer.replace(span, f"⟦{name[1:]}⟧")
    return answer


class ReferenceModel:
    """``reply(messages)`` for the scripted endpoint, knowing the reference pairs given; unknown texts are
    echoed (which QA reports as untranslated)."""

    def __init__(self, pairs: Iterable[tuple[str, str]], edit: Callable[[str], str] = lambda answer: answer) -> None:
        self.edit = edit  # damage a test does to every answer, as a bad model would
        self.pairs = []
        for en, zh in pairs:
            self.pairs.append((en, zh))
            # The translator sends sentences; the references translate sentence by sentence.
            en_sentences, zh_sentences = split_sentences(en, "en"), split_sentences(zh, "zh", clause_marks=False)
            if len(en_sentences) == len(zh_sentences) > 1:
                self.pairs.extend((e.strip(), z.strip()) for e, z in zip(en_sentences, zh_sentences))

    def translate(self, sent: str) -> str:
        for en, zh in self.pairs:
            answer = answer_for(sent, en, zh)
            if answer is not None:
                return self.edit(answer)
        return sent

    def __call__(self, messages: list[dict]) -> str:
        user = messages[-1]["content"]
        numbered = re.findall(r"^(\d+)\. (.*)$", user, re.MULTILINE)
        return "\n".join(f"{n}. {self.translate(text)}" for n, text in numbered)


@pytest.fixture
def reference_model(reference_pairs, endpoint) -> ReferenceModel:
    model = ReferenceModel((p.en, p.zh) for p in reference_pairs)
    endpoint.reply = model
    return model


@pytest.fixture
def damaging_model(reference_pairs, endpoint) -> Callable[[Callable[[str], str]], ReferenceModel]:
    """``damaging_model(edit)``: the reference model, every answer passed through ``edit``, serving the endpoint."""

    def make(edit: Callable[[str], str]) -> ReferenceModel:
        model = ReferenceModel(((p.en, p.zh) for p in reference_pairs), edit)
        endpoint.reply = model
        return model

    return make
