"""Extreme-conditions test (Sterman 2000 ch. 21.4.3; Barlas 1996): each parameter at 0 (when its
range allows), at its lower and upper bound, and at ×10 its default.  Every run must stay finite,
keep bounded variables (a declared range, e.g. [0,1] for trust, shares, proximity, indices)
inside their range and physical stocks (range starting at 0) at or above 0.

All runs go through the batched compiled engine in one call (dopri5, per-run adaptive; the
engine checks no bounds, so values outside a parameter's range can be tried); a model the engine
cannot compile runs on PySD one run at a time.  A problem in a run whose value lies inside the
parameter's declared range is a failure; outside it (e.g. ×10 beyond the upper bound) a warning.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import ModelError, UnsupportedFunctionError
from .report import CheckResult


def cases(p, factor: float = 10.0) -> list[tuple[str, float, bool]]:
    """(label, value, inside the declared range) for parameter ``p``."""
    lo = -np.inf if p.lower is None else p.lower
    hi = np.inf if p.upper is None else p.upper
    out, seen = [], set()
    cand = [("zero", 0.0), ("lower bound", p.lower), ("upper bound", p.upper),
            (f"x{factor:g} default", p.default * factor)]
    for label, v in cand:
        if v is None or v in seen:
            continue
        inside = lo <= v <= hi
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


def _run_compiled(model, rows, outs, rtol, atol, max_steps):
    cm = model.compiled()
    names = sorted({p.name for p, _, _, _ in rows})
    N = len(rows)
    params = {}
    for nm in names:
        p = model.resolve_parameter(nm)
        col = np.full(N, p.default)
        for i, (q, _, v, _) in enumerate(rows):
            if q.name == nm:
                col[i] = v
        params[nm] = col
    vnames = [model.variables[py].name for py in outs]
    res = cm.run(params=params, method="dopri5", rtol=rtol, atol=atol, max_steps=max_steps,
                 return_vars=vnames)
    times = np.asarray(res.time, dtype=float)
    per_run = []
    for i in range(N):
        series = {py: np.asarray(res[nm][i], dtype=float) for py, nm in zip(outs, vnames)}
        msg = None
        if res.status[i] != 0:
            from ..compiled import STATUS

            msg = f"dopri5 {STATUS.get(int(res.status[i]), 'failed')} at t={res.fail_time[i]:g}"
        per_run.append((times, series, msg))
    return per_run


def _run_pysd(model, rows, outs):
    per_run = []
    for p, _, v, _ in rows:
        pm = model.new_pysd()
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                df = pm.run(params={p.py_name: v}, return_columns=outs)
            per_run.append((df.index.to_numpy(float), {c: df[c].to_numpy(float) for c in df.columns}, None))
        except Exception as exc:
            per_run.append((np.array([model.control["initial_time"]]), {}, f"run raised {type(exc).__name__}: {exc}"))
    return per_run


def check_extremes(model, factor: float = 10.0, rtol: float = 1e-6, atol: float = 1e-6,
                   max_steps: int = 50_000) -> list[CheckResult]:
    results: list[CheckResult] = []
    try:
        cm = model.compiled()
    except UnsupportedFunctionError:
        cm = None
    rows = []  # (parameter, label, value, inside)
    for p in model.parameters.values():
        if cm is not None:
            try:
                cm.param_matrix({p.name: np.array([p.default, p.default * factor + 1.0])})
            except ModelError as exc:
                results.append(CheckResult("extremes", "extremes.parameter", p.name, "warn",
                                           f"not varied: {exc}", {}))
                continue
        for label, v, inside in cases(p, factor):
            rows.append((p, label, v, inside))
    if not rows:
        return results
    outs = _outputs(model)
    per_run = (_run_compiled(model, rows, outs, rtol, atol, max_steps) if cm is not None
               else _run_pysd(model, rows, outs))
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
              "backend": "compiled dopri5" if cm is not None else "pysd euler"}
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
