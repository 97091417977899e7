"""Structure assessment (Sterman 2000 ch. 21.4.1; Barlas 1996 "structure verification"):

* every reference is defined, every parameter is used, every rate feeds a stock;
* every stock's INTEG is made of named flows, and mass balances: over an Euler run at TIME STEP
  the stock's change equals the time integral of its named inflows minus outflows (what
  ``model.stocks`` reports), so an unnamed term or a flow wired inconsistently shows as a leak;
* every stock and bounded variable stays inside its declared range in the baseline run.
"""

from __future__ import annotations

import numpy as np

from ..core.model import normalise
from ._common import CONTROL, abstract_elements, equations, euler_run
from .report import CheckResult
from .units import render


def _walk(node, refs: set, calls: set):
    from pysd.translators.structures import abstract_expressions as ae

    if isinstance(node, ae.ReferenceStructure):
        refs.add(normalise(node.reference))
        return
    if isinstance(node, ae.CallStructure):
        calls.add(normalise(getattr(node.function, "reference", "")))
        for a in node.arguments:
            _walk(a, refs, calls)
        return
    if isinstance(node, (list, tuple)):
        for a in node:
            _walk(a, refs, calls)
        return
    if hasattr(node, "__dataclass_fields__"):
        for f in node.__dataclass_fields__:
            _walk(getattr(node, f), refs, calls)


def references(source) -> dict[str, set]:
    """normalised element name -> normalised names its equations refer to (incl. lookups)."""
    els = abstract_elements(source)
    out = {}
    for key, el in els.items():
        refs, calls = set(), set()
        for comp in el.components:
            _walk(comp.ast, refs, calls)
        out[key] = refs | {c for c in calls if c in els}
    return out


def undefined(source) -> list[CheckResult]:
    """A failing result for each name used in an equation but defined nowhere."""
    els = abstract_elements(source)
    eqs = equations(source) if not isinstance(source, (str,)) and hasattr(source, "path") else {}
    results = []
    for key, refs in references(source).items():
        for r in sorted(refs - set(els) - {"time"}):
            results.append(CheckResult(
                "structure", "structure.undefined", els[key].name, "fail",
                f"'{els[key].name}' uses '{r}', which no equation defines",
                {"reference": r, "equation": eqs.get(key, "")}))
    return results


def _integ_terms(node, sign=1):
    from pysd.translators.structures import abstract_expressions as ae

    if isinstance(node, ae.ReferenceStructure):
        yield node, sign, True
    elif isinstance(node, ae.ArithmeticStructure) and set(node.operators) <= {"+", "-"}:
        ops = ["+"] + list(node.operators)
        for op, arg in zip(ops, node.arguments):
            yield from _integ_terms(arg, sign * (-1 if op == "-" else 1))
    elif isinstance(node, ae.ArithmeticStructure) and node.operators == ["negative"]:
        yield from _integ_terms(node.arguments[0], -sign)
    else:
        yield node, sign, False


def check_structure(model, run=None) -> list[CheckResult]:
    """Structure checks of ``model``: every reference defined, INTEGs made of named flows, unused
    parameters and flows, and on a baseline Euler run (``run``: (times, {py: values}, backend),
    default :func:`euler_run`) finite values, mass balance of every stock and declared ranges."""
    els = abstract_elements(model)
    eqs = equations(model)
    refs = references(model)
    used_by: dict[str, set] = {k: set() for k in els}
    for k, rs in refs.items():
        for r in rs:
            if r in used_by and r != k:
                used_by[r].add(k)
    results: list[CheckResult] = undefined(model)
    found, unnamed = _unnamed_flows(model, els, eqs)
    results += found + _unused(model, els, eqs, used_by)
    try:
        times, data, backend = run if run is not None else euler_run(model)
    except Exception as exc:  # the model does not run at all
        results.append(CheckResult("structure", "structure.run", model.name, "fail",
                                   f"the baseline Euler run failed: {exc}", {}))
        return results
    return (results + _finite(model, times, data)
            + _mass_balance(model, times, data, backend, eqs, unnamed)
            + _ranges(model, times, data))


