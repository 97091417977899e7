"""Sensitivity specifications: which parameters vary how, which outputs are measured, which
method with how many samples and which seed.

A spec is a TOML file (see ``scenarios/sensitivity/dual_model_sobol.toml``) or a dict of the same
shape, or a dict in SALib's ``problem`` form (``num_vars``, ``names``, ``bounds``, optional
``dists``) with the other sections (``method``, ``outputs``, ``seed``) as extra keys::

    name = "dual_model_sobol"
    seed = 20240617
    scenario = "baseline_dual"          # optional base scenario (parameter overrides)
    [method]
    name = "sobol"                      # sobol | morris | fast | delta | pawn
    samples = 256                       # base sample size N (Sobol: a power of 2)
    [[parameters]]
    name = "selectivity"
    distribution = "uniform"            # uniform | normal | triangular | lognormal
    lower = 0.0                         # uniform: default the model's range
    upper = 1.0
    [[outputs]]
    variable = "ROA"
    statistic = "mean"                  # final | mean | at | max | min | trajectory
    start = 2017.0
    end = 2021.0

Every mistake is a :class:`~ambidex.core.errors.ScenarioError` naming the file and the key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..core.errors import ModelError, ScenarioError
from ..core.tomlio import read_toml

METHODS = ("sobol", "morris", "fast", "delta", "pawn")
DISTRIBUTIONS = ("uniform", "normal", "triangular", "lognormal")
STATISTICS = ("final", "mean", "at", "max", "min", "trajectory")
TOP_KEYS = {"name", "description", "seed", "model", "scenario", "method", "parameters",
            "outputs", "solver", "uncertainty", "discovery"}
METHOD_KEYS = {
    "sobol": {"name", "samples", "second_order", "num_resamples", "conf_level"},
    "morris": {"name", "samples", "levels", "num_resamples", "conf_level"},
    "fast": {"name", "samples", "M", "num_resamples", "conf_level"},
    "delta": {"name", "samples", "num_resamples", "conf_level"},
    "pawn": {"name", "samples", "slices"},
}
PARAM_KEYS = {
    "uniform": ({"name"}, {"distribution", "lower", "upper"}),
    "normal": ({"name", "mean", "sd"}, {"distribution", "lower", "upper"}),
    "triangular": ({"name", "mode"}, {"distribution", "lower", "upper"}),
    "lognormal": ({"name", "mu", "sigma"}, {"distribution", "lower", "upper"}),
}
OUTPUT_KEYS = {"variable", "statistic", "name", "start", "end", "time", "every"}
SOLVER_KEYS = {"method", "rtol", "atol", "chunk_size"}
UNCERTAINTY_KEYS = {"samples", "percentiles", "variables"}
DISCOVERY_KEYS = {"method", "output", "threshold", "direction", "peel_alpha", "min_mass", "max_depth"}
#: unbounded distributions are cut at these quantiles unless lower/upper are given
TAIL = 1e-3


@dataclass(frozen=True)
class ParamSpec:
    """One varied parameter.  ``name`` as written (model name once resolved);
    ``lower``/``upper`` bound (uniform, triangular) or truncate (normal, lognormal)."""

    name: str
    distribution: str = "uniform"
    lower: float | None = None
    upper: float | None = None
    mean: float | None = None
    sd: float | None = None
    mode: float | None = None
    mu: float | None = None
    sigma: float | None = None
    key: str = ""  # where it was written, for messages

    def frozen(self):
        """A scipy frozen distribution (untruncated)."""
        from scipy import stats

        if self.distribution == "uniform":
            return stats.uniform(self.lower, self.upper - self.lower)
        if self.distribution == "normal":
            return stats.norm(self.mean, self.sd)
        if self.distribution == "triangular":
            w = self.upper - self.lower
            return stats.triang((self.mode - self.lower) / w, loc=self.lower, scale=w)
        return stats.lognorm(self.sigma, scale=math.exp(self.mu))

    def support(self) -> tuple[float, float]:
        """The interval samples fall in (after truncation at ``lower``/``upper`` or the
        0.1 %/99.9 % quantiles)."""
        if self.distribution in ("uniform", "triangular"):
            return self.lower, self.upper
        d = self.frozen()
        lo = self.lower if self.lower is not None else float(d.ppf(TAIL))
        hi = self.upper if self.upper is not None else float(d.ppf(1 - TAIL))
        return lo, hi

    def ppf(self, u):
        """Map unit-cube values ``u`` (SALib's samples in [0, 1]) to this distribution."""
        import numpy as np

        u = np.asarray(u, dtype=float)
        if self.distribution == "uniform":
            return self.lower + u * (self.upper - self.lower)
        d = self.frozen()
        lo, hi = self.support()
        flo, fhi = float(d.cdf(lo)), float(d.cdf(hi))
        return np.clip(d.ppf(flo + u * (fhi - flo)), lo, hi)


@dataclass(frozen=True)
class OutputSpec:
    """One measured output: ``statistic`` of ``variable`` (over ``start``..``end`` or at
    ``time``); ``trajectory`` keeps every ``every``-th year of the whole run."""

    variable: str
    statistic: str = "final"
    name: str = ""
    start: float | None = None
    end: float | None = None
    time: float | None = None
    every: float | None = None
    key: str = ""

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        if self.statistic == "mean":
            lo = "start" if self.start is None else f"{self.start:g}"
            hi = "end" if self.end is None else f"{self.end:g}"
            return f"{self.variable} mean {lo}-{hi}"
        if self.statistic == "at":
            return f"{self.variable} at {self.time:g}"
        if self.statistic == "trajectory":
            return self.variable
        return f"{self.variable} {self.statistic}"


@dataclass(frozen=True)
class Spec:
    """A checked sensitivity specification."""

    parameters: tuple[ParamSpec, ...]
    outputs: tuple[OutputSpec, ...] = ()
    method: str = "sobol"
    samples: int = 256
    options: dict = field(default_factory=dict)
    seed: int | None = None
    name: str = "sensitivity"
    description: str = ""
    model: str | None = None
    scenario: str | None = None
    solver: dict = field(default_factory=dict)
    uncertainty: dict | None = None
    discovery: dict | None = None
    label: str = "<spec>"
    path: Path | None = None

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def problem(self) -> dict:
        """SALib's ``problem`` dict in the unit cube (samples are mapped by :meth:`to_physical`)."""
        return {"num_vars": len(self.parameters), "names": self.names,
                "bounds": [[0.0, 1.0]] * len(self.parameters)}

    def physical_problem(self) -> dict:
        """SALib's ``problem`` dict with each parameter's sampled interval."""
        return {"num_vars": len(self.parameters), "names": self.names,
                "bounds": [list(p.support()) for p in self.parameters]}

    def to_physical(self, U):
        """Map a unit-cube sample matrix (rows: runs, columns: parameters) to values."""
        import numpy as np

        U = np.asarray(U, dtype=float)
        return np.column_stack([p.ppf(U[:, j]) for j, p in enumerate(self.parameters)]) \
            if U.size else U.reshape(0, len(self.parameters))

    @property
    def trajectory_outputs(self) -> tuple[OutputSpec, ...]:
        return tuple(o for o in self.outputs if o.statistic == "trajectory")

    @property
    def scalar_outputs(self) -> tuple[OutputSpec, ...]:
        return tuple(o for o in self.outputs if o.statistic != "trajectory")


# ---------------------------------------------------------------------------------- parsing
def _num(value, where: str, integer: bool = False):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"{where}: expected a number, got {type(value).__name__} {value!r}")
    if integer:
        if float(value) != int(value):
            raise ScenarioError(f"{where}: expected a whole number, got {value!r}")
        return int(value)
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        raise ScenarioError(f"{where}: expected a finite number, got {value!r}")
    return value


