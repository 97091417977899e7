"""Targets bound to a model: variable and parameter names resolved, units converted (pint),
times checked against each scenario's horizon."""

from __future__ import annotations

from dataclasses import replace

from ..core.errors import ModelError, ScenarioError
from .errors import CalibrationError
from .targetset import TargetSet
from .units import declare_model_units, factor, product


def _resolve_var(model, name: str, where: str):
    """``(output key, Variable)`` of ``name``: a plain variable, or one element of a
    subscripted one written ``'Population[North]'`` (key ``'population[North]'``)."""
    from ..core.elements import resolve

    try:
        py, _, key = resolve(model, name)
    except ModelError as exc:
        raise CalibrationError(f"{where}: {exc}") from None
    return key, model.variables[py]


def bind(targets: TargetSet, model, scenarios: dict | None = None) -> TargetSet:
    """Check names, times and units of ``targets`` against ``model``; return a bound copy.

    ``scenarios`` maps scenario names to validated :class:`~ambidex.core.scenario.Scenario` objects
    (built here when absent), used for the horizon of each target.
    """
    from ..core.scenario import load_scenario, validate

    scenarios = scenarios if scenarios is not None else {}
    declare_model_units(model)
    for k in targets.fixed:
        try:
            model.resolve_parameter(k)
        except ModelError as exc:
            raise CalibrationError(f"{targets.label}: fixed.{k}: {exc}") from None
    out = []
    for t in targets.targets:
        t = replace(t)
        if t.scenario not in scenarios:
            try:
                sc = load_scenario(t.scenario) if not (targets.path and (
                    targets.path.parent / t.scenario).is_file()) else load_scenario(
                    targets.path.parent / t.scenario)
                scenarios[t.scenario] = validate(sc, model, extra=targets.fixed_values())
            except ScenarioError as exc:
                raise CalibrationError(f"{t.label}.scenario: {exc}") from None
        sc = scenarios[t.scenario]
        t0, t1 = sc.horizon
        t1 = min(t1, model.control["final_time"])
        t0 = max(t0, model.control["initial_time"])
        if t.kind == "parameter":
            try:
                p = model.resolve_parameter(t.parameter)
            except ModelError as exc:
                raise CalibrationError(f"{t.label}.parameter: {exc}") from None
            t.py, t.model_units = p.py_name, p.units
            t.factor = factor(t.units, p.units or "Dmnl", f"{t.label}.units", f"'{p.name}'")
            out.append(t)
            continue
        key = "numerator" if t.kind == "ratio" else "variable"
        t.py, var = _resolve_var(model, t.variable, f"{t.label}.{key}")
        t.vensim = var.name
        mu = var.units or "Dmnl"
        what = f"'{var.name}'"
        if t.kind == "ratio":
            t.py_den, dvar = _resolve_var(model, t.denominator, f"{t.label}.denominator")
            t.vensim_den = dvar.name
            mu = product(mu, dvar.units or "Dmnl", "/")
            what = f"'{var.name}' / '{dvar.name}'"
        elif t.kind == "sum":
            mu = product(mu, model.time_units or "Year", "*")
            what = f"the time integral of '{var.name}'"
        t.model_units = mu
        t.factor = factor(t.units, mu, f"{t.label}.units", what)
        for k, v in (("time", t.time), ("since", t.since), ("start", t.start), ("end", t.end)):
            if v is not None and not (t0 - 1e-9 <= v <= t1 + 1e-9):
                raise CalibrationError(f"{t.label}.{k}: {v:g} is outside the horizon "
                                       f"[{t0:g}, {t1:g}] of scenario '{t.scenario}'")
        if t.times is not None:
            bad = t.times[(t.times < t0 - 1e-9) | (t.times > t1 + 1e-9)]
            if bad.size:
                src = f" ('{t.file}')" if t.file else ""
                raise CalibrationError(f"{t.label}.{'file' if t.file else 'times'}{src}: time(s) "
                                       f"{', '.join(f'{b:g}' for b in bad[:5])} outside the horizon "
                                       f"[{t0:g}, {t1:g}] of scenario '{t.scenario}'")
        out.append(t)
    for k in targets.bounds:
        try:
            model.resolve_parameter(k)
        except ModelError as exc:
            raise CalibrationError(f"{targets.label}: bounds.{k}: {exc}") from None
    for k in targets.priors:
        try:
            model.resolve_parameter(k)
        except ModelError as exc:
            raise CalibrationError(f"{targets.label}: priors.{k}: {exc}") from None
    return replace(targets, targets=out, bound=True)