def _unnamed_flows(model, els, eqs) -> tuple[list[CheckResult], dict[str, list[str]]]:
    """INTEGs with terms that are not named flow variables: (warnings, stock py -> terms)."""
    from pysd.translators.structures import abstract_expressions as ae

    results: list[CheckResult] = []
    unnamed: dict[str, list[str]] = {}
    for st in model.stocks:
        el = els.get(normalise(st.name))
        for comp in el.components if el else ():
            if isinstance(comp.ast, ae.IntegStructure):
                bad = [("-" if s < 0 else "+") + " " + render(n, {k: e.name for k, e in els.items()})
                       for n, s, named in _integ_terms(comp.ast.flow) if not named]
                if bad:
                    unnamed[st.py_name] = bad
                    results.append(CheckResult(
                        "structure", "structure.unnamed_flow", st.name, "warn",
                        f"the INTEG of stock '{st.name}' contains term(s) {', '.join(bad)} that are "
                        "not named flow variables: they change the stock but are not among its "
                        "inflows/outflows",
                        {"equation": eqs.get(normalise(st.name), ""), "terms": bad,
                         "inflows": st.inflows, "outflows": st.outflows}))
    return results, unnamed


def _unused(model, els, eqs, used_by) -> list[CheckResult]:
    """Parameters no equation uses, flow-like variables in no INTEG, and the references summary."""
    results: list[CheckResult] = []
    flows = {normalise(f) for s in model.stocks for f in s.inflows + s.outflows}
    stock_units = {}
    for s in model.stocks:
        stock_units.setdefault(model.variables[s.py_name].units.replace(" ", ""), []).append(s.name)
    tu = (model.time_units or "Year").replace(" ", "")
    unused_params, outputs = [], []
    for key in els:
        if key in CONTROL or used_by.get(key):
            continue
        py = model._index.get(key)
        var = model.variables.get(py) if py else None
        if var is None or var.kind == "stock":
            continue
        if var.kind == "constant":
            unused_params.append(var.name)
            results.append(CheckResult(
                "structure", "structure.unused", var.name, "warn",
                f"parameter '{var.name}' is used by no equation", {"equation": eqs.get(key, "")}))
            continue
        u = var.units.replace(" ", "")
        base = u[: -len(tu) - 1] if u.endswith("/" + tu) else None
        if key not in flows and base and base in stock_units:
            results.append(CheckResult(
                "structure", "structure.flow_without_stock", var.name, "warn",
                f"'{var.name}' has the units of a flow of {', '.join(stock_units[base])} "
                f"({var.units}) but is neither in any INTEG nor used by any equation",
                {"units": var.units, "equation": eqs.get(key, "")}))
        else:
            outputs.append(var.name)
    results.append(CheckResult(
        "structure", "structure.references", model.name,
        "pass", f"{len(els)} variables: every reference defined; {len(outputs)} output-only "
        f"variables, {len(unused_params)} unused parameters",
        {"output_only": outputs, "unused_parameters": unused_params}))
    return results


def _finite(model, times, data) -> list[CheckResult]:
    """The first non-finite value of the baseline run (none: no result)."""
    results: list[CheckResult] = []
    bad = {py: int(np.argmax(~np.isfinite(a))) for py, a in data.items() if not np.all(np.isfinite(a))}
    if bad:
        py, k = min(bad.items(), key=lambda kv: kv[1])
        results.append(CheckResult(
            "structure", "structure.finite", model.variables[py].name, "fail",
            f"baseline run: '{model.variables[py].name}' is {data[py][k]} at t={times[k]:g}",
            {"time": times[k], "variables": sorted(model.variables[p].name for p in bad)}))
    return results


