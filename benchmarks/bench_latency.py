"""User-facing latencies of the dual model, side by side for one or more checkouts:

    python benchmarks/bench_latency.py warm     [--root DIR ...] [--reps 3]
    python benchmarks/bench_latency.py cold     [--root DIR ...] [--reps 1]
    python benchmarks/bench_latency.py simulate [--root DIR ...] [--reps 3] [--calls 200]

``--root`` is a package root to put on PYTHONPATH (default: this checkout); give two (e.g. an
older commit exported with ``git archive``) to compare them alternately, run by run, so the
machine's load hits both alike.  ``warm``: wall time of ``ambidex run baseline_dual`` as a
user types it, each root with its own cache warmed first.  ``cold``: the same on an empty cache
(a fresh ``AMBIDEX_CACHE``), then the next run on that cache once any background compile
(``*.compiling`` lock) and any deferred loop analysis (``.*.computing``) have finished.  ``simulate``: ``ambidex.simulate(model, ["baseline_dual"])``
warm in one process, median and minimum of ``--calls`` calls.  Prints the load average with
each figure; no figure is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIM = """
import statistics, sys, time
import ambidex
m = ambidex.load_model()
ambidex.simulate(m, ["baseline_dual"])
ts = []
for _ in range({calls}):
    t = time.perf_counter(); ambidex.simulate(m, ["baseline_dual"]); ts.append(time.perf_counter() - t)
print(statistics.median(ts), min(ts))
"""


def _env(root: Path, cache: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(root), "AMBIDEX_CACHE": str(cache)}


def _run_cli(root: Path, cache: Path, out: Path) -> float:
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "ambidex", "run", "baseline_dual", "-o", str(out)],
                       cwd=root, env=_env(root, cache), capture_output=True, text=True)
    if p.returncode:
        raise SystemExit(p.stderr[-2000:])
    return time.perf_counter() - t


def _wait_background(cache: Path, limit: float = 1800.0) -> float:
    """Seconds waited until no background lock is left in ``cache``: a numba compile
    (``compiled/*.compiling``) or the report's deferred loop analysis (``*.computing``)."""
    t = time.perf_counter()

    def busy() -> bool:
        return (any((cache / "compiled").glob("*.compiling"))
                or any(cache.glob("**/.*.computing")))

    while busy() and time.perf_counter() - t < limit:
        time.sleep(2)
    return time.perf_counter() - t


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def warm(roots, reps, tmp, given=()):
    caches = {r: (Path(given[i]) if i < len(given) else tmp / f"cache{i}")
              for i, r in enumerate(roots)}
    for r in roots:  # warm each cache (and let a background compile finish)
        _run_cli(r, caches[r], tmp / "out")
        _wait_background(caches[r])
        _run_cli(r, caches[r], tmp / "out")
    rows = []
    for _ in range(reps):
        for r in roots:
            rows.append({"root": str(r), "load": _load(), "warm_s": _run_cli(r, caches[r], tmp / "out")})
    return rows


def cold(roots, reps, tmp):
    rows = []
    for _ in range(reps):
        for i, r in enumerate(roots):
            cache = tmp / f"cold{i}"
            shutil.rmtree(cache, ignore_errors=True)
            load = _load()
            c = _run_cli(r, cache, tmp / "out")
            waited = _wait_background(cache)
            rows.append({"root": str(r), "load": load, "cold_s": c, "background_compile_wait_s": waited,
                         "next_s": _run_cli(r, cache, tmp / "out"), "load_after": _load()})
    return rows


def simulate(roots, reps, calls):
    rows = []
    for _ in range(reps):
        for r in roots:
            p = subprocess.run([sys.executable, "-c", SIM.format(calls=calls)], cwd=r,
                               env={**os.environ, "PYTHONPATH": str(r)}, capture_output=True,
                               text=True)
            if p.returncode:
                raise SystemExit(p.stderr[-2000:])
            med, lo = map(float, p.stdout.split()[-2:])
            rows.append({"root": str(r), "load": _load(), "median_ms": med * 1e3, "min_ms": lo * 1e3})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("what", choices=["warm", "cold", "simulate"])
    ap.add_argument("--root", action="append", type=Path, default=[])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--cache", action="append", default=[],
                    help="warm: an existing cache per --root (same order) instead of a new one")
    a = ap.parse_args()
    roots = [r.resolve() for r in a.root] or [ROOT]
    tmp = Path(tempfile.mkdtemp(prefix="ambidex-latency-"))
    try:
        rows = {"warm": lambda: warm(roots, a.reps, tmp, a.cache), "cold": lambda: cold(roots, a.reps, tmp),
                "simulate": lambda: simulate(roots, a.reps, a.calls)}[a.what]()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for row in rows:
        print(json.dumps(row))
    for r in roots:
        mine = [row for row in rows if row["root"] == str(r)]
        keys = [k for k in mine[0] if k.endswith(("_s", "_ms")) and k != "background_compile_wait_s"]
        print(f"{r}: " + ", ".join(f"{k} median {statistics.median(x[k] for x in mine):.3g}"
                                   for k in keys))


if __name__ == "__main__":
    main()
