"""Cold start of the command line: `medbridge --help` and `medbridge search "…"` on the bundled sample, each a
fresh process (the index already built), this tree against a baseline commit checked out beside it, same run.

    python benchmarks/startup.py [--baseline REV] [--runs 5]

The baseline defaults to the last commit before `Services` and lazy imports (issue 16). Both trees get their own
MEDBRIDGE_HOME with the sample ingested and indexed first. Wall time depends on what else the machine runs, so
CPU time (user + system of the child) is printed beside it; the load average says how quiet the machine was.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASELINE = "de663c9"  # "QA alignment: the ignored anchors made a set once", before Services landed
QUERIES = ("metformin cognition RCT", "阿尔茨海默病的脑脊液生物标志物")
TARGETS = {"--help": 0.5, "search": 1.5}  # seconds, issue 16


def run(tree: Path, home: Path, args: list[str]) -> tuple[float, float]:
    """(wall s, CPU s) of one `python -m medbridge ARGS` in a fresh process importing ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "MEDBRIDGE_HOME": str(home), "MEDBRIDGE_LLM__BACKEND": "none"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "medbridge", *args], cwd=tree, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: medbridge {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def prepare(tree: Path, home: Path) -> None:
    """The sample ingested and indexed, so a search measures start-up, not indexing."""
    sample = tree / "medbridge" / "corpus" / "data" / "sample_alzheimer.xml.gz"
    run(tree, home, ["-q", "ingest", str(sample)])
    run(tree, home, ["-q", "index"])


def measure(tree: Path, home: Path, runs: int) -> dict[str, tuple[float, float]]:
    commands = {"--help": ["--help"], **{f"search {q}": ["search", q, "--limit", "10"] for q in QUERIES}}
    figures = {}
    for name, args in commands.items():
        samples = [run(tree, home, args) for _ in range(runs)]
        figures[name] = (statistics.median(w for w, _ in samples), statistics.median(c for _, c in samples))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help="commit to compare with (default: before issue 16)")
    parser.add_argument("--runs", type=int, default=5, help="processes per command and tree (the median is shown)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="medbridge-startup-") as work:
        base_tree = Path(work) / "baseline"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(base_tree), args.baseline],
                       check=True, capture_output=True)
        try:
            results = {}
            for label, tree in (("baseline " + args.baseline, base_tree), ("this tree", REPO)):
                home = Path(work) / f"home-{tree.name}"
                prepare(tree, home)
                results[label] = measure(tree, home, args.runs)
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(base_tree)], capture_output=True)

    print(f"median of {args.runs} fresh processes each; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'command':48} " + " ".join(f"{label:>26}" for label in results) + "   target")
    for name in next(iter(results.values())):
        target = TARGETS["--help" if name == "--help" else "search"]
        cells = " ".join(f"{w:8.2f} s wall {c:6.2f} s CPU" for w, c in (results[label][name] for label in results))
        print(f"{'medbridge ' + name:48} {cells}   < {target} s")


if __name__ == "__main__":
    main()
