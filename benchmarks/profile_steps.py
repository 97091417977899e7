"""Where one dual-model run's time goes: steps, rejected steps, RHS evaluations, output pass.

    python benchmarks/profile_steps.py [--n 2000]

Counts (load-independent): an instrumented copy of the model's generated module (``_dopri1``
edited to count accepted and rejected steps; ``_outs`` replaced by a copy of the states so that
it compiles quickly) runs the bench's N lever samples, dopri5 rtol = atol = 1e-6; the error of
each run against the same kernel at rtol = atol = 1e-11 is reported as max |diff| / max |ref|
per state.  Times (one numba thread, CPU time per run, minimum and median of 15 alternated
repetitions -- under load the minimum is the steadier figure): the engine with the
ensemble's default outputs, with one stock (no output pass to speak of), and with one stock at
2 save times (no dense output either).  Run when the machine is quiet; report ``uptime``.
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


def _cut(src: str, name: str) -> tuple[int, int]:
    i0 = src.rindex("\n@", 0, src.index(name))
    return i0, src.index("\n@", i0 + 3)


def instrumented(src: str) -> str:
    """The generated module with step counters in ``_dopri1`` (nfev + accepted << 20 +
    rejected << 40 as its third result) and without the output pass."""
    i0, i1 = _cut(src, "def _outs(")
    src = (src[:i0] + "\n@_jit\ndef _outs(te, Y, p, c, o, w, n):\n    for j in range(NY):\n"
           "        for k in range(n):\n            o[j, k] = Y[j, k]\n    return -1\n" + src[i1:])
    for f in ("def _euler1(", "def _rk41(", "def _batch_euler_p(", "def _batch_rk4_p("):
        i0, i1 = _cut(src, f)
        src = src[:i0] + src[i1:]
    d0 = src.index("def _dopri1(")
    d1 = src.index("\n@", d0)
    d = src[d0:d1]
    d = d.replace("    nsteps = 0\n", "    nsteps = 0\n    nacc = 0\n    nrej = 0\n")
    d = d.replace("            reject = True\n", "            reject = True\n            nrej += 1\n")
    d = d.replace("        elif err <= 1.0:\n", "        elif err <= 1.0:\n            nacc += 1\n")
    a, b = d.rsplit("    return status, ft, nfev\n", 1)
    d = a + "    return status, ft, nfev + (nacc << 20) + (nrej << 40)\n" + b
    if d.count("nrej += 1") != 2:
        raise SystemExit("the dopri5 kernel changed: update the instrumentation")
    return "# instrumented by benchmarks/profile_steps.py\n" + src[:d0] + d + src[d1:]


def counts(cm, P, rtol: float) -> dict:
    from ambidex.compiled.cache import load_source

    mod = load_source(instrumented(cm.source))
    times, save = cm.time_grid()
    te = times[save]
    N, NY = P.shape[0], len(cm.stock_names)

    def run(tol):
        out = np.empty((N, NY, te.size))
        st, ft, nf = np.zeros(N, np.int64), np.full(N, np.nan), np.zeros(N, np.int64)
        mod._batch_dopri_p(P, cm.initial_time, cm.final_time, te, tol, tol, np.inf, 0.0,
                           200_000, out, st, ft, nf, np.zeros(1, np.int64))
        return out, nf

    out, x = run(rtol)
    ref, _ = run(1e-11)
    nf, na, nr = x & (2**20 - 1), (x >> 20) & (2**20 - 1), x >> 40
    scale = np.maximum(np.max(np.abs(ref), axis=2, keepdims=True), 1e-12)
    err = np.max(np.abs(out - ref) / scale, axis=(1, 2))
    return {"nfev_mean": float(nf.mean()), "nfev_min": int(nf.min()), "nfev_max": int(nf.max()),
            "accepted_mean": float(na.mean()), "rejected_mean": float(nr.mean()),
            "rejected_max": int(nr.max()), "rejected_share_of_nfev": float(6 * nr.mean() / nf.mean()),
            "err_vs_rtol1e-11_max": float(err.max()), "err_median": float(np.median(err))}


def cpu_split(m, cm, P: dict, n: int) -> dict:
    import numba

    from ambidex.ensemble import default_variables

    names = [m.variables[p].name for p in default_variables(m)]
    te2 = np.array([cm.initial_time, cm.final_time])
    cases = {"default_outputs": dict(return_vars=names), "one_stock": dict(return_vars=names[:1]),
             "one_stock_2_saves": dict(return_vars=names[:1], t_eval=te2)}
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    got: dict = {k: [] for k in cases}
    for kw in cases.values():  # warm-up
        cm.run(P, method="dopri5", rtol=1e-6, atol=1e-6, parallel=True, **kw)
    for _ in range(15):
        for k, kw in cases.items():
            t = time.process_time()
            cm.run(P, method="dopri5", rtol=1e-6, atol=1e-6, parallel=True, **kw)
            got[k].append((time.process_time() - t) / n * 1e6)
    numba.set_num_threads(threads)
    return ({f"cpu_us_per_run_{k}_min": min(v) for k, v in got.items()}
            | {f"cpu_us_per_run_{k}_median": statistics.median(v) for k, v in got.items()}
            | {"n_outputs": len(names)})


def main(n: int) -> dict:
    import ambidex

    m = ambidex.load_model()
    cm = m.compiled()
    rng = np.random.default_rng(SEED)
    s = {py: rng.uniform(m.parameters[py].lower, m.parameters[py].upper, n) for py in LEVERS}
    P = {m.parameters[k].name: v for k, v in s.items()}
    res = {"n": n, "load_before": os.getloadavg()}
    res |= counts(cm, np.ascontiguousarray(cm.param_matrix(P)), 1e-6)
    res |= cpu_split(m, cm, P, n)
    res["load_after"] = os.getloadavg()
    return res


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    print("RESULT " + json.dumps(main(ap.parse_args().n)), flush=True)
