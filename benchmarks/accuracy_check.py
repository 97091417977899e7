"""Accuracy of generated dual-model modules against a DOP853 rtol 1e-10 reference.

    python benchmarks/accuracy_check.py GEN1.py [GEN2.py ...] [--n 100]

For N of the bench's lever samples: the reference integrates each module's own ``_rhs``
(after ``_init``) with SciPy's DOP853 at rtol 1e-10, atol 1e-12 (the dual model has no
clamped stocks, breakpoints or discrete states, so plain ``solve_ivp`` is the same problem),
and the ensemble's default outputs follow from the reference states through ``_outs``.  Each
module's batched dopri5 kernel (or ``--method bs3``; rtol = atol = 1e-6, or ``--rtol``) is compared with it: per run the maximum
over outputs of max |diff| / max |ref|.  Also: batched (``_batch_dopri_p``, 2 threads) and
one by one (``_dopri1``) bitwise equal.  A check, not a timing: load does not matter.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ab_kernels import setup  # noqa: E402


def reference(mod, cm, p, te, w, nout):
    from scipy.integrate import solve_ivp

    ny = len(cm.stock_names)
    y0, c = np.zeros(ny), np.zeros(mod.NC)
    mod._init(cm.initial_time, p, y0, c)
    dy = np.zeros(ny)

    def f(t, y):
        mod._rhs(t, np.ascontiguousarray(y), p, c, dy)
        return dy.copy()

    sol = solve_ivp(f, (cm.initial_time, cm.final_time), y0, method="DOP853", rtol=1e-10,
                    atol=1e-12, t_eval=te)
    Y = np.ascontiguousarray(sol.y)
    o = np.empty((nout, te.size))
    mod._outs(te, Y, p, c, o, w, te.size)
    return o


def check(path: str, n: int, serial: bool, rtol: float = 1e-6, method: str = "dopri5") -> dict:
    from ambidex.compiled.cache import load_source

    cm, P, te, w, nout = setup(n)
    mod = load_source(Path(path).read_text())
    N = P.shape[0]
    out = np.empty((N, nout, te.size))
    st, ft, nf = np.zeros(N, np.int64), np.full(N, np.nan), np.zeros(N, np.int64)
    batch, one = ((mod._batch_dopri_p, mod._dopri1) if method == "dopri5"
                  else (mod._batch_bs3_p, mod._bs31))
    batch(P, cm.initial_time, cm.final_time, te, rtol, rtol, np.inf, 0.0, 200_000, out, st, ft,
          nf, w)
    same = None if not serial else True
    for r in range(N if serial else 0):
        o1 = np.empty((nout, te.size))
        s1 = one(P[r], cm.initial_time, cm.final_time, te, rtol, rtol, np.inf, 0.0, 200_000,
                 o1, w)
        same = bool(same and np.array_equal(o1, out[r], equal_nan=True) and s1[2] == nf[r])
    err = []
    for r in range(N):
        ref = reference(mod, cm, P[r], te, w, nout)
        scale = np.maximum(np.max(np.abs(ref), axis=1), 1e-12)
        err.append(float(np.max(np.max(np.abs(out[r] - ref), axis=1) / scale)))
    err = np.array(err)
    return {"module": path, "method": method, "n": N, "rtol": rtol, "failed": int((st != 0).sum()), "nfev_mean": float(nf.mean()),
            "batched_equals_one_by_one_bitwise": same, "err_median": float(np.median(err)),
            "err_p90": float(np.quantile(err, 0.9)), "err_max": float(err.max())}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("modules", nargs="+")
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--serial", action="store_true",
                    help="also check batched = one by one (compiles _dopri1 for Python calls)")
    ap.add_argument("--rtol", type=float, nargs="+", default=[1e-6],
                    help="the kernel's rtol = atol (several: one line each)")
    ap.add_argument("--method", choices=["dopri5", "bs3"], default="dopri5",
                    help="the kernel: Dormand-Prince 5(4) or Bogacki-Shampine 3(2)")
    a = ap.parse_args()
    for m in a.modules:
        for tol in a.rtol:
            print("RESULT " + json.dumps(check(m, a.n, a.serial, tol, a.method)), flush=True)
