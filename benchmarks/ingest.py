"""Ingestion throughput and memory, against PyPI `pubmed-parser` on the same files in the same run.

Each measurement runs in a fresh subprocess so peak RSS (VmHWM) belongs to it alone.
  python benchmarks/ingest.py [--data ../shared/data/pubmed/alzheimer] [--repeat 10] [--size 100000]
Prints records/s and peak RSS for: medbridge parse only, medbridge parse + store (SQLite) in one process
and with 2 parse workers (peak RSS is the writer's), pubmed_parser
(with its optional fields switched on, for a fair field count); then the ratio, then memory flatness on
an input `--repeat` times larger (the same records repeated in one file).

Then, at ``--size`` records (the sample's real articles repeated with fresh PMIDs, in files of 10,000 like
small baseline files; ``--per-file``): parse + store into SQLite and into PostgreSQL (a throwaway durable cluster from
Debian's binaries, as the tests start), in one process and with parse workers (only with workers under
``--scale-parallel-only``), against pubmed_parser on
the first files in the same run; database size per million records; `show` (one record) and results-page
(20 records) p95; and a projection to the full baseline from the growth between the first and second
half of the load.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from pgcluster import PostgresCluster  # noqa: E402
from pubmed_files import repeated_file  # noqa: E402

BASELINE_RECORDS = 40_000_000  # PubMed, roughly

WORKER = r"""
import json, sys, time, glob, tempfile
mode, paths = sys.argv[1], json.loads(sys.argv[2])
t0 = time.perf_counter(); n = 0
if mode == "medbridge-parse":
    from medbridge.corpus.pubmed import iter_pubmed
    for p in paths:
        for r in iter_pubmed(p):
            n += 1
elif mode in ("medbridge-ingest", "medbridge-ingest-2w"):
    from medbridge.store.sqlite import SQLiteStore
    from medbridge.corpus.ingest import ingest_paths
    store = SQLiteStore(tempfile.mkdtemp() + "/b.db")
    n = ingest_paths(store, paths, workers=2 if mode.endswith("-2w") else 1).records
elif mode == "parse-worker":  # what one parse worker of a parallel ingest holds: a file's encoded records
    from medbridge.corpus.ingest import _parse_encoded
    for p in paths:
        n += len(_parse_encoded(p))
elif mode == "pubmed_parser":
    import pubmed_parser as pp
    for p in paths:
        n += sum(1 for _ in pp.parse_medline_xml(p, year_info_only=False, nlm_category=True, author_list=True,
                                                 reference_list=True, parse_downto_mesh_subterms=True))
elapsed = time.perf_counter() - t0
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"records": n, "seconds": elapsed, "peak_rss_mb": hwm / 1024}))
"""

# Loads the files in two halves (the second into a store already holding the first), then times reads.
SCALE_WORKER = r"""
import json, random, sys, time
from pathlib import Path
backend, target, workers, halves = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
from medbridge.corpus.ingest import ingest_paths
if backend == "sqlite":
    from medbridge.store.sqlite import SQLiteStore
    store = SQLiteStore(Path(target))
    def size():
        import sqlite3
        sqlite3.connect(target).execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all pages in the database file
        return Path(target).stat().st_size
else:
    from medbridge.store.postgresql import PostgreSQLStore
    store = PostgreSQLStore(target)
    size = lambda: store._fetchone("SELECT pg_database_size(current_database())")[0]
stages = []
for half in halves:
    t0, cpu0 = time.perf_counter(), time.process_time()
    n = ingest_paths(store, half, workers=workers).records
    stages.append({"records": n, "seconds": time.perf_counter() - t0, "writer_cpu_s": time.process_time() - cpu0,
                   "bytes": size()})
pmids = store.all_pmids()
rng = random.Random(1)
def p95(fn, repeats):
    samples = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); samples.append(time.perf_counter() - t)
    samples.sort()
    return samples[int(0.95 * (len(samples) - 1))] * 1000
