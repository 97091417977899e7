"""Two generated model modules of the dual model side by side: CPU per run, results bitwise.

    python benchmarks/ab_kernels.py --old OLD.py [--new NEW.py] [--n 1000] [--reps 15]

``OLD.py`` / ``NEW.py``: generated model sources (``CompiledModel.source`` written to a file);
``--new`` defaults to the source this checkout generates.  Both modules' batched dopri5 kernel
(``_batch_dopri_p``, rtol = atol = 1e-6, the ensemble's default outputs, the bench's N lever
samples) run on ONE numba thread, alternately A B A B ..., so the machine's load hits both
alike; prints the minimum and median CPU microseconds per run of each, their ratio, and whether
the two give bitwise the same outputs, statuses and RHS counts.  Report ``uptime`` with it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_side_by_side import LEVERS, SEED  # noqa: E402

os.environ.setdefault("AMBIDEX_TIERED", "0")


def setup(n: int):
    import ambidex
    from ambidex.ensemble import default_variables

    m = ambidex.load_model()
    cm = m.compiled()
    rng = np.random.default_rng(SEED)
    s = {py: rng.uniform(m.parameters[py].lower, m.parameters[py].upper, n) for py in LEVERS}
    P = np.ascontiguousarray(cm.param_matrix({m.parameters[k].name: v for k, v in s.items()}))
    names = [m.variables[p].name for p in default_variables(m)]
    idx = list(dict.fromkeys(cm._out_targets(names)))
    times, save = cm.time_grid()
    return cm, P, times[save], cm._plan(idx), len(idx)


def runner(mod, cm, P, te, w, nout):
    N = P.shape[0]

    def go():
        out = np.empty((N, nout, te.size))
        st, ft, nf = np.zeros(N, np.int64), np.full(N, np.nan), np.zeros(N, np.int64)
        mod._batch_dopri_p(P, cm.initial_time, cm.final_time, te, 1e-6, 1e-6, np.inf, 0.0,
                           200_000, out, st, ft, nf, w)
        return out, st, nf
    return go


def main(old: str, new: str | None, n: int, reps: int) -> dict:
    import numba

    from ambidex.compiled.cache import load_source

    cm, P, te, w, nout = setup(n)
    srcs = {"old": Path(old).read_text(), "new": Path(new).read_text() if new else cm.source}
    fns = {k: runner(load_source(s), cm, P, te, w, nout) for k, s in srcs.items()}
    numba.set_num_threads(1)
    res = {k: fn() for k, fn in fns.items()}  # compile / warm
    same = all(np.array_equal(a, b, equal_nan=True) for a, b in zip(res["old"], res["new"]))
    got: dict = {k: [] for k in fns}
    load0 = os.getloadavg()
    for _ in range(reps):
        for k, fn in fns.items():
            t = time.process_time()
            fn()
            got[k].append((time.process_time() - t) / n * 1e6)
    out = {"n": n, "reps": reps, "load_before": load0, "load_after": os.getloadavg(),
           "bitwise_same": bool(same), "nfev_mean": {k: float(r[2].mean()) for k, r in res.items()}}
    if not same:
        a, b = res["old"][0], res["new"][0]
        scale = np.maximum(np.nanmax(np.abs(a), axis=2, keepdims=True), 1e-12)
        out["max_rel_diff"] = float(np.nanmax(np.abs(a - b) / scale))
    for k, v in got.items():
        out[f"{k}_us_min"], out[f"{k}_us_median"] = min(v), statistics.median(v)
    out["new/old_min"] = out["new_us_min"] / out["old_us_min"]
    out["new/old_median"] = out["new_us_median"] / out["old_us_median"]
    out["pairwise_ratio_median"] = statistics.median(b / a for a, b in zip(got["old"], got["new"]))
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--old", required=True)
    ap.add_argument("--new")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=15)
    a = ap.parse_args()
    print("RESULT " + json.dumps(main(a.old, a.new, a.n, a.reps), indent=1), flush=True)
