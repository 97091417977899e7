"""Side-by-side throughput and cold start on the dual model, in ONE process where it matters.

    python benchmarks/bench_side_by_side.py ratio [--n 10000] [--reps 5]
    python benchmarks/bench_side_by_side.py cold  [--reps 2]
    python benchmarks/bench_side_by_side.py sobol

``ratio``: PySD's own ``pysd.load(py).run()`` and ``ambidex.ensemble`` of N runs (default
outputs: every stock plus the key outputs, dopri5 rtol = atol = 1e-6, 11 levers sampled
uniformly, seeded) measured alternately in the same process, so machine load hits both alike;
prints medians, the ratio of runs/s, and the engine's single-thread CPU time per run.
``cold``: ``ambidex run baseline_dual`` as a user runs it, first on empty caches (a fresh
``AMBIDEX_CACHE``/``AMBIDEX_CACHE_DIR``: PySD translation, parse, numba compile, loop list)
then warm, alternately; prints each wall time.  ``sobol``: the shipped Sobol' spec scaled to
N = 8192 on 10 parameters, second order (180 224 runs), end to end.
The machine is shared: run when quiet, report medians and the load (``uptime``).
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
LEVERS = ["selectivity", "intended_exploration_share", "contract_length", "sensing_share",
          "leadership_proactiveness", "codification_culture", "trust_build_time",
          "target_lead_customers", "requests_per_customer", "reservation_price_premium",
          "network_breadth"]
SEED = 20240611


def ratio(n: int, reps: int) -> dict:
    import warnings

    os.environ.setdefault("AMBIDEX_TIERED", "0")  # the compiled kernels, not the first tier

    import numba
    import numpy as np
    import pysd

    import ambidex
    from ambidex.ensemble import default_variables, ensemble

    m = ambidex.load_model()
    rng = np.random.default_rng(SEED)
    s = {py: rng.uniform(m.parameters[py].lower, m.parameters[py].upper, n) for py in LEVERS}
    ensemble(m, {k: v[:256] for k, v in s.items()})  # JIT / cache load
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pm = pysd.load(str(m.py_file))
        pm.run()
        t_pysd, t_ens = [], []
        for _ in range(reps):
            t = time.perf_counter()
            pm.run()
            t_pysd.append(time.perf_counter() - t)
            t = time.perf_counter()
            ds = ensemble(m, s, rtol=1e-6, atol=1e-6)
            t_ens.append(time.perf_counter() - t)
    cm = m.compiled()
    names = [m.variables[p].name for p in default_variables(m)]
    P = {m.parameters[k].name: v[:2000] for k, v in s.items()}
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    cpu = []
    for _ in range(3):
        t = time.process_time()
        r = cm.run(P, method="dopri5", rtol=1e-6, atol=1e-6, return_vars=names, parallel=True)
        cpu.append((time.process_time() - t) / 2000)
    numba.set_num_threads(threads)
    pysd_s, ens_s = statistics.median(t_pysd), statistics.median(t_ens)
    return {"n": n, "reps": reps, "pysd_run_s": pysd_s, "ensemble_s": ens_s,
            "ensemble_runs_per_s": n / ens_s, "best_runs_per_s": n / min(t_ens),
            "ratio_vs_pysd_run": (n / ens_s) * pysd_s, "n_failed": int(ds.attrs["n_failed"]),
            "engine_cpu_us_per_run_1_thread": 1e6 * statistics.median(cpu),
            "mean_nfev": float(r.nfev.mean()), "outputs": len(names),
            "all_pysd_s": t_pysd, "all_ensemble_s": t_ens, "load": os.getloadavg()}


def cold(reps: int) -> dict:
    out = {"cold_s": [], "warm_s": [], "load_before": os.getloadavg()}
    tmp = Path(tempfile.mkdtemp(prefix="ambidex-cold-"))
    try:
        for _ in range(reps):
            cache = tmp / "cache"
            shutil.rmtree(cache, ignore_errors=True)
            env = {**os.environ, "AMBIDEX_CACHE": str(cache), "AMBIDEX_CACHE_DIR": str(cache),
                   "PYTHONPATH": str(ROOT)}
            for key in ("cold_s", "warm_s"):
                t = time.perf_counter()
                p = subprocess.run([sys.executable, "-m", "ambidex", "run", "baseline_dual",
                                    "-o", str(tmp / "out")], cwd=ROOT, env=env,
                                   capture_output=True, text=True)
                out[key].append(time.perf_counter() - t)
                if p.returncode:
                    raise SystemExit(p.stderr[-2000:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out["cold_median_s"] = statistics.median(out["cold_s"])
    out["warm_median_s"] = statistics.median(out["warm_s"])
    out["cold_over_warm"] = out["cold_median_s"] / out["warm_median_s"]
    out["load_after"] = os.getloadavg()
    return out


def sobol() -> dict:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_sensitivity

    t = time.perf_counter()
    bench_sensitivity.main(8192)
    return {"sobol_180k_end_to_end_s": time.perf_counter() - t, "load": os.getloadavg()}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("what", choices=["ratio", "cold", "sobol"])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    res = {"ratio": lambda: ratio(a.n, a.reps), "cold": lambda: cold(a.reps),
           "sobol": sobol}[a.what]()
    print("RESULT " + json.dumps(res, default=str), flush=True)
