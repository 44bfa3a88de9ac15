"""Local LLM throughput on this machine: prompt processing and generation tokens/s, and what batched
decoding (``complete_many``) yields with 1, 4, 8 and 16 requests generated together.

    python benchmarks/llm.py                       # default 1.5B model, then the 0.5B peer
    python benchmarks/llm.py qwen2.5-coder-0.5b --runs 5

Models are assembled into MEDBRIDGE_HOME/models if needed. Each run starts with a unique system message so
llama.cpp's prompt-prefix cache cannot skip the prompt. Prompt speed = prompt tokens / time to first token;
generation speed = tokens after the first / time from first to last token (one stream piece per token).
Batched figures are generated tokens / wall time of the whole call, prompt processing included.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time

from medbridge.llm import ChatMessage, ChatRequest, get_llm
from medbridge.llm.local import LocalLLM
from medbridge.llm.models import DEFAULT_MODEL, MODELS
from medbridge.settings import load_settings

PASSAGE = (
    "Alzheimer's disease is a progressive neurodegenerative disorder characterised by extracellular amyloid-beta "
    "plaques and intracellular neurofibrillary tangles of hyperphosphorylated tau. Genome-wide association studies "
    "have implicated APOE, TREM2 and dozens of other loci, many of which act through microglia, the resident immune "
    "cells of the brain. Anti-amyloid monoclonal antibodies such as lecanemab and donanemab slow cognitive decline "
    "modestly in early disease but carry a risk of amyloid-related imaging abnormalities, particularly in APOE4 "
    "homozygotes. Blood-based biomarkers, notably plasma phosphorylated tau 217, now detect amyloid pathology with "
    "accuracy approaching cerebrospinal fluid assays and positron emission tomography, which may allow screening "
    "in primary care. Lifestyle factors including hypertension, hearing loss, physical inactivity and low "
    "educational attainment together account for a substantial share of dementia risk in population studies."
)


def bench(name: str, runs: int, max_tokens: int, threads: int | None) -> None:
    settings = load_settings()
    chosen = {"backend": "local", "model_path": name, "n_threads": threads or settings.llm.n_threads}
    llm = get_llm(settings.model_copy(update={"llm": settings.llm.model_copy(update=chosen)}))
    assert isinstance(llm, LocalLLM)
    started = time.monotonic()
    llm.complete([ChatMessage("user", "Hi")], max_tokens=1)
    print(f"{name}: loaded and warmed up in {time.monotonic() - started:.1f} s "
          f"({chosen['n_threads'] or os.cpu_count()} threads, load average {os.getloadavg()[0]:.1f})")

    prompt_rates, generation_rates = [], []
    for run in range(runs):
        messages = [
            ChatMessage("system", f"Run {run} at {time.time()}: you are a medical translator."),
            ChatMessage("user", f"Translate into Simplified Chinese:\n\n{PASSAGE}"),
        ]
        prompt_tokens = llm.count_tokens("\n".join(m.content for m in messages))
        sent = time.monotonic()
        stamps = [time.monotonic() for _ in llm.stream(messages, max_tokens=max_tokens, temperature=0)]
        prompt_rates.append(prompt_tokens / (stamps[0] - sent))
        generation_rates.append((len(stamps) - 1) / (stamps[-1] - stamps[0]))
        print(f"  run {run + 1}: {prompt_tokens} prompt tokens at {prompt_rates[-1]:.0f} tok/s, "
              f"{len(stamps)} generated at {generation_rates[-1]:.1f} tok/s")
    print(f"{name}: prompt {statistics.median(prompt_rates):.0f} tok/s, "
          f"generation {statistics.median(generation_rates):.1f} tok/s (median of {runs})")
    batched(llm, max_tokens)


def batched(llm: LocalLLM, max_tokens: int) -> None:
    """Sentences of the passage translated together, as the translator sends them."""
    sentences = re.split(r"(?<=\.) ", PASSAGE)
    for size in (1, 4, 8, 16):
        system = ChatMessage("system", f"Batch of {size} at {time.time()}: translate into Simplified Chinese.")
        requests = [ChatRequest([system, ChatMessage("user", f"{sentences[i % len(sentences)]} ({i + 1})")], max_tokens) for i in range(size)]
        started = time.monotonic()
        answers = llm.complete_many(requests, temperature=0)
        elapsed = time.monotonic() - started
        generated = sum(llm.count_tokens(answer) for answer in answers)
        print(f"  {size:2d} requests together: {generated} tokens generated in {elapsed:.1f} s = {generated / elapsed:.1f} tok/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=[DEFAULT_MODEL, "qwen2.5-coder-0.5b"], help=f"any of {', '.join(MODELS)}")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, help="CPU threads (default llm.n_threads, else all cores)")
    args = parser.parse_args()
    for name in args.models:
        bench(name, args.runs, args.max_tokens, args.threads)


if __name__ == "__main__":
    main()
