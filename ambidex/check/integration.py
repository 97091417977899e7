"""Integration error (Sterman 2000 ch. 21.4.4 and appendix: "cut DT in half"): the key outputs
(every stock plus the model's key outputs) must change by less than ``tolerance`` (relative to
each output's largest magnitude over the run) when the Euler time step is halved and when the
integration method changes (euler / rk4 / dopri5).  When halving matters, the time step is halved
further until it does not, and that step is recommended.
"""

from __future__ import annotations

import numpy as np

from ..core.errors import AmbidexError
from .report import CheckResult


def key_outputs(model) -> list[str]:
    """Every stock plus the profile's integration outputs (py names)."""
    from ..core.profile import load_profile

    keys = [s.py_name for s in model.stocks]
    keys += [k for k in load_profile(model).integration_outputs if k not in keys]
    return keys


def _run(model, keys, method, time_step=None):
    from ..simulate import simulate

    ds = simulate(model, method=method, time_step=time_step, variables=keys)
    return ds.isel(scenario=0)


def _diff(model, keys, a, b) -> tuple[float, str, dict]:
    """Largest relative difference over ``keys`` and the output where it occurs."""
    per = {}
    for k in keys:
        x, y = a[k].values, b[k].interp(time=a["time"]).values if len(b.time) != len(a.time) else b[k].values
        scale = max(float(np.max(np.abs(y))), 1e-12)
        per[model.variables[k].name] = float(np.max(np.abs(x - y)) / scale)
    worst = max(per, key=per.get)
    return per[worst], worst, per


def check_integration(model, tolerance: float = 0.01, max_halvings: int = 4) -> list[CheckResult]:
    results: list[CheckResult] = []
    keys = key_outputs(model)
    dt = model.control["time_step"]
    try:
        runs = {"euler": _run(model, keys, "euler"),
                "euler dt/2": _run(model, keys, "euler", dt / 2)}
    except AmbidexError as exc:
        return [CheckResult("integration", "integration.run", model.name, "fail",
                            f"the Euler runs failed: {exc}", {})]
    for m in ("rk4", "dopri5"):
        try:
            runs[m] = _run(model, keys, m)
        except AmbidexError as exc:
            results.append(CheckResult("integration", "integration.method", m, "warn",
                                       f"method {m} could not run: {exc}", {}))
    d, worst, per = _diff(model, keys, runs["euler"], runs["euler dt/2"])
    ev = {"time_step": dt, "tolerance": tolerance, "max_relative_change": d, "worst_output": worst,
          "per_output": per}
    recommended = dt
    if d >= tolerance:
        prev, step = runs["euler dt/2"], dt / 2
        history = [(dt, d)]
        for _ in range(max_halvings - 1):
            nxt = _run(model, keys, "euler", step / 2)
            dd, _, _ = _diff(model, keys, prev, nxt)
            history.append((step, dd))
            if dd < tolerance:
                break
            prev, step = nxt, step / 2
        recommended = step if history[-1][1] < tolerance else None
        ev["halving_history"] = [{"time_step": s, "change_when_halved": c} for s, c in history]
        ev["recommended_time_step"] = recommended
        rec = (f"; recommended TIME STEP {recommended:g} (halving it changes them < {tolerance:.0%})"
               if recommended else f"; still > {tolerance:.0%} at {step:g}")
        results.append(CheckResult(
            "integration", "integration.time_step", model.name, "fail",
            f"halving the Euler time step {dt:g} changes '{worst}' by {d:.2%} "
            f"(> {tolerance:.0%})" + rec, ev))
    else:
        results.append(CheckResult(
            "integration", "integration.time_step", model.name, "pass",
            f"halving the Euler time step {dt:g} changes the key outputs by at most {d:.3%} "
            f"('{worst}')", ev))
    ref = runs.get("dopri5")
    for m in ("euler", "rk4"):
        if m not in runs or ref is None:
            continue
        d, worst, per = _diff(model, keys, runs[m], ref)
        ev = {"method": m, "reference": "dopri5", "max_relative_change": d, "worst_output": worst,
              "per_output": per, "tolerance": tolerance}
        ok = d < tolerance
        results.append(CheckResult(
            "integration", "integration.method", f"{m} vs dopri5", "pass" if ok else "warn",
            f"{m} at TIME STEP {dt:g} and dopri5 differ by at most {d:.3%} ('{worst}')"
            + ("" if ok else f" (> {tolerance:.0%}): results depend on the integration method; "
               f"use a smaller time step or rk4/dopri5"), ev))
    return results