def _table(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: must be a table")
    return value


def _keys(d: dict, allowed: set, where: str) -> None:
    extra = set(d) - allowed
    if extra:
        raise ScenarioError(f"{where}: unknown key(s) {', '.join(sorted(map(str, extra)))}; "
                            f"allowed: {', '.join(sorted(allowed))}")


def load_spec(spec, model=None) -> Spec:
    """Read and check a spec: a :class:`Spec`, a TOML path, or a dict (TOML-shaped or SALib's
    ``problem`` form).  With ``model``, parameter names, bounds and output variables are also
    checked against it (see :func:`check_against_model`)."""
    if isinstance(spec, Spec):
        out = spec
    elif isinstance(spec, (str, Path)):
        p = Path(spec)
        if not p.is_file():
            raise ScenarioError(f"{p}: sensitivity spec file not found")
        out = spec_from_dict(read_toml(p, ScenarioError), path=p)
    elif isinstance(spec, dict):
        out = spec_from_dict(spec)
    else:
        raise ScenarioError(f"a sensitivity spec must be a TOML path or a dict, "
                            f"got {type(spec).__name__}")
    if model is not None:
        out = check_against_model(out, model)
    return out


def _from_salib(data: dict, label: str) -> dict:
    """Turn SALib's problem form into the TOML form."""
    names, bounds = data.get("names"), data.get("bounds")
    if not isinstance(names, (list, tuple)) or not isinstance(bounds, (list, tuple)):
        raise ScenarioError(f"{label}: a SALib problem needs lists 'names' and 'bounds'")
    if "num_vars" in data and data["num_vars"] != len(names):
        raise ScenarioError(f"{label}: num_vars is {data['num_vars']} but 'names' has {len(names)}")
    if len(bounds) != len(names):
        raise ScenarioError(f"{label}: 'bounds' has {len(bounds)} entries for {len(names)} names")
    dists = data.get("dists") or ["unif"] * len(names)
    if len(dists) != len(names):
        raise ScenarioError(f"{label}: 'dists' has {len(dists)} entries for {len(names)} names")
    params = []
    for i, (n, b, d) in enumerate(zip(names, bounds, dists)):
        where = f"{label}: bounds[{i}] ({n})"
        if not isinstance(b, (list, tuple)):
            raise ScenarioError(f"{where}: must be a list of numbers")
        b = [_num(v, where) for v in b]
        need = {"unif": 2, "norm": 2, "lognorm": 2, "triang": 3, "truncnorm": 4}
        if d not in need:
            raise ScenarioError(f"{label}: dists[{i}] ({n}): {d!r} is not one of "
                                f"{', '.join(need)}")
        if len(b) != need[d]:
            raise ScenarioError(f"{where}: dist {d!r} needs {need[d]} numbers, got {len(b)}")
        if d == "unif":
            params.append({"name": n, "lower": b[0], "upper": b[1]})
        elif d == "norm":
            params.append({"name": n, "distribution": "normal", "mean": b[0], "sd": b[1]})
        elif d == "truncnorm":
            params.append({"name": n, "distribution": "normal", "lower": b[0], "upper": b[1],
                           "mean": b[2], "sd": b[3]})
        elif d == "lognorm":
            params.append({"name": n, "distribution": "lognormal", "mu": b[0], "sigma": b[1]})
        else:  # SALib: [lower, upper, peak as a fraction of the width]
            params.append({"name": n, "distribution": "triangular", "lower": b[0],
                           "upper": b[1], "mode": b[0] + b[2] * (b[1] - b[0])})
    rest = {k: v for k, v in data.items() if k not in ("num_vars", "names", "bounds", "dists",
                                                        "groups")}
    rest["parameters"] = params
    return rest


def spec_from_dict(data: dict, path: Path | None = None) -> Spec:
    """Build a :class:`Spec` from a TOML-shaped dict (or SALib's problem form), checking form."""
    label = str(path) if path else "<spec>"
    if "names" in data and "bounds" in data:
        data = _from_salib(data, label)
    _keys(data, TOP_KEYS, label)
    for key in ("name", "description", "model", "scenario"):
        if key in data and not isinstance(data[key], str):
            raise ScenarioError(f"{label}: key '{key}' must be a string")
    seed = _num(data["seed"], f"{label}: seed", integer=True) if "seed" in data else None
    if seed is not None and seed < 0:
        raise ScenarioError(f"{label}: seed must be >= 0, got {seed}")

    # -- method
    m = data.get("method", {"name": "sobol"})
    if isinstance(m, str):
        m = {"name": m}
    m = dict(_table(m, f"{label}: [method]"))
    mname = m.get("name", "sobol")
    if not isinstance(mname, str) or mname.lower() not in METHODS:
        raise ScenarioError(f"{label}: method.name {mname!r} is not one of {', '.join(METHODS)}")
    mname = mname.lower()
    _keys(m, METHOD_KEYS[mname], f"{label}: [method] ({mname})")
    samples = _num(m.get("samples", 256), f"{label}: method.samples", integer=True)
    options = {}
    for k, v in m.items():
        if k in ("name", "samples"):
            continue
        where = f"{label}: method.{k}"
        if k == "second_order":
            if not isinstance(v, bool):
                raise ScenarioError(f"{where}: must be true or false")
            options[k] = v
        elif k == "conf_level":
            options[k] = _num(v, where)
            if not 0 < options[k] < 1:
                raise ScenarioError(f"{where}: must be between 0 and 1, got {v!r}")
        else:
            options[k] = _num(v, where, integer=True)
            if options[k] < 1:
                raise ScenarioError(f"{where}: must be >= 1, got {v!r}")

    # -- parameters
    raw = data.get("parameters")
    if isinstance(raw, dict):  # {name = {lower=.., upper=..}} shorthand
        raw = [dict(v, name=k) if isinstance(v, dict) else {"name": k, "_bad": v}
               for k, v in raw.items()]
    if not isinstance(raw, list) or not raw:
        raise ScenarioError(f"{label}: 'parameters' must be a non-empty array of tables "
                            "([[parameters]] with name, distribution, bounds)")
    params, seen = [], set()
    for i, p in enumerate(raw):
        where = f"{label}: parameters[{i}]"
        p = dict(_table(p, where))
        if "_bad" in p:
            raise ScenarioError(f"{where} ({p['name']}): must be a table")
        if not isinstance(p.get("name"), str):
            raise ScenarioError(f"{where}.name: must be a parameter name (string)")
        where = f"{label}: parameters[{i}] ({p['name']})"
        dist = p.get("distribution", "uniform")
        if dist not in DISTRIBUTIONS:
            raise ScenarioError(f"{where}.distribution: {dist!r} is not one of "
                                f"{', '.join(DISTRIBUTIONS)}")
        required, optional = PARAM_KEYS[dist]
        _keys(p, required | optional, where)
        missing = required - set(p)
        if missing:
            raise ScenarioError(f"{where}: a {dist} distribution needs key(s) "
                                f"{', '.join(sorted(missing))}")
        vals = {k: _num(p[k], f"{where}.{k}") for k in p if k not in ("name", "distribution")}
        ps = ParamSpec(name=p["name"], distribution=dist, key=where, **vals)
        if p["name"] in seen:
            raise ScenarioError(f"{where}.name: parameter '{p['name']}' is listed twice")
        seen.add(p["name"])
        params.append(ps)

    # -- outputs
    raw_out = data.get("outputs", [])
    if not isinstance(raw_out, list):
        raise ScenarioError(f"{label}: 'outputs' must be an array of tables ([[outputs]])")
    outputs = []
    for i, o in enumerate(raw_out):
        where = f"{label}: outputs[{i}]"
        if isinstance(o, str):
            o = {"variable": o}
        o = dict(_table(o, where))
        _keys(o, OUTPUT_KEYS, where)
        if not isinstance(o.get("variable"), str):
            raise ScenarioError(f"{where}.variable: must be a variable name (string)")
        stat = o.get("statistic", "final")
        if stat not in STATISTICS:
            raise ScenarioError(f"{where}.statistic: {stat!r} is not one of {', '.join(STATISTICS)}")
        if stat == "at" and "time" not in o:
            raise ScenarioError(f"{where}: statistic 'at' needs key 'time'")
        if "name" in o and not isinstance(o["name"], str):
            raise ScenarioError(f"{where}.name: must be a string")
        nums = {k: _num(o[k], f"{where}.{k}") for k in ("start", "end", "time", "every") if k in o}
        if "start" in nums and "end" in nums and nums["end"] < nums["start"]:
            raise ScenarioError(f"{where}: end ({nums['end']:g}) is before start ({nums['start']:g})")
        if "every" in nums and nums["every"] <= 0:
            raise ScenarioError(f"{where}.every: must be > 0")
        outputs.append(OutputSpec(variable=o["variable"], statistic=stat, name=o.get("name", ""),
                                  key=where, **nums))
    labels = [o.label for o in outputs]
    dup = {x for x in labels if labels.count(x) > 1}
    if dup:
        raise ScenarioError(f"{label}: outputs: the name(s) {', '.join(sorted(dup))} are used "
                            "twice; give each output a distinct 'name'")

    # -- optional sections
    solver = dict(_table(data.get("solver", {}), f"{label}: [solver]"))
    _keys(solver, SOLVER_KEYS, f"{label}: [solver]")
    for k in ("rtol", "atol"):
        if k in solver and _num(solver[k], f"{label}: solver.{k}") <= 0:
            raise ScenarioError(f"{label}: solver.{k} must be > 0")
    if "chunk_size" in solver and _num(solver["chunk_size"], f"{label}: solver.chunk_size",
                                       integer=True) < 1:
        raise ScenarioError(f"{label}: solver.chunk_size must be >= 1")
    unc = data.get("uncertainty")
    if unc is not None:
        unc = dict(_table(unc, f"{label}: [uncertainty]"))
        _keys(unc, UNCERTAINTY_KEYS, f"{label}: [uncertainty]")
        if "samples" in unc and _num(unc["samples"], f"{label}: uncertainty.samples",
                                     integer=True) < 2:
            raise ScenarioError(f"{label}: uncertainty.samples must be >= 2")
        pcts = unc.get("percentiles", [5, 25, 50, 75, 95])
        if not isinstance(pcts, list) or not pcts:
            raise ScenarioError(f"{label}: uncertainty.percentiles must be a list of numbers")
        for j, q in enumerate(pcts):
            if not 0 <= _num(q, f"{label}: uncertainty.percentiles[{j}]") <= 100:
                raise ScenarioError(f"{label}: uncertainty.percentiles[{j}]: {q!r} is not in [0, 100]")
        unc["percentiles"] = [float(q) for q in pcts]
        if "variables" in unc and (not isinstance(unc["variables"], list)
                                   or not all(isinstance(v, str) for v in unc["variables"])):
            raise ScenarioError(f"{label}: uncertainty.variables must be a list of names")
    disc = data.get("discovery")
    if disc is not None:
        disc = dict(_table(disc, f"{label}: [discovery]"))
        _keys(disc, DISCOVERY_KEYS, f"{label}: [discovery]")
        if disc.get("method", "prim") not in ("prim", "cart"):
            raise ScenarioError(f"{label}: discovery.method {disc.get('method')!r} is not one of prim, cart")
        for k in ("output", "threshold"):
            if k not in disc:
                raise ScenarioError(f"{label}: [discovery] needs key '{k}'")
        if disc["output"] not in labels:
            raise ScenarioError(f"{label}: discovery.output {disc['output']!r} is not one of the "
                                f"outputs: {', '.join(labels) or '(none)'}")
        if disc["output"] in [o.label for o in outputs if o.statistic == "trajectory"]:
            raise ScenarioError(f"{label}: discovery.output {disc['output']!r} must be a scalar "
                                "output (not a trajectory)")
        disc["threshold"] = _num(disc["threshold"], f"{label}: discovery.threshold")
        if disc.get("direction", "below") not in ("below", "above"):
            raise ScenarioError(f"{label}: discovery.direction must be 'below' or 'above'")
    spec = Spec(parameters=tuple(params), outputs=tuple(outputs), method=mname, samples=samples,
                options=options, seed=seed, name=data.get("name") or (path.stem if path else "sensitivity"),
                description=data.get("description", ""), model=data.get("model"),
                scenario=data.get("scenario"), solver=solver, uncertainty=unc, discovery=disc,
                label=label, path=path)
    _check_distributions(spec)
    check_sample_size(spec)
    return spec


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
        try:
            py = model.resolve(o.variable)
        except ModelError as exc:
            raise ScenarioError(f"{o.key}.variable: {exc}") from None
        outputs.append(replace(o, variable=model.variables[py].name, name=o.label))
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
                model.resolve(v)
            except ModelError as exc:
                raise ScenarioError(f"{spec.label}: uncertainty.variables: {exc}") from None
    return replace(spec, parameters=tuple(params), outputs=tuple(outputs))