show = p95(lambda: store.get_record(rng.choice(pmids)), 2000)
page = p95(lambda: store.get_records(rng.sample(pmids, 20)), 500)
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"stages": stages, "show_p95_ms": show, "page_p95_ms": page, "peak_rss_mb": hwm / 1024}))
"""


def measure(mode: str, paths: list[Path]) -> dict:
    out = subprocess.run([sys.executable, "-c", WORKER, mode, json.dumps([str(p) for p in paths])],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["records_per_s"] = result["records"] / result["seconds"]
    return result


def measure_scale(backend: str, target: str, workers: int, halves: list[list[Path]]) -> dict:
    out = subprocess.run([sys.executable, "-c", SCALE_WORKER, backend, target, str(workers),
                          json.dumps([[str(p) for p in half] for half in halves])],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise SystemExit(f"{backend} x{workers} failed: {out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


_ARTICLE = re.compile(rb"<PubmedArticle>.*?</PubmedArticle>", re.S)
_FIRST_PMID = re.compile(rb'<PMID Version="(\d+)">\d+</PMID>')


def fresh_pmid_files(paths: list[Path], size: int, per_file: int, folder: Path) -> list[Path]:
    """``size`` real articles of ``paths``, repeated as needed, each under a fresh PMID, ``per_file`` a file."""
    articles = [a for path in paths for a in _ARTICLE.findall(gzip.decompress(path.read_bytes()))]
    files = []
    for start in range(0, size, per_file):
        target = folder / f"bench{len(files) + 1:04d}.xml.gz"
        with gzip.open(target, "wb", compresslevel=1) as out:
            out.write(b'<?xml version="1.0"?>\n<PubmedArticleSet>\n')
            for i in range(start, min(size, start + per_file)):
                pmid = 50_000_000 + i
                out.write(_FIRST_PMID.sub(lambda m: b'<PMID Version="%s">%d</PMID>' % (m.group(1), pmid),
                                          articles[i % len(articles)], count=1))
            out.write(b"</PubmedArticleSet>\n")
        files.append(target)
    return files


def projected_hours(stages: list[dict], records: int = BASELINE_RECORDS) -> float:
    """Hours for ``records`` if the cost per record keeps growing with log(store size) as it did from the first
    half of the load to the second (each half's cost taken at its mean store size)."""
    (a, b), half = stages, stages[0]["records"]
    cost_a, cost_b = a["seconds"] / a["records"], b["seconds"] / b["records"]
    slope = max(0.0, (cost_b - cost_a) / math.log((half + b["records"] / 2) / (half / 2)))
    cost_mean = cost_b + slope * math.log((records / 2) / (half + b["records"] / 2))
    return records * cost_mean / 3600


def scale_section(files: list[Path], size: int, per_file: int, workers: int, peer_files: int,
                  one_process: bool, parse_rate: float) -> None:
    print(f"\nat scale: {size:,} records (real articles repeated under fresh PMIDs), {per_file:,} per file")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = fresh_pmid_files(files, size, per_file, Path(tmp))
        halves = [corpus[: len(corpus) // 2], corpus[len(corpus) // 2 :]]
        peer = measure("pubmed_parser", corpus[:peer_files])
        print(f"pubmed_parser on the first {peer_files} file(s): {peer['records_per_s']:.0f} rec/s "
              f"(peak RSS {peer['peak_rss_mb']:.0f} MB)")
        worker = measure("parse-worker", corpus[:1])
        print(f"one parse worker, one {per_file:,}-record file: peak RSS {worker['peak_rss_mb']:.0f} MB "
              "(add this per worker to the writer's figure below)")
        cluster = PostgresCluster().init().start(durable=True)
        runs = {}
        try:
            for backend in ("sqlite", "postgresql"):
                for n in ((1, workers) if one_process else (workers,)):
                    target = str(Path(tmp) / f"s{n}.db") if backend == "sqlite" else cluster.create_database()
                    runs[backend, n] = r = measure_scale(backend, target, n, halves)
                    records = sum(st["records"] for st in r["stages"])
                    seconds = sum(st["seconds"] for st in r["stages"])
                    rate = records / seconds
                    print(f"{backend:10s} {'one process' if n == 1 else f'{n} parse workers':16s} "
                          f"{rate:6.0f} rec/s ({rate / peer['records_per_s']:.2f}x pubmed_parser)  "
                          f"halves {r['stages'][0]['records'] / r['stages'][0]['seconds']:.0f} / "
                          f"{r['stages'][1]['records'] / r['stages'][1]['seconds']:.0f} rec/s  "
                          f"peak RSS {r['peak_rss_mb']:.0f} MB  "
                          f"size {r['stages'][1]['bytes'] / records * 1e6 / 2**30:.2f} GB per million  "
                          f"show p95 {r['show_p95_ms']:.2f} ms  page of 20 p95 {r['page_p95_ms']:.2f} ms")
        finally:
            cluster.remove()
    print(f"\nprojection to {BASELINE_RECORDS / 1e6:.0f}M records:")
    for backend in ("sqlite", "postgresql"):
        many = runs[backend, workers]
        records = sum(st["records"] for st in many["stages"])
        # On more cores: workers parse at the one-process rate less the writer's share, the one writer caps it.
        # Without a one-process run at scale, the parse cost is the sample's parse-only rate of this run.
        parse_cpu = (sum(st["writer_cpu_s"] for st in runs[backend, 1]["stages"]) - sum(st["writer_cpu_s"] for st in many["stages"])
                     if one_process else records / parse_rate)
        writer_cap = records / sum(st["writer_cpu_s"] for st in many["stages"])
        eight = min(7 * records / max(parse_cpu, 1e-9), writer_cap)
        disk = many["stages"][1]["bytes"] / records * BASELINE_RECORDS / 2**30
        print(f"{backend:10s} this machine ({workers} workers): {projected_hours(many['stages']):.1f} h; "
              f"8 cores (7 workers, one writer capped at {writer_cap:.0f} rec/s): "
              f"{BASELINE_RECORDS / eight / 3600:.1f} h; disk {disk:.0f} GB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/pubmed/alzheimer")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--size", type=int, default=100_000, help="records for the at-scale section (0: skip it)")
    parser.add_argument("--per-file", type=int, default=10_000, help="records per file at scale")
    parser.add_argument("--workers", type=int, default=2, help="parse workers in the parallel runs")
    parser.add_argument("--peer-files", type=int, default=2, help="files pubmed_parser parses at scale")
    parser.add_argument("--scale-parallel-only", action="store_true",
                        help="at scale, load only with parse workers (the one-process load of 1M takes ~half an hour more per store)")
    args = parser.parse_args()
    files = sorted(args.data.glob("*.xml.gz"))
    print(f"input: {len(files)} files from {args.data}")
    rows = {mode: measure(mode, files)
            for mode in ("medbridge-parse", "medbridge-ingest", "medbridge-ingest-2w", "pubmed_parser")}
    for mode, r in rows.items():
        print(f"{mode:20s} {r['records']:>7,} records  {r['seconds']:6.2f} s  {r['records_per_s']:8.0f} rec/s  peak RSS {r['peak_rss_mb']:6.0f} MB")
    peer = rows["pubmed_parser"]["records_per_s"]
    print(f"throughput vs pubmed_parser: parse {rows['medbridge-parse']['records_per_s'] / peer:.2f}x, "
          f"parse+store {rows['medbridge-ingest']['records_per_s'] / peer:.2f}x, "
          f"parse (2 workers) + store {rows['medbridge-ingest-2w']['records_per_s'] / peer:.2f}x")

    with tempfile.TemporaryDirectory() as tmp:
        one = repeated_file(files, 1, Path(tmp) / "x1.xml.gz")
        many = repeated_file(files, args.repeat, Path(tmp) / f"x{args.repeat}.xml.gz")
        for mode in ("medbridge-parse", "medbridge-ingest"):
            small, big = measure(mode, [one]), measure(mode, [many])
            print(f"memory {mode:18s} 1x: {small['peak_rss_mb']:.0f} MB ({small['records']:,} records)  "
                  f"{args.repeat}x: {big['peak_rss_mb']:.0f} MB ({big['records']:,} records)  "
                  f"growth {big['peak_rss_mb'] / small['peak_rss_mb']:.2f}x")
    if args.size:
        scale_section(files, args.size, args.per_file, args.workers, args.peer_files,
                      one_process=not args.scale_parallel_only, parse_rate=rows["medbridge-parse"]["records_per_s"])


if __name__ == "__main__":
    main()
