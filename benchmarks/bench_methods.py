"""dopri5 against bs3 on the dual model, side by side: CPU per run on one thread and the
10 000-run ensemble's runs/s on every core, alternated.

    python benchmarks/bench_methods.py [--n 10000] [--reps 5]

The bench's lever samples (``bench_side_by_side.LEVERS``), the ensemble's default outputs.
Settings compared: dopri5 at rtol = atol = 1e-6 (the default) and bs3 at 1e-5 and 1.5e-5, the
tolerances at which bs3's error against a DOP853 rtol-1e-10 reference matches dopri5's
(``accuracy_check.py --method bs3``).  Prints medians and minima and the load; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("AMBIDEX_TIERED", "0")  # the compiled kernels, never the interpreted tier

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_side_by_side import LEVERS, SEED  # noqa: E402

SETTINGS = [("dopri5", 1e-6), ("bs3", 1e-5), ("bs3", 1.5e-5)]


def main(n: int, reps: int) -> dict:
    import numba

    import ambidex

    m = ambidex.load_model()
    rng = np.random.default_rng(SEED)
    samples = {m.parameters[py].name: rng.uniform(m.parameters[py].lower, m.parameters[py].upper, n)
               for py in LEVERS}
    small = {k: v[:64] for k, v in samples.items()}
    for meth, tol in SETTINGS:  # compile / load every kernel first
        ambidex.ensemble(m, small, method=meth, rtol=tol, atol=tol)
    cpu = {s: [] for s in SETTINGS}
    wall = {s: [] for s in SETTINGS}
    nthreads = numba.get_num_threads()
    loads = [os.getloadavg()[0]]
    for _ in range(reps):
        for meth, tol in SETTINGS:
            numba.set_num_threads(1)
            t = time.process_time()
            ambidex.ensemble(m, {k: v[:2000] for k, v in samples.items()}, method=meth, rtol=tol, atol=tol)
            cpu[(meth, tol)].append((time.process_time() - t) / 2000 * 1e6)
            numba.set_num_threads(nthreads)
            t = time.perf_counter()
            ambidex.ensemble(m, samples, method=meth, rtol=tol, atol=tol)
            wall[(meth, tol)].append(n / (time.perf_counter() - t))
        loads.append(os.getloadavg()[0])
    out = {}
    for s in SETTINGS:
        key = f"{s[0]} rtol {s[1]:g}"
        out[key] = {"cpu_us_per_run_1thread_median": round(statistics.median(cpu[s]), 1),
                    "cpu_us_per_run_1thread_min": round(min(cpu[s]), 1),
                    "ensemble_runs_per_s_median": round(statistics.median(wall[s])),
                    "ensemble_runs_per_s_best": round(max(wall[s]))}
    base = SETTINGS[0]
    for s in SETTINGS[1:]:
        out[f"{s[0]} rtol {s[1]:g}"]["cpu_ratio_to_dopri5_pairwise_median"] = round(
            statistics.median(b / a for a, b in zip(cpu[base], cpu[s])), 3)
    out["load"] = [round(x, 2) for x in loads]
    out["threads"] = nthreads
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    print(json.dumps(main(a.n, a.reps), indent=1))