def _mass_balance(model, times, data, backend, eqs, unnamed) -> list[CheckResult]:
    """Each stock's change against the integral of its named inflows minus outflows."""
    results: list[CheckResult] = []
    dt = model.control["time_step"]
    for st in model.stocks:
        s = data.get(st.py_name)
        if s is None or not np.all(np.isfinite(s)):
            continue
        net = np.zeros_like(s)
        missing = [f for f in st.inflows + st.outflows if f not in data]
        if missing:
            continue
        for f in st.inflows:
            net += data[f]
        for f in st.outflows:
            net -= data[f]
        step = np.diff(s) - dt * net[:-1]
        cum = np.cumsum(step)
        change = s[-1] - s[0]
        integral = float(np.sum(dt * net[:-1]))
        scale = max(np.max(np.abs(s)), np.max(np.abs(np.cumsum(dt * net[:-1]))), 1e-12)
        err = float(np.max(np.abs(cum)))
        ev = {"initial": s[0], "final": s[-1], "change": change, "integral_of_named_net_flow": integral,
              "difference": change - integral, "max_cumulative_residual": err, "relative_error": err / scale,
              "inflows": st.inflows, "outflows": st.outflows, "time_step": dt, "backend": backend,
              "equation": eqs.get(normalise(st.name), "")}
        if err <= 1e-6 * scale:
            results.append(CheckResult("structure", "structure.mass_balance", st.name, "pass",
                                       f"change {change:.6g} = integral of named flows "
                                       f"(relative error {err / scale:.1e})", ev))
        else:
            k = int(np.argmax(np.abs(step) > 1e-6 * scale))
            extra = f"; unnamed INTEG term(s) {', '.join(unnamed[st.py_name])}" if st.py_name in unnamed else ""
            ev["first_leak_time"] = times[k]
            results.append(CheckResult(
                "structure", "structure.mass_balance", st.name, "fail",
                f"stock '{st.name}' leaks: it changes by {change:.6g} but its named inflows minus "
                f"outflows integrate to {integral:.6g} (difference {change - integral:.6g}, first "
                f"at t={times[k]:g}){extra}", ev))
    return results


def _ranges(model, times, data) -> list[CheckResult]:
    """Variables and stocks of the baseline run against their declared ranges."""
    results: list[CheckResult] = []
    for py, var in model.variables.items():
        if var.kind == "constant" or py not in data or (var.lower is None and var.upper is None):
            continue
        a = data[py]
        if not np.all(np.isfinite(a)):
            continue
        scale = max(1.0, float(np.max(np.abs(a))))
        tol = 1e-9 * scale
        lo = -np.inf if var.lower is None else var.lower
        hi = np.inf if var.upper is None else var.upper
        out = (a < lo - tol) | (a > hi + tol)
        what = "stock" if var.kind == "stock" else "variable"
        rng = f"[{'?' if var.lower is None else f'{var.lower:g}'}, {'?' if var.upper is None else f'{var.upper:g}'}]"
        if out.any():
            k = int(np.argmax(out))
            neg = var.lower is not None and var.lower >= 0 and a[k] < 0
            msg = (f"{what} '{var.name}' went negative ({a[k]:.6g}) at t={times[k]:g}; its declared "
                   f"range starts at 0" if neg else
                   f"{what} '{var.name}' left its declared range {rng}: {a[k]:.6g} at t={times[k]:g}")
            results.append(CheckResult("structure", "structure.range", var.name, "fail", msg,
                                       {"range": rng, "time": times[k], "value": a[k],
                                        "min": float(a.min()), "max": float(a.max())}))
        elif var.kind == "stock":
            results.append(CheckResult("structure", "structure.range", var.name, "pass",
                                       f"within {rng} (min {a.min():.4g}, max {a.max():.4g})",
                                       {"range": rng, "min": float(a.min()), "max": float(a.max())}))
    return results
