"""Translate the bundled sample's titles into Chinese once, with QA, and ship them (a maintainer's step, like
``python -m medbridge.search.bundle`` for the vectors):

    nohup nice -n 10 .venv/bin/python scripts/translate_sample_titles.py [--batch 32] [--limit N] [--model-path GGUF] &

Resumable: titles already in the data file (with the same English) are skipped, and the file is rewritten
after every batch, so an interrupted run keeps what it finished; run it again to continue.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from medbridge.search.bundle import sample_records  # noqa: E402
from medbridge.services import Services  # noqa: E402
from medbridge.settings import load_settings  # noqa: E402
from medbridge.translate.records import record_texts  # noqa: E402
from medbridge.translate.sample_titles import SAMPLE_TITLES, translate_missing  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32, help="Titles per translation batch (decoded together).")
    parser.add_argument("--limit", type=int, help="Translate at most this many titles in this run.")
    parser.add_argument("--model-path", type=Path, help="GGUF file instead of the embedded default model.")
    parser.add_argument("--output", type=Path, default=SAMPLE_TITLES)
    args = parser.parse_args()
    settings = load_settings(llm={"backend": "local", **({"model_path": args.model_path} if args.model_path else {})})
    translator = Services.from_settings(settings).translator
    titles = {pmid: texts[0] for pmid, record in sample_records().items() if (texts := record_texts(record, abstracts=False))}
    started = time.perf_counter()

    def report(done: int, todo: int, entries: dict[int, dict]) -> None:
        rate = done / (time.perf_counter() - started) * 60
        flagged = sum(e["flagged"] for e in entries.values())
        print(f"{done}/{todo} this run, {len(entries)}/{len(titles)} in the file ({flagged} flagged), {rate:.1f} titles/min", flush=True)

    entries = translate_missing(translator, titles, args.output, batch=args.batch, limit=args.limit, progress=report)
    print(f"{len(entries)}/{len(titles)} titles translated in {args.output}")


if __name__ == "__main__":
    main()
