"""Ingestion throughput and memory, against PyPI `pubmed-parser` on the same files in the same run.

Each measurement runs in a fresh subprocess so peak RSS (VmHWM) belongs to it alone.
  python benchmarks/ingest.py [--data ../shared/data/pubmed/alzheimer] [--repeat 10]
Prints records/s and peak RSS for: medbridge parse only, medbridge parse + store (SQLite), pubmed_parser
(with its optional fields switched on, for a fair field count); then the ratio, then memory flatness on
an input `--repeat` times larger (the same records repeated in one file).
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKER = r"""
import json, sys, time, glob, tempfile
mode, paths = sys.argv[1], json.loads(sys.argv[2])
t0 = time.perf_counter(); n = 0
if mode == "medbridge-parse":
    from medbridge.corpus.pubmed import iter_pubmed
    for p in paths:
        for r in iter_pubmed(p):
            n += 1
elif mode == "medbridge-ingest":
    from medbridge.store.sqlite import SQLiteStore
    from medbridge.corpus.ingest import ingest_paths
    store = SQLiteStore(tempfile.mkdtemp() + "/b.db")
    n = ingest_paths(store, paths).records
elif mode == "pubmed_parser":
    import pubmed_parser as pp
    for p in paths:
        n += sum(1 for _ in pp.parse_medline_xml(p, year_info_only=False, nlm_category=True, author_list=True,
                                                 reference_list=True, parse_downto_mesh_subterms=True))
elapsed = time.perf_counter() - t0
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"records": n, "seconds": elapsed, "peak_rss_mb": hwm / 1024}))
"""


def measure(mode: str, paths: list[Path]) -> dict:
    out = subprocess.run([sys.executable, "-c", WORKER, mode, json.dumps([str(p) for p in paths])],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["records_per_s"] = result["records"] / result["seconds"]
    return result


def repeated_file(paths: list[Path], times: int, target: Path) -> Path:
    """One PubmedArticleSet holding every article of ``paths`` ``times`` over (streamed, never all in memory)."""
    with gzip.open(target, "wb", compresslevel=1) as out:
        out.write(b'<?xml version="1.0"?>\n<PubmedArticleSet>\n')
        for _ in range(times):
            for path in paths:
                body = gzip.decompress(path.read_bytes())
                start = body.index(b"<PubmedArticleSet>") + len(b"<PubmedArticleSet>")
                out.write(body[start: body.rindex(b"</PubmedArticleSet>")])
        out.write(b"</PubmedArticleSet>\n")
    return target


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/pubmed/alzheimer")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    files = sorted(args.data.glob("*.xml.gz"))
    print(f"input: {len(files)} files from {args.data}")
    rows = {mode: measure(mode, files) for mode in ("medbridge-parse", "medbridge-ingest", "pubmed_parser")}
    for mode, r in rows.items():
        print(f"{mode:18s} {r['records']:>7,} records  {r['seconds']:6.2f} s  {r['records_per_s']:8.0f} rec/s  peak RSS {r['peak_rss_mb']:6.0f} MB")
    peer = rows["pubmed_parser"]["records_per_s"]
    print(f"throughput vs pubmed_parser: parse {rows['medbridge-parse']['records_per_s'] / peer:.2f}x, "
          f"parse+store {rows['medbridge-ingest']['records_per_s'] / peer:.2f}x")

    with tempfile.TemporaryDirectory() as tmp:
        one = repeated_file(files, 1, Path(tmp) / "x1.xml.gz")
        many = repeated_file(files, args.repeat, Path(tmp) / f"x{args.repeat}.xml.gz")
        for mode in ("medbridge-parse", "medbridge-ingest"):
            small, big = measure(mode, [one]), measure(mode, [many])
            print(f"memory {mode:18s} 1x: {small['peak_rss_mb']:.0f} MB ({small['records']:,} records)  "
                  f"{args.repeat}x: {big['peak_rss_mb']:.0f} MB ({big['records']:,} records)  "
                  f"growth {big['peak_rss_mb'] / small['peak_rss_mb']:.2f}x")


if __name__ == "__main__":
    main()
