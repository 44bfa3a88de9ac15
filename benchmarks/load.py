"""Mixed traffic from concurrent clients against `medbridge serve --workers N` on loopback, with the SQLite store
and with PostgreSQL (a throwaway cluster from Debian's binaries, as the tests start): throughput, p50/p95 per
route, errors; then every job the clients started must finish (none failed, none lost).

    python benchmarks/load.py [--clients 8,32] [--duration 60] [--backends sqlite,postgresql] [--workers 2]
        [--job-workers 1] [--think 0,5]

Each client loops for ``--duration`` seconds, picking a request by weight, and after each answer waits a
think time drawn from an exponential distribution with the ``--think`` mean (0: none, the next request at
once, so the clients saturate the server and latency measures its queue; 5 s: people reading what they got).
Each think time in the list is run with each client count. The requests: a search (the JSON API and the HTML
page, the clinician-style English and Chinese questions of benchmarks/search_quality.py), a record page,
similar articles, a record's translation stream (server-sent events, read to its end), a document upload
(a real DOCX made by python-docx, translated by a job) or a research job (extractive: `llm.backend = none`, so
no model shares the 2 cores with the web processes; translation streams then answer from the cache and say
that no model is configured). The sample corpus is ingested and indexed before the clock starts. Targets
(issue 16): no errors; search p95 < 300 ms at 32 clients on the sample on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from pgcluster import PostgresCluster  # noqa: E402
from search_quality import TOPIC_QUERIES  # noqa: E402

WEIGHTS = {"search api": 25, "search page": 15, "record page": 25, "similar": 12, "translation stream": 12,
           "upload": 6, "research": 5}
SEARCH_ROUTES = ("search api", "search page")
JOB_DEADLINE_S = 900


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    jobs: list[tuple[str, str]] = field(default_factory=list)  # (api folder, job id)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def small_docx() -> bytes:
    from docx import Document

    document = Document()
    document.add_heading("Cerebrospinal fluid biomarkers in Alzheimer disease", level=1)
    document.add_paragraph("Amyloid beta 42 and phosphorylated tau in cerebrospinal fluid predict progression "
                           "from mild cognitive impairment to Alzheimer disease.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


class Server:
    """`medbridge serve` in its own process group over one MEDBRIDGE_HOME, the sample ingested and indexed first."""

    def __init__(self, home: Path, env: dict[str, str], workers: int, job_workers: int):
        self.home, self.env, self.workers, self.job_workers = home, env, workers, job_workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def _medbridge(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "medbridge", "-q", *args], cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)

    def __enter__(self) -> "Server":
        sample = ROOT / "medbridge" / "corpus" / "data" / "sample_alzheimer.xml.gz"
        self._medbridge("ingest", str(sample))
        self._medbridge("index")
        self.log_path = Path(tempfile.gettempdir()) / f"medbridge-load-serve-{self.port}.log"  # kept for the errors
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "medbridge", "serve", "--port", str(self.port), "--workers", str(self.workers),
             "--job-workers", str(self.job_workers)],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"serve exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise SystemExit("serve did not answer /healthz within 180 s")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


async def one_request(client: httpx.AsyncClient, route: str, rng: random.Random, pmids: list[int], docx: bytes,
                      tally: Tally) -> None:
    question = rng.choice([text for _, en, zh in TOPIC_QUERIES for text in (en, zh)])
    pmid = rng.choice(pmids)
    started = time.perf_counter()
    try:
        if route == "search api":
            reply = await client.get("/api/search", params={"q": question})
        elif route == "search page":
            reply = await client.get("/search", params={"q": question})
        elif route == "record page":
            reply = await client.get(f"/records/{pmid}")
        elif route == "similar":
            reply = await client.get(f"/api/records/{pmid}/similar")
        elif route == "translation stream":
            async with client.stream("GET", f"/api/records/{pmid}/translation", params={"to": "zh"}) as reply:
                await reply.aread()  # to the stream's end, as the page reads it
        elif route == "upload":
            reply = await client.post("/api/documents/jobs", files={"file": ("biomarkers.docx", docx)}, data={"target": "zh"})
            if reply.status_code == 201:
                tally.jobs.append(("documents/jobs", reply.json()["id"]))
        else:
            reply = await client.post("/api/research", json={"question": question, "max_sources": 8})
            if reply.status_code == 201:
                tally.jobs.append(("research", reply.json()["id"]))
    except httpx.HTTPError as exc:
        tally.errors[route].append(f"{type(exc).__name__}: {exc}")
        return
    tally.latencies[route].append(time.perf_counter() - started)
    if reply.status_code >= 400:
        tally.errors[route].append(f"HTTP {reply.status_code}: {reply.text[:200]}")


async def client_loop(url: str, seed: int, until: float, pmids: list[int], docx: bytes, tally: Tally,
                      think: float) -> None:
    rng = random.Random(seed)
    routes, weights = list(WEIGHTS), list(WEIGHTS.values())
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        if think:
            await asyncio.sleep(rng.uniform(0, think))  # people do not all click at the same moment
        while time.monotonic() < until:
            await one_request(client, rng.choices(routes, weights)[0], rng, pmids, docx, tally)
            if think:
                await asyncio.sleep(min(rng.expovariate(1 / think), max(0.0, until - time.monotonic())))


async def warm_up(url: str, workers: int, pmids: list[int]) -> None:
    """Each web process loads its terminology, tokenizer, e5 model and index on its first search: done before the
    clock starts, with enough concurrent requests that every process gets some."""
    async with httpx.AsyncClient(base_url=url, timeout=600) as client:
        await asyncio.gather(*(client.get("/api/search", params={"q": q}) for _ in range(2 * workers)
                               for q in ("阿尔茨海默病的脑脊液生物标志物", "tau PET imaging")))
        await asyncio.gather(*(client.get(f"/api/records/{pmid}/similar") for pmid in pmids[:4 * workers]))


async def run_clients(url: str, clients: int, duration: float, pmids: list[int], think: float) -> tuple[Tally, float]:
    tally, docx = Tally(), small_docx()
    started = time.monotonic()
    await asyncio.gather(*(client_loop(url, seed, started + duration, pmids, docx, tally, think) for seed in range(clients)))
    return tally, time.monotonic() - started


def wait_for_jobs(url: str, jobs: list[tuple[str, str]]) -> dict[str, int]:
    """Every job the clients started, polled until finished: counts by final state."""
    states: dict[str, str] = {}
    deadline = time.monotonic() + JOB_DEADLINE_S
    with httpx.Client(base_url=url, timeout=30) as client:
        while time.monotonic() < deadline:
            for folder, job_id in jobs:
                if states.get(job_id) in ("done", "failed", "cancelled"):
                    continue
                states[job_id] = client.get(f"/api/{folder}/{job_id}").json()["state"]
            if all(states.get(job_id) in ("done", "failed", "cancelled") for _, job_id in jobs):
                break
            time.sleep(2)
    counts: dict[str, int] = defaultdict(int)
    for _, job_id in jobs:
        counts[states.get(job_id, "unknown")] += 1
    return dict(counts)


def percentile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1] if len(samples) > 1 else (samples or [0])[0]


def report(label: str, tally: Tally, seconds: float, job_states: dict[str, int]) -> None:
    total = sum(len(v) for v in tally.latencies.values())
    errors = sum(len(v) for v in tally.errors.values())
    print(f"\n== {label}: {total:,} requests in {seconds:.0f} s = {total / seconds:.1f} req/s; errors {errors}")
    print(f"{'route':20s} {'requests':>8s} {'p50 ms':>8s} {'p95 ms':>8s} {'errors':>7s}")
    for route in WEIGHTS:
        samples = tally.latencies.get(route, [])
        print(f"{route:20s} {len(samples):8d} {percentile(samples, 50) * 1e3:8.0f} {percentile(samples, 95) * 1e3:8.0f} "
              f"{len(tally.errors.get(route, [])):7d}")
    search = [s for route in SEARCH_ROUTES for s in tally.latencies.get(route, [])]
    print(f"search (both routes) p95 {percentile(search, 95) * 1e3:.0f} ms (target < 300 ms at 32 clients)")
    print(f"jobs started {len(tally.jobs)}: " + ", ".join(f"{state} {n}" for state, n in sorted(job_states.items())))
    for route, messages in tally.errors.items():
        for message in sorted(set(messages))[:3]:
            print(f"  {route}: {message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="8,32")
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=2, help="web worker processes")
    parser.add_argument("--job-workers", type=int, default=1, help="`medbridge worker` processes (jobs.run_in = workers)")
    parser.add_argument("--think", default="0,5", help="mean think times in seconds between a client's requests")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start; serve --workers "
          f"{args.workers} --job-workers {args.job_workers}; llm.backend = none")
    from medbridge.corpus.pubmed import iter_pubmed

    sample = ROOT / "medbridge" / "corpus" / "data" / "sample_alzheimer.xml.gz"
    pmids = [r.pmid for r in iter_pubmed(sample) if hasattr(r, "title")]
    for backend in args.backends.split(","):
        cluster = PostgresCluster().init().start(durable=True) if backend == "postgresql" else None
        try:
            with tempfile.TemporaryDirectory(prefix="medbridge-load-") as tmp:
                home = Path(tmp)
                env = {**os.environ, "MEDBRIDGE_HOME": str(home), "MEDBRIDGE_LLM__BACKEND": "none",
                       "MEDBRIDGE_JOBS__RUN_IN": "workers" if args.job_workers else "serve", "PYTHONPATH": str(ROOT)}
                if cluster:
                    env.update(MEDBRIDGE_STORE__BACKEND="postgresql", MEDBRIDGE_STORE__DSN=cluster.create_database())
                with Server(home, env, args.workers, args.job_workers) as server:
                    asyncio.run(warm_up(server.url, args.workers, pmids))
                    for think in (float(t) for t in args.think.split(",")):
                        for clients in (int(n) for n in args.clients.split(",")):
                            tally, seconds = asyncio.run(run_clients(server.url, clients, args.duration, pmids, think))
                            report(f"{backend}, {clients} clients, think {think:g} s", tally, seconds,
                                   wait_for_jobs(server.url, tally.jobs))
                    print(f"server log: {server.log_path}")
        finally:
            if cluster:
                cluster.remove()
    print(f"\nload average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
