"""A short answer over the top records of a conversation, streamed sentence by sentence, each sentence
citing PMIDs and checked by the deep-research verifier before it is shown.

The model writes English (what the verifier can check against the abstracts); a sentence whose citations
all fail, or that cites nothing, is removed, never shown. For a Chinese question the kept sentences are
translated by the translator (cached, QA-checked) when one is given.
"""

from __future__ import annotations

import re
from typing import Iterator, Mapping, Sequence

from medbridge.corpus.models import Record
from medbridge.llm.base import LLM, ChatMessage
from medbridge.research.verify import Verifier
from medbridge.search.recommend import Recommendation
from medbridge.text import sentence_texts
from medbridge.translate.base import TextTranslator

MAX_SOURCES = 8
MIN_SOURCES = 5
SOURCE_CHARS = 700
ANSWER_TOKENS = 320
PROMPT = (
    "Answer the question using only the numbered abstracts. Write two to four short English sentences. "
    "End every sentence with the PMID it comes from in square brackets, like [12345678]. "
    "Copy numbers exactly. Do not add anything the abstracts do not say."
)
_CITATION = re.compile(r"\[\s*(?:PMID[:\s]*)?(\d{5,9}(?:\s*[,;]\s*(?:PMID[:\s]*)?\d{5,9})*)\s*\]", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+(?!\[)|(?<=\])\s*(?=[A-Z])|\n+")


def _source_text(record: Record, recommendation: Recommendation | None) -> str:
    """Title, the best answering sentence, then the conclusions, cut to SOURCE_CHARS."""
    parts = [record.title]
    if recommendation and recommendation.quote:
        parts.append(recommendation.quote)
    conclusions = [s.text for s in record.abstract if (s.category or "").upper() == "CONCLUSIONS"]
    parts.extend(conclusions or [" ".join(sentence_texts(record.abstract[-1].text)[-2:])] if record.abstract else [])
    text = " ".join(dict.fromkeys(p for p in parts if p))
    return text[:SOURCE_CHARS]


def citations_of(sentence: str) -> tuple[str, list[int]]:
    """The sentence without its [PMID] marks, and the PMIDs it cites, in order."""
    pmids: list[int] = []
    for match in _CITATION.finditer(sentence):
        pmids.extend(int(p) for p in re.findall(r"\d{5,9}", match.group(1)))
    return " ".join(_CITATION.sub("", sentence).split()), list(dict.fromkeys(pmids))


def verify_sentence(sentence: str, records: Mapping[int, Record], verifier: Verifier) -> dict | None:
    """The sentence with the citations that support it, or None when none does (or it cites nothing)."""
    claim, cited = citations_of(sentence)
    if not claim or not cited:
        return None
    supporting = [pmid for pmid in cited if pmid in records and verifier.check(claim, records[pmid]).supported]
    if not supporting:
        return None
    return {"type": "sentence", "text": claim, "source_text": claim, "citations": supporting}


def answer_sentences(
    llm: LLM,
    question: str,
    lang: str,
    records: Sequence[Record],
    recommendations: Mapping[int, Recommendation],
    verifier: Verifier,
    *,
    translator: TextTranslator | None = None,
) -> Iterator[dict]:
    """Events: ``{"type": "sentence", "text", "citations"}`` for each verified sentence as soon as the model
    has finished it, then ``{"type": "done", "kept", "removed"}``."""
    sources = list(records[:MAX_SOURCES])
    by_pmid = {r.pmid: r for r in sources}
    listing = "\n".join(f"[{r.pmid}] {_source_text(r, recommendations.get(r.pmid))}" for r in sources)
    messages = [ChatMessage("system", PROMPT), ChatMessage("user", f"Abstracts:\n{listing}\n\nQuestion: {question}")]
    kept = removed = 0
    buffer = ""

    def settle(sentence: str) -> Iterator[dict]:
        nonlocal kept, removed
        if not sentence.strip():
            return
        event = verify_sentence(sentence, by_pmid, verifier)
        if event is None:
            removed += 1
            return
        kept += 1
        if lang == "zh" and translator is not None:
            event["text"] = translator.translate_batch([event["text"]], source="en", target="zh")[0].target
        yield event

    for piece in llm.stream(messages, max_tokens=ANSWER_TOKENS, temperature=0.0):
        buffer += piece
        parts = _SENTENCE_END.split(buffer)
        for sentence in parts[:-1]:
            yield from settle(sentence)
        buffer = parts[-1]
    yield from settle(buffer)
    yield {"type": "done", "kept": kept, "removed": removed, "sources": [r.pmid for r in sources]}
