"""Prototype: the dual model's RHS evaluated for W runs in lock step (lanes), against the scalar one.

    python benchmarks/proto_lanes.py [--n 4000] [--evals 50] [--reps 9]

The generated scalar ``_rhs`` (this checkout's codegen) is rewritten textually into
``_rhs_lanes(t, y, p, c, dy)`` over struct-of-arrays buffers with the lane index innermost
(``y[j, l]``, ``p[i, l]``, ...): the whole body inside ``for l in range(W)``, the shape
LLVM can interleave or vectorise (no SVML here: ``**``, ``exp`` and ``ln`` stay scalar calls).
Both evaluate the same N states (each run's initial state) ``--evals`` times on ONE thread,
alternately; prints ns per RHS evaluation and per run-evaluation for W = 1 (the scalar
function), 2, 4, 8, and checks that every lane gives bitwise the scalar function's
derivatives.  An upper bound for a lane-batched dopri5 kernel, which would add the masked
step control and lane refills.  Report ``uptime`` with it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("AMBIDEX_TIERED", "0")
WIDTHS = (4,)
UNROLL = (2, 4)


def scalar_rhs(src: str) -> str:
    i0 = src.index("@_jit\ndef _rhs(")
    return src[i0:src.index("\n@", i0 + 5)]


def lanes_source(rhs: str, w: int) -> str:
    lines = rhs.splitlines()
    body = [ln for ln in lines[2:] if ln.strip() and ln.strip() != "return"]
    out = ["@_jit", f"def _rhs_l{w}(tt, y, p, c, dy):", f"    for l in range({w}):",
           "        t = tt[l]"]
    for ln in body:
        ln = re.sub(r"\b(y|p|c|dy)\[(\d+)\]", r"\1[\2, l]", ln)
        out.append("    " + ln)
    out.append("    return")
    return "\n".join(out)


def stmt_source(rhs: str, w: int) -> str:
    """Statement-wise lanes: every auxiliary a row of the scratch block ``V`` (naux, W), each
    statement one short loop over the lanes (what LLVM's SLP/loop vectoriser can widen)."""
    lines = [ln.strip() for ln in rhs.splitlines()[2:]]
    name: dict = {}
    out = ["@_jit", f"def _rhs_s{w}(tt, y, p, c, dy, V):"]
    k = 0

    def sub(expr):
        return re.sub(r"\b([vh]\d+)\b", lambda m: name[m.group(1)], expr)

    for ln in lines:
        if not ln or ln == "return":
            continue
        lhs, rhs_ = (x.strip() for x in ln.split("=", 1))
        m = re.fullmatch(r"(y|p|c)\[(\d+)\]", rhs_)
        if m and not lhs.startswith("dy"):
            name[lhs] = f"{m.group(1)}[{m.group(2)}, l]"
            continue
        if lhs.startswith("dy["):
            tgt = lhs[:-1] + ", l]"
        else:
            name[lhs] = tgt = f"V[{k}, l]"
            k += 1
        out += [f"    for l in range({w}):", f"        {tgt} = {sub(rhs_)}"]
    out.append("    return")
    return "\n".join(out).replace("(t,", "(tt[l],"), k


def unrolled_source(rhs: str, w: int) -> str:
    """Lanes unrolled into local scalars (``v5_0``, ``v5_1``, ...): W isomorphic independent
    chains, no memory between statements (what LLVM's SLP vectoriser can pack)."""
    lines = [ln.strip() for ln in rhs.splitlines()[2:]]
    out = ["@_jit", f"def _rhs_u{w}(tt, y, p, c, dy):"]
    for ln in lines:
        if not ln or ln == "return":
            continue
        lhs, rhs_ = (x.strip() for x in ln.split("=", 1))
        for j in range(w):
            e = re.sub(r"\b([vh]\d+)\b", rf"\1_{j}", rhs_)
            e = re.sub(r"\b(y|p|c)\[(\d+)\]", rf"\1[\2, {j}]", e)
            e = e.replace("(t,", f"(tt[{j}],")
            if lhs.startswith("dy["):
                out.append(f"    {lhs[:-1]}, {j}] = {e}")
            else:
                out.append(f"    {lhs}_{j} = {e}")
    out.append("    return")
    return "\n".join(out)


def module_source(src: str, nomath: bool = False) -> str:
    head = src[:src.index("\n@_jit\ndef _init(")]
    rhs = scalar_rhs(src)
    if nomath:
        rhs = nomath_source(src).replace("def _rhs_nomath(", "def _rhs(")
    parts = [head, rhs, *(lanes_source(rhs, w) for w in WIDTHS)]
    for w in UNROLL:
        parts.append(unrolled_source(rhs, w))
        parts.append(f'''
@_jit
def _driveu{w}(T, Y, P, C, D, k):
    for _ in range(k):
        for b in range(Y.shape[0]):
            _rhs_u{w}(T[b], Y[b], P[b], C[b], D[b])
''')
    nv = 0
    for w in WIDTHS:
        text, nv = stmt_source(rhs, w)
        parts.append(text)
        parts.append(f'''
@_jit
def _drives{w}(T, Y, P, C, D, k):
    V = np.empty(({nv}, {w}))
    for _ in range(k):
        for b in range(Y.shape[0]):
            _rhs_s{w}(T[b], Y[b], P[b], C[b], D[b], V)
''')
    parts.append('''
@_jit
def _drive1(T, Y, P, C, D, k):
    for _ in range(k):
        for r in range(Y.shape[0]):
            _rhs(T[r], Y[r], P[r], C[r], D[r])
''')
    for w in WIDTHS:
        parts.append(f'''
@_jit
def _drive{w}(T, Y, P, C, D, k):
    for _ in range(k):
        for b in range(Y.shape[0]):
            _rhs_l{w}(T[b], Y[b], P[b], C[b], D[b])
''')
    return "\n".join(parts) + "\n"


def nomath_source(src: str) -> str:
    """The scalar ``_rhs`` with every ``**`` a multiplication and ``exp``/``ln`` the identity:
    not the model any more, only a timing of what the transcendental calls cost."""
    rhs = scalar_rhs(src).replace("def _rhs(", "def _rhs_nomath(")
    rhs = rhs.replace(" ** ", " * ").replace(")) ** (", ")) * (")
    rhs = re.sub(r"\*\*", "*", rhs)
    return rhs.replace("math.exp(", "(").replace("_ln(", "(")


def math_share(n: int, evals: int, reps: int) -> dict:
    """ns per evaluation of the scalar RHS and of its transcendental-free twin, alternated."""
    import numba
    from bench_side_by_side import LEVERS, SEED

    import ambidex
    from ambidex.compiled.cache import load_source

    m = ambidex.load_model()
    cm = m.compiled()
    rng = np.random.default_rng(SEED)
    s = {py: rng.uniform(m.parameters[py].lower, m.parameters[py].upper, n) for py in LEVERS}
    P = np.ascontiguousarray(cm.param_matrix({m.parameters[k].name: v for k, v in s.items()}))
    mod = cm._mod
    ny = len(cm.stock_names)
    Y, C = np.zeros((n, ny)), np.zeros((n, mod.NC))
    for r in range(n):
        mod._init(cm.initial_time, P[r], Y[r], C[r])
    head = cm.source[:cm.source.index("\n@_jit\ndef _init(")]
    drv = """
@_jit
def _drive(T, Y, P, C, D, k, which):
    for _ in range(k):
        for r in range(Y.shape[0]):
            if which == 0:
                _rhs(T[r], Y[r], P[r], C[r], D[r])
            else:
                _rhs_nomath(T[r], Y[r], P[r], C[r], D[r])
"""
    lm = load_source("\n".join([head, scalar_rhs(cm.source), nomath_source(cm.source), drv]))
    numba.set_num_threads(1)
    T, D = np.full(n, cm.initial_time), np.zeros((n, ny))
    lm._drive(T, Y, P, C, D, 1, 0)
    got: dict = {0: [], 1: []}
    load0 = os.getloadavg()
    for _ in range(reps):
        for w in (0, 1):
            t = time.process_time()
            lm._drive(T, Y, P, C, D, evals, w)
            got[w].append((time.process_time() - t) / (n * evals) * 1e9)
    return {"load_before": load0, "load_after": os.getloadavg(),
            "rhs_ns_min": min(got[0]), "rhs_ns_median": statistics.median(got[0]),
            "nomath_ns_min": min(got[1]), "nomath_ns_median": statistics.median(got[1]),
            "nomath/rhs_pairwise_median": statistics.median(b / a for a, b in zip(*got.values()))}


def main(n: int, evals: int, reps: int, nomath: bool = False) -> dict:
    import numba
    from bench_side_by_side import LEVERS, SEED

    import ambidex
    from ambidex.compiled.cache import load_source

    m = ambidex.load_model()
    cm = m.compiled()
    rng = np.random.default_rng(SEED)
    s = {py: rng.uniform(m.parameters[py].lower, m.parameters[py].upper, n) for py in LEVERS}
    P = np.ascontiguousarray(cm.param_matrix({m.parameters[k].name: v for k, v in s.items()}))
    mod = cm._mod
    ny, nc = len(cm.stock_names), mod.NC
    Y, C = np.zeros((n, ny)), np.zeros((n, nc))
    for r in range(n):
        mod._init(cm.initial_time, P[r], Y[r], C[r])
    T = np.full(n, cm.initial_time)
    lm = load_source(module_source(cm.source, nomath))
    numba.set_num_threads(1)

    def soa(a, w):  # (n, k) -> (n / w, k, w), lanes innermost
        return np.ascontiguousarray(a.reshape(n // w, w, -1).transpose(0, 2, 1))

    cases = {1: (T, Y, P, C, np.zeros((n, ny)))}
    for w in WIDTHS:
        cases[w] = (np.ascontiguousarray(T.reshape(n // w, w)), soa(Y, w), soa(P, w), soa(C, w),
                    np.zeros((n // w, ny, w)))
    for w in UNROLL:
        cases[f"u{w}"] = (np.ascontiguousarray(T.reshape(n // w, w)), soa(Y, w), soa(P, w),
                          soa(C, w), np.zeros((n // w, ny, w)))
    for w in WIDTHS:
        a = cases[w]
        cases[f"s{w}"] = (*a[:4], np.zeros_like(a[4]))
    fns = {w: getattr(lm, f"_drive{w}") for w in cases}
    for w, a in cases.items():
        fns[w](*a, 1)
    ref = cases[1][4]
    same = {str(w): bool(np.array_equal(cases[w][4].transpose(0, 2, 1).reshape(n, ny), ref))
            for w in cases if w != 1}
    got: dict = {w: [] for w in cases}
    load0 = os.getloadavg()
    for _ in range(reps):
        for w, a in cases.items():
            t = time.process_time()
            fns[w](*a, evals)
            got[w].append((time.process_time() - t) / (n * evals) * 1e9)
    out = {"n": n, "evals": evals, "reps": reps, "load_before": load0,
           "load_after": os.getloadavg(), "lanes_bitwise_equal_scalar": same}
    for w, v in got.items():
        out[f"W{w}_ns_per_run_eval_min"] = min(v)
        out[f"W{w}_ns_per_run_eval_median"] = statistics.median(v)
    for w in cases:
        out[f"speedup_W{w}_median"] = statistics.median(
            a / b for a, b in zip(got[1], got[w]))
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--evals", type=int, default=50)
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--math-share", action="store_true",
                    help="time the scalar RHS against its transcendental-free twin instead")
    ap.add_argument("--nomath", action="store_true",
                    help="lanes of the transcendental-free twin (timing only: not the model)")
    a = ap.parse_args()
    res = (math_share(a.n, a.evals, a.reps) if a.math_share
           else main(a.n, a.evals, a.reps, a.nomath))
    print("RESULT " + json.dumps(res, indent=1), flush=True)
