"""Translate the bundled sample's titles into Chinese once, with QA, and ship them (a maintainer's step, like
``python -m medbridge.search.bundle`` for the vectors):

    nice -n 10 .venv/bin/python scripts/translate_sample_titles.py [--batch 32] [--limit N] [--model-path GGUF]

Resumable: titles already in the data file (with the same English) are skipped, and the file is rewritten
after every batch, so an interrupted run keeps what it finished. Runs under ``nohup … &``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from medbridge.llm import get_llm  # noqa: E402
from medbridge.search.bundle import sample_records  # noqa: E402
from medbridge.settings import load_settings  # noqa: E402
from medbridge.translate import Translator  # noqa: E402
from medbridge.translate.records import record_texts  # noqa: E402
from medbridge.translate.sample_titles import SAMPLE_TITLES, load_sample_titles, save_sample_titles, title_hash  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32, help="Titles per translation batch (decoded together).")
    parser.add_argument("--limit", type=int, help="Translate at most this many titles in this run.")
    parser.add_argument("--model-path", type=Path, help="GGUF file instead of the embedded default model.")
    parser.add_argument("--output", type=Path, default=SAMPLE_TITLES)
    args = parser.parse_args()
    llm_settings = {"backend": "local"} | ({"model_path": args.model_path} if args.model_path else {})
    settings = load_settings(llm=llm_settings)
    llm = get_llm(settings)
    translator = Translator.from_settings(settings, None, llm)
    entries = load_sample_titles(args.output)
    titles = {pmid: texts[0] for pmid, record in sample_records().items() if (texts := record_texts(record, abstracts=False))}
    todo = [pmid for pmid, title in titles.items() if entries.get(pmid, {}).get("hash") != title_hash(title)]
    todo = todo[: args.limit] if args.limit else todo
    print(f"{len(titles)} titles, {len(titles) - len(todo)} already translated, {len(todo)} to do", flush=True)
    started = time.perf_counter()
    for start in range(0, len(todo), args.batch):
        batch = todo[start : start + args.batch]
        results = translator.translate_batch([titles[p] for p in batch], source="en", target="zh", markup=True)
        for pmid, result in zip(batch, results):
            entries[pmid] = {"hash": title_hash(titles[pmid]), "zh": result.target, "flagged": result.flagged}
        save_sample_titles(entries, llm.model_id, args.output)
        done = start + len(batch)
        rate = done / (time.perf_counter() - started)
        print(f"{done}/{len(todo)} titles, {rate * 60:.1f}/min, {sum(e['flagged'] for e in entries.values())} flagged in file", flush=True)


if __name__ == "__main__":
    main()
