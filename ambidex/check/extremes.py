"""Extreme-conditions test (Sterman 2000 ch. 21.4.3; Barlas 1996): each parameter at 0 (when its
range allows), at its lower and upper bound, and at ×10 its default.  Every run must stay finite,
keep bounded variables (a declared range, e.g. [0,1] for trust, shares, proximity, indices)
inside their range and physical stocks (range starting at 0) at or above 0.

All runs are one :func:`ambidex.solve` call with bounds not enforced (values outside a parameter's
range are the point): the compiled engine (dopri5, per-run adaptive) where the model compiles,
else PySD (Euler).  A problem in a run whose value lies inside the
parameter's declared range is a failure; outside it (e.g. ×10 beyond the upper bound) a warning.
"""

from __future__ import annotations

import warnings

import numpy as np

from .report import CheckResult


def cases(p, factor: float = 10.0) -> list[tuple[str, float, bool]]:
    """(label, value, inside the declared range) for parameter ``p``."""
    from ..core.parameters import outside

    out, seen = [], set()
    cand = [("zero", 0.0), ("lower bound", p.lower), ("upper bound", p.upper),
            (f"x{factor:g} default", p.default * factor)]
    for label, v in cand:
        if v is None or v in seen:
            continue
        inside = not outside(p.lower, p.upper, v)
        if label == "zero" and not inside:
            continue
        seen.add(v)
        out.append((label, float(v), bool(inside)))
    return out


def _outputs(model):
    """Variables checked in every run: all non-constant scalar variables."""
    return [py for py, v in model.variables.items() if v.kind != "constant" and not v.subscripts]


def _problems(model, times, series: dict, status_msg: str | None) -> list[str]:
    """Every problem of one run, earliest first: solver failure, first NaN/inf, range exits."""
    probs: list[tuple[float, str]] = []
    if status_msg:
        probs.append((-np.inf, status_msg))
    first_nan = None
    for py, a in series.items():
        bad = ~np.isfinite(a)
        if bad.any():
            k = int(np.argmax(bad))
            if first_nan is None or k < first_nan[0]:
                first_nan = (k, py, a[k])
    if first_nan is not None:
        k, py, v = first_nan
        probs.append((times[k], f"'{model.variables[py].name}' is {v} at t={times[k]:g}"))
    for py, a in series.items():
        var = model.variables[py]
        if var.lower is None and var.upper is None:
            continue
        fin = np.where(np.isfinite(a), a, np.nan)
        if np.all(np.isnan(fin)):
            continue
        scale = max(1.0, float(np.nanmax(np.abs(fin))))
        tol = 1e-6 * scale
        lo = -np.inf if var.lower is None else var.lower
        hi = np.inf if var.upper is None else var.upper
        with np.errstate(invalid="ignore"):
            out = (fin < lo - tol) | (fin > hi + tol)
        if out.any():
            k = int(np.argmax(out))
            if var.kind == "stock" and var.lower is not None and var.lower >= 0 and fin[k] < 0:
                probs.append((times[k], f"stock '{var.name}' went negative ({fin[k]:.4g}) at t={times[k]:g}"))
            else:
                rng = f"[{'?' if var.lower is None else f'{var.lower:g}'}, {'?' if var.upper is None else f'{var.upper:g}'}]"
                probs.append((times[k], f"'{var.name}' left {rng}: {fin[k]:.4g} at t={times[k]:g}"))
    return [m for _, m in sorted(probs, key=lambda tm: tm[0])]


def _run(model, rows, outs, rtol, atol, max_steps, compiled: bool):
    """Every extreme case as one sample of one :func:`ambidex.solve` call (bounds not enforced:
    the point is to try values outside them); per run (times, {py: series}, problem or None)."""
    from ..solve import run

    N = len(rows)
    samples = {}
    for nm in sorted({p.py_name for p, _, _, _ in rows}):
        col = np.full(N, model.parameters[nm].default)
        for i, (q, _, v, _) in enumerate(rows):
            if q.py_name == nm:
                col[i] = v
        samples[nm] = col
    method = "dopri5" if compiled else "euler"
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        sol = run(model, samples=samples, outputs=outs, bounds=False, on_failure="ignore",
                  solver={"method": method, "rtol": rtol, "atol": atol, "max_steps": max_steps})
    times = np.asarray(sol.times, dtype=float)
    pos = {py: j for j, py in enumerate(sol.names)}
    return [(times, {py: sol.values[0, i, pos[py]] for py in outs},
             f"{method} {m}" if m else None) for i, m in enumerate(sol.run_messages[0])]


def check_extremes(model, factor: float = 10.0, rtol: float = 1e-6, atol: float = 1e-6,
                   max_steps: int = 50_000) -> list[CheckResult]:
    from ..solve import fixed_parameters

    results: list[CheckResult] = []
    compiled, fixed = fixed_parameters(model)
    rows = []  # (parameter, label, value, inside)
    for p in model.parameters.values():
        if p.name in fixed:
            results.append(CheckResult("extremes", "extremes.parameter", p.name, "warn",
                                       f"not varied: {fixed[p.name]}", {}))
            continue
        for label, v, inside in cases(p, factor):
            rows.append((p, label, v, inside))
    if not rows:
        return results
    outs = _outputs(model)
    per_run = _run(model, rows, outs, rtol, atol, max_steps, compiled=compiled)
    by_param: dict[str, list] = {}
    for (p, label, v, inside), (times, series, msg) in zip(rows, per_run):
        probs = _problems(model, times, series, msg)
        by_param.setdefault(p.name, []).append(
            {"case": label, "value": v, "inside_range": inside, "ok": not probs, "problems": probs})
    n_fail = n_warn = 0
    for name, cs in by_param.items():
        p = model.resolve_parameter(name)
        hard = [c for c in cs if not c["ok"] and c["inside_range"]]
        soft = [c for c in cs if not c["ok"] and not c["inside_range"]]
        ev = {"default": p.default, "lower": p.lower, "upper": p.upper, "cases": cs,
              "backend": "compiled dopri5" if compiled else "pysd euler"}
        if hard:
            n_fail += 1
            c = hard[0]
            results.append(CheckResult("extremes", "extremes.parameter", name, "fail",
                                       f"'{name}' = {c['value']:g} ({c['case']}, inside its range): "
                                       + "; ".join(c["problems"][:3]), ev))
        elif soft:
            n_warn += 1
            c = soft[0]
            results.append(CheckResult("extremes", "extremes.parameter", name, "warn",
                                       f"'{name}' = {c['value']:g} ({c['case']}, outside its range "
                                       f"[{'?' if p.lower is None else f'{p.lower:g}'}, {'?' if p.upper is None else f'{p.upper:g}'}]): "
                                       + "; ".join(c["problems"][:3]), ev))
        else:
            results.append(CheckResult("extremes", "extremes.parameter", name, "pass",
                                       f"{len(cs)} extreme values ({', '.join(c['case'] for c in cs)}): "
                                       "finite and within declared ranges", ev))
    results.append(CheckResult("extremes", "extremes.summary", model.name,
                               "fail" if n_fail else "warn" if n_warn else "pass",
                               f"{len(rows)} runs over {len(by_param)} parameters: {n_fail} failing, "
                               f"{n_warn} only outside their declared range",
                               {"runs": len(rows), "parameters": len(by_param)}))
    return results
