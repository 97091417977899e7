"""Checking a sensitivity spec: its distributions, its sample size against the method, and its
names, bounds and times against a model (:func:`check_against_model`).

Every mistake is a :class:`~ambidex.core.errors.ScenarioError` naming the file and the key.
"""

from __future__ import annotations

from dataclasses import replace

from ..core.elements import resolve as resolve_element
from ..core.errors import ModelError, ScenarioError
from .spec import Spec


def _check_distributions(spec: Spec) -> None:
    for p in spec.parameters:
        w = p.key
        if p.distribution in ("uniform", "triangular"):
            if p.lower is None or p.upper is None:
                continue  # filled in from the model's range
            if not p.lower < p.upper:
                raise ScenarioError(f"{w}: lower ({p.lower:g}) must be below upper ({p.upper:g})")
            if p.distribution == "triangular" and not p.lower <= p.mode <= p.upper:
                raise ScenarioError(f"{w}.mode: {p.mode:g} is outside [lower, upper] = "
                                    f"[{p.lower:g}, {p.upper:g}]")
        else:
            scale = p.sd if p.distribution == "normal" else p.sigma
            if scale <= 0:
                key = "sd" if p.distribution == "normal" else "sigma"
                raise ScenarioError(f"{w}.{key}: must be > 0, got {scale:g}")
            if p.lower is not None and p.upper is not None and not p.lower < p.upper:
                raise ScenarioError(f"{w}: lower ({p.lower:g}) must be below upper ({p.upper:g})")
            if p.distribution == "lognormal" and p.upper is not None and p.upper <= 0:
                raise ScenarioError(f"{w}.upper: a lognormal is positive; upper must be > 0")
            lo, hi = p.support()
            d = p.frozen()
            if not float(d.cdf(hi)) - float(d.cdf(lo)) > 1e-9:
                raise ScenarioError(f"{w}: the truncation [{lo:g}, {hi:g}] holds no probability "
                                    f"of this {p.distribution} distribution")


def check_sample_size(spec: Spec) -> None:
    """Raise :class:`ScenarioError` if ``method.samples`` does not suit the method."""
    n, where, o = spec.samples, f"{spec.label}: method.samples", spec.options
    k = len(spec.parameters)
    if spec.method == "sobol":
        if n < 2 or n & (n - 1):
            raise ScenarioError(f"{where}: Sobol' sampling needs a power of 2 (e.g. 256, 512, "
                                f"1024), got {n}")
    elif spec.method == "morris":
        if n < 2:
            raise ScenarioError(f"{where}: Morris needs at least 2 trajectories, got {n}")
        lv = o.get("levels", 4)
        if lv < 2 or lv % 2:
            raise ScenarioError(f"{spec.label}: method.levels: Morris needs an even number of "
                                f"levels >= 2, got {lv}")
    elif spec.method == "fast":
        M = o.get("M", 4)
        if n <= 4 * M * M:
            raise ScenarioError(f"{where}: FAST with M = {M} needs more than 4*M^2 = {4 * M * M} "
                                f"samples per parameter, got {n}")
    elif spec.method == "delta":
        if n < 20 * max(k, 1) and n < 100:
            raise ScenarioError(f"{where}: the delta method needs at least 100 samples, got {n}")
    elif spec.method == "pawn":
        S = o.get("slices", 10)
        if n < 10 * S:
            raise ScenarioError(f"{where}: PAWN with {S} slices needs at least {10 * S} samples "
                                f"(10 per slice), got {n}")


def check_against_model(spec: Spec, model) -> Spec:
    """Resolve parameter and output names against ``model``; fill bounds from its parameter
    ranges and check that every sampled value lies within them."""
    params = []
    for p in spec.parameters:
        try:
            mp = model.resolve_parameter(p.name)
        except ModelError as exc:
            raise ScenarioError(f"{p.key}.name: {exc}") from None
        lo = p.lower if p.lower is not None else mp.lower
        hi = p.upper if p.upper is not None else mp.upper
        if p.distribution in ("uniform", "triangular"):
            if lo is None or hi is None:
                raise ScenarioError(f"{p.key}: parameter '{mp.name}' has no model range; give "
                                    "'lower' and 'upper'")
            if not lo < hi:
                raise ScenarioError(f"{p.key}: lower ({lo:g}) must be below upper ({hi:g})")
        q = replace(p, name=mp.name, lower=lo, upper=hi)
        _check_distributions(replace(spec, parameters=(q,)))
        slo, shi = q.support()
        for v, key in ((slo, "lower"), (shi, "upper")):
            try:
                model.table.check(mp.py_name, v, f"{p.key}.{key}")  # the parameter table's rule
            except ValueError as exc:
                raise ScenarioError(str(exc)) from None
        params.append(q)
    names = [p.name for p in params]
    dup = {x for x in names if names.count(x) > 1}
    if dup:
        raise ScenarioError(f"{spec.label}: parameters: {', '.join(sorted(dup))} listed twice")
    outputs = []
    for o in spec.outputs:
        try:  # a plain variable or one element of a subscripted one, 'Population[North]'
            py, elems, _ = resolve_element(model, o.variable)
        except ModelError as exc:
            raise ScenarioError(f"{o.key}.variable: {exc}") from None
        name = model.variables[py].name + (f"[{', '.join(elems)}]" if elems else "")
        outputs.append(replace(o, variable=name, name=o.label))
    if not outputs:
        raise ScenarioError(f"{spec.label}: 'outputs' must name at least one model variable "
                            "([[outputs]] with variable = ...)")
    t0, t1 = model.control["initial_time"], model.control["final_time"]
    for o in outputs:
        for k in ("start", "end", "time"):
            v = getattr(o, k)
            if v is not None and not t0 <= v <= t1:
                raise ScenarioError(f"{o.key}.{k}: {v:g} is outside the run [{t0:g}, {t1:g}]")
    if spec.uncertainty:
        for v in spec.uncertainty.get("variables", []):
            try:
                resolve_element(model, v)
            except ModelError as exc:
                raise ScenarioError(f"{spec.label}: uncertainty.variables: {exc}") from None
    return replace(spec, parameters=tuple(params), outputs=tuple(outputs))
