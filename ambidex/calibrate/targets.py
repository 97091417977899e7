"""Calibration targets: TOML files of case data, checked against a model.

Schema (``scenarios/data/case_firm.toml`` is a worked example)::

    name = "case_firm"                     # default: the file's stem
    source = "seed 000 ..."                # required: where the data come from
    scenario = "baseline_dual"             # default scenario of every target (name or path)
    free = ["fixed overhead", ...]         # optional default free parameters

    [bounds]                               # optional: override the parameter table's bounds
    "fixed overhead" = [1e6, 2e7]

    [fixed."initial lead customers"]       # optional: a value fixed for every scenario, with
    value = 0                              # its source (a seed passage, a reference, or
    source = "seed 000 section 4.3: ..."   # "assumption: reason"); shown in the evidence ledger

    [priors."target markup"]               # optional (MCMC): uniform within bounds otherwise
    dist = "normal"                        # normal | lognormal | uniform
    mean = 0.35
    sd = 0.1

    [targets.revenue_2021]                 # one table per target, keyed by its name
    kind = "mean"                          # series | value | mean | sum | ratio (share) | range | parameter
    variable = "total revenue"
    start = 2021.0                         # period [start, end] (mean, sum; optional for ratio/range)
    end = 2022.0
    value = 75.0
    units = "EUR M/year"                   # converted to the model's units with pint
    se = 3.0                               # standard error (data units) ... or
    weight = 1.0                           # ... a weight on the relative error
    source = "seed 000 section 4.2"
    scenario = "baseline_dual"             # optional: overrides the file's scenario

Kinds: ``series`` (``file`` = CSV relative to the TOML with ``time_column``/``value_column``
[default ``time``/``value``] and optional ``se_column``; or inline ``times``/``values``),
``value`` (``time``), ``mean`` / ``sum`` (over [``start``, ``end``]: the time average or the time
integral of the variable), ``ratio`` / ``share`` (``numerator``/``denominator`` [or ``variable``
and ``denominator``] at ``time`` or as the ratio of their means over a period), ``range``
(``between = [a, b]`` at ``time`` or for the mean over a period: no penalty inside), and
``parameter`` (``parameter`` = a model constant: a soft target, i.e. a Gaussian prior).

Residuals are ``(model - data) / se`` where ``se`` is given, else
``sqrt(weight) * (model - data) / |data|`` (a relative error; ``scale`` overrides ``|data|``).
Every mistake is a :class:`CalibrationError` naming the file and the key.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..core.errors import ModelError, ScenarioError
from ..core.tomlio import read_toml
from .errors import CalibrationError
from .units import declare_model_units, factor, product

KINDS = ("series", "value", "mean", "sum", "ratio", "share", "range", "parameter")
TOP_KEYS = {"name", "source", "description", "scenario", "free", "bounds", "priors", "targets",
            "fixed"}
COMMON = {"kind", "units", "se", "weight", "scale", "source", "scenario", "description"}
KEYS = {
    "series": COMMON | {"variable", "file", "time_column", "value_column", "se_column", "times",
                        "values"},
    "value": COMMON | {"variable", "time", "value"},
    "mean": COMMON | {"variable", "start", "end", "value"},
    "sum": COMMON | {"variable", "start", "end", "value"},
    "ratio": COMMON | {"variable", "numerator", "denominator", "time", "start", "end", "value"},
    "range": COMMON | {"variable", "time", "start", "end", "between"},
    "parameter": COMMON | {"parameter", "value"},
}
KEYS["share"] = KEYS["ratio"]
PRIOR_KEYS = {"normal": {"mean", "sd"}, "lognormal": {"median", "sigma"},
              "uniform": {"lower", "upper"}}


@dataclass
class Prior:
    """A prior on one free parameter (natural units): normal, lognormal or uniform."""

    dist: str
    a: float  # normal: mean; lognormal: median; uniform: lower
    b: float  # normal: sd; lognormal: sigma of log; uniform: upper

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.dist == "normal":
            return -0.5 * ((x - self.a) / self.b) ** 2
        if self.dist == "lognormal":
            with np.errstate(divide="ignore", invalid="ignore"):
                lx = np.where(x > 0, np.log(np.maximum(x, 1e-300)), np.nan)
                out = -0.5 * ((lx - math.log(self.a)) / self.b) ** 2 - lx
            return np.where(x > 0, out, -np.inf)
        return np.where((x >= self.a) & (x <= self.b), 0.0, -np.inf)


@dataclass
class Target:
    """One target.  ``data`` is in the data's units (``units``); a range has ``data = [a, b]``."""

    key: str
    kind: str
    label: str                   # "file.toml: targets.key" for messages
    scenario: str
    units: str = "Dmnl"
    source: str = ""
    variable: str | None = None  # as written; numerator for a ratio
    denominator: str | None = None
    parameter: str | None = None
    time: float | None = None
    start: float | None = None
    end: float | None = None
    times: np.ndarray | None = None
    data: np.ndarray = field(default_factory=lambda: np.zeros(0))
    se: np.ndarray | None = None
    weight: float = 1.0
    scale: float | None = None
    file: Path | None = None
    # filled by bind():
    vensim: str | None = None      # Vensim name of the variable (numerator)
    vensim_den: str | None = None
    py: str | None = None
    py_den: str | None = None
    model_units: str = ""
    factor: float = 1.0            # data units -> model units

    @property
    def n(self) -> int:
        return 1 if self.kind == "range" else int(self.data.size)

    @property
    def sigma(self) -> np.ndarray:
        """Scale dividing (model - data), in data units, one per element."""
        if self.se is not None:
            return np.broadcast_to(self.se, (self.n,)).astype(float)
        if self.kind == "range":
            lo, hi = self.data
            s = self.scale if self.scale is not None else (
                (hi - lo) / 2 if hi > lo else max(abs(hi), 1e-12))
            return np.full(1, s / math.sqrt(self.weight))
        if self.scale is not None:
            s = np.full(self.n, self.scale)
        elif self.kind == "series":
            rms = float(np.sqrt(np.mean(self.data ** 2)))
            s = np.full(self.n, rms if rms > 0 else 1.0)
        else:
            s = np.where(np.abs(self.data) > 0, np.abs(self.data), 1.0)
        return s / math.sqrt(self.weight)

    def describe(self) -> str:
        what = self.parameter or self.variable
        if self.denominator:
            what = f"{what} / {self.denominator}"
        if self.kind == "series":
            return f"{what} series ({self.n} points)"
        if self.time is not None:
            return f"{what} at {self.time:g}"
        if self.start is not None:
            return f"{self.kind} of {what} over {self.start:g}-{self.end:g}"
        return f"{what}"


@dataclass
class TargetSet:
    """The targets of one file with its bounds, priors and default free parameters."""

    name: str
    source: str
    path: Path | None
    targets: list[Target]
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    priors: dict[str, Prior] = field(default_factory=dict)
    free: list[str] = field(default_factory=list)
    description: str = ""
    bound: bool = False
    fixed: dict[str, dict] = field(default_factory=dict)  # name -> {"value", "source"}

    def fixed_values(self) -> dict[str, float]:
        """{parameter name: value} of the ``[fixed]`` table."""
        return {k: v["value"] for k, v in self.fixed.items()}

    @property
    def label(self) -> str:
        return str(self.path) if self.path else f"<targets {self.name}>"

    @property
    def scenarios(self) -> list[str]:
        out: list[str] = []
        for t in self.targets:
            if t.scenario not in out:
                out.append(t.scenario)
        return out

    def __iter__(self):
        return iter(self.targets)

    def __len__(self):
        return len(self.targets)


# ---------------------------------------------------------------------------- reading
def _num(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CalibrationError(f"{where}: expected a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise CalibrationError(f"{where}: expected a finite number, got {value!r}")
    return value


def _str(value, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CalibrationError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def read_csv(path: Path, time_col: str, value_col: str, se_col: str | None, where: str):
    """Read (times, values, se or None) from a CSV; clear errors for every malformed cell."""
    if not path.is_file():
        raise CalibrationError(f"{where}: data file '{path}' does not exist")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CalibrationError(f"{where}: data file '{path}' is not UTF-8 text: {exc}") from None
    rows = [r for r in csv.reader(text.splitlines()) if any(c.strip() for c in r)]
    if not rows:
        raise CalibrationError(f"{where}: data file '{path}' is empty")
    header = [h.strip() for h in rows[0]]
    cols = {}
    for name, what in ((time_col, "time_column"), (value_col, "value_column"), (se_col, "se_column")):
        if name is None:
            continue
        if name not in header:
            raise CalibrationError(f"{where}.{what}: '{path}' has no column '{name}'; "
                                   f"columns: {', '.join(header)}")
        cols[what] = header.index(name)
    if len(rows) < 2:
        raise CalibrationError(f"{where}: data file '{path}' has a header but no data rows")
    out = {k: [] for k in cols}
    for i, row in enumerate(rows[1:], start=2):
        for what, j in cols.items():
            cell = row[j].strip() if j < len(row) else ""
            try:
                v = float(cell)
            except ValueError:
                raise CalibrationError(
                    f"{where}: '{path}' line {i}, column '{header[j]}': {cell!r} is not a number"
                ) from None
            if not math.isfinite(v):
                raise CalibrationError(f"{where}: '{path}' line {i}, column '{header[j]}': "
                                       f"{cell!r} is not a finite number")
            out[what].append(v)
    t = np.asarray(out["time_column"])
    if np.any(np.diff(t) <= 0):
        raise CalibrationError(f"{where}: '{path}' times must be strictly increasing")
    se = np.asarray(out["se_column"]) if "se_column" in out else None
    if se is not None and np.any(se <= 0):
        raise CalibrationError(f"{where}: '{path}' column '{se_col}': standard errors must be > 0")
    return t, np.asarray(out["value_column"]), se


def _target(key: str, spec: dict, label: str, base: Path | None, default_scenario) -> Target:
    where = f"{label}: targets.{key}"
    if not isinstance(spec, dict):
        raise CalibrationError(f"{where}: must be a table ([targets.{key}])")
    kind = spec.get("kind")
    if kind not in KINDS:
        raise CalibrationError(f"{where}.kind: {kind!r} is not one of {', '.join(KINDS)}")
    extra = set(spec) - KEYS[kind]
    if extra:
        raise CalibrationError(f"{where}: unknown key(s) {', '.join(sorted(extra))} for a {kind} "
                               f"target; allowed: {', '.join(sorted(KEYS[kind]))}")
    kind = "ratio" if kind == "share" else kind
    scenario = spec.get("scenario", default_scenario)
    if scenario is None:
        raise CalibrationError(f"{where}: no scenario (set 'scenario' in the target or the file)")
    scenario = _str(scenario, f"{where}.scenario")
    t = Target(key=key, kind=kind, label=where, scenario=scenario,
               source=spec.get("source", ""), units=spec.get("units", "Dmnl"))
    if not isinstance(t.units, str):
        raise CalibrationError(f"{where}.units: expected a units string, got {t.units!r}")
    if not isinstance(t.source, str) or not t.source.strip():
        raise CalibrationError(f"{where}.source: every target needs a source (seed file and "
                               "section, or your reference)")
    if "se" in spec and "weight" in spec:
        raise CalibrationError(f"{where}: give either 'se' or 'weight', not both")
    if "weight" in spec:
        t.weight = _num(spec["weight"], f"{where}.weight")
        if t.weight <= 0:
            raise CalibrationError(f"{where}.weight: must be > 0")
    if "scale" in spec:
        t.scale = _num(spec["scale"], f"{where}.scale")
        if t.scale <= 0:
            raise CalibrationError(f"{where}.scale: must be > 0")
    if "se" in spec:
        se = _num(spec["se"], f"{where}.se")
        if se <= 0:
            raise CalibrationError(f"{where}.se: must be > 0")
        t.se = np.asarray([se])
    if kind == "parameter":
        t.parameter = _str(spec.get("parameter"), f"{where}.parameter")
    elif kind == "ratio":
        num = spec.get("numerator", spec.get("variable"))
        t.variable = _str(num, f"{where}.numerator")
        t.denominator = _str(spec.get("denominator"), f"{where}.denominator")
    else:
        t.variable = _str(spec.get("variable"), f"{where}.variable")
    if kind in ("value", "mean", "sum", "ratio", "parameter"):
        if "value" not in spec:
            raise CalibrationError(f"{where}: a {spec['kind']} target needs 'value'")
        t.data = np.asarray([_num(spec["value"], f"{where}.value")])
    if kind == "range":
        b = spec.get("between")
        if not isinstance(b, list) or len(b) != 2:
            raise CalibrationError(f"{where}.between: expected [lower, upper], got {b!r}")
        lo, hi = (_num(v, f"{where}.between") for v in b)
        if hi < lo:
            raise CalibrationError(f"{where}.between: lower {lo:g} is above upper {hi:g}")
        t.data = np.asarray([lo, hi])
    if "time" in spec:
        t.time = _num(spec["time"], f"{where}.time")
    if "start" in spec or "end" in spec:
        if "start" not in spec or "end" not in spec:
            raise CalibrationError(f"{where}: a period needs both 'start' and 'end'")
        t.start, t.end = _num(spec["start"], f"{where}.start"), _num(spec["end"], f"{where}.end")
        if t.end <= t.start:
            raise CalibrationError(f"{where}: end ({t.end:g}) must be after start ({t.start:g})")
    if t.time is not None and t.start is not None:
        raise CalibrationError(f"{where}: give either 'time' or 'start'/'end', not both")
    if kind == "value" and t.time is None:
        raise CalibrationError(f"{where}: a value target needs 'time'")
    if kind in ("mean", "sum") and t.start is None:
        raise CalibrationError(f"{where}: a {kind} target needs 'start' and 'end'")
    if kind in ("ratio", "range") and t.time is None and t.start is None:
        raise CalibrationError(f"{where}: a {kind} target needs 'time' or 'start'/'end'")
    if kind == "series":
        if "file" in spec:
            if "times" in spec or "values" in spec:
                raise CalibrationError(f"{where}: give either 'file' or 'times'/'values'")
            f = Path(_str(spec["file"], f"{where}.file"))
            if not f.is_absolute() and base is not None:
                f = base / f
            t.file = f
            se_col = spec.get("se_column")
            t.times, t.data, se = read_csv(f, spec.get("time_column", "time"),
                                           spec.get("value_column", "value"), se_col,
                                           f"{where}.file")
            if se is not None:
                if t.se is not None:
                    raise CalibrationError(f"{where}: give either 'se' or 'se_column'")
                t.se = se
        else:
            times, values = spec.get("times"), spec.get("values")
            if not isinstance(times, list) or not isinstance(values, list):
                raise CalibrationError(f"{where}: a series target needs 'file' (CSV) or lists "
                                       "'times' and 'values'")
            if len(times) != len(values) or not times:
                raise CalibrationError(f"{where}: 'times' and 'values' must be non-empty and of "
                                       "equal length")
            t.times = np.asarray([_num(v, f"{where}.times") for v in times])
            t.data = np.asarray([_num(v, f"{where}.values") for v in values])
            if np.any(np.diff(t.times) <= 0):
                raise CalibrationError(f"{where}.times: must be strictly increasing")
    return t


def load_targets(path: str | Path) -> TargetSet:
    """Read and check the form of a targets TOML file (names are checked by :func:`bind`)."""
    p = Path(path)
    if not p.suffix:
        p = Path(__file__).resolve().parents[2] / "scenarios" / "data" / f"{path}.toml"
    if not p.is_file():
        raise CalibrationError(f"targets file '{p}' does not exist")
    return targets_from_dict(read_toml(p, CalibrationError), path=p)


def targets_from_dict(data: dict, path: Path | None = None) -> TargetSet:
    label = str(path) if path else "<targets>"
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise CalibrationError(f"{label}: unknown key(s) {', '.join(sorted(unknown))}; allowed: "
                               f"{', '.join(sorted(TOP_KEYS))}")
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise CalibrationError(f"{label}: 'source' (where the data come from) is required")
    raw = data.get("targets")
    if not isinstance(raw, dict) or not raw:
        raise CalibrationError(f"{label}: no targets (add [targets.NAME] tables)")
    base = path.parent if path else None
    targets = [_target(k, v, label, base, data.get("scenario")) for k, v in raw.items()]
    bounds = {}
    rb = data.get("bounds", {})
    if not isinstance(rb, dict):
        raise CalibrationError(f"{label}: [bounds] must be a table of name = [lower, upper]")
    for k, v in rb.items():
        where = f"{label}: bounds.{k}"
        if not isinstance(v, list) or len(v) != 2:
            raise CalibrationError(f"{where}: expected [lower, upper], got {v!r}")
        bounds[k] = (_num(v[0], where), _num(v[1], where))
    priors = {}
    rp = data.get("priors", {})
    if not isinstance(rp, dict):
        raise CalibrationError(f"{label}: [priors] must be a table of tables")
    for k, v in rp.items():
        where = f"{label}: priors.{k}"
        if not isinstance(v, dict) or v.get("dist") not in PRIOR_KEYS:
            raise CalibrationError(f"{where}.dist: must be one of {', '.join(PRIOR_KEYS)}")
        need = PRIOR_KEYS[v["dist"]]
        if set(v) - need - {"dist"} or need - set(v):
            raise CalibrationError(f"{where}: a {v['dist']} prior takes exactly "
                                   f"{', '.join(sorted(need))}")
        a, b = (_num(v[x], f"{where}") for x in sorted(need, key=["mean", "median", "lower", "sd", "sigma", "upper"].index))
        if v["dist"] != "uniform" and b <= 0 or v["dist"] == "uniform" and b <= a \
                or v["dist"] == "lognormal" and a <= 0:
            raise CalibrationError(f"{where}: invalid {v['dist']} prior parameters")
        priors[k] = Prior(v["dist"], a, b)
    free = data.get("free", [])
    if not isinstance(free, list) or not all(isinstance(f, str) for f in free):
        raise CalibrationError(f"{label}: 'free' must be a list of parameter names")
    fixed = {}
    rf = data.get("fixed", {})
    if not isinstance(rf, dict):
        raise CalibrationError(f"{label}: [fixed] must be a table of tables (value, source)")
    for k, v in rf.items():
        where = f"{label}: fixed.{k}"
        if not isinstance(v, dict) or set(v) != {"value", "source"}:
            raise CalibrationError(f"{where}: expected a table with exactly 'value' and 'source'")
        fixed[k] = {"value": _num(v["value"], f"{where}.value"),
                    "source": _str(v["source"], f"{where}.source")}
        if k in free:
            raise CalibrationError(f"{where}: '{k}' is also in 'free'; a parameter is either "
                                   "fitted or fixed")
    return TargetSet(name=data.get("name") or (path.stem if path else "targets"),
                     source=source, path=path, targets=targets, bounds=bounds, priors=priors,
                     free=list(free), description=data.get("description", ""), fixed=fixed)


# ---------------------------------------------------------------------------- binding
def _resolve_var(model, name: str, where: str):
    try:
        py = model.resolve(name)
    except ModelError as exc:
        raise CalibrationError(f"{where}: {exc}") from None
    var = model.variables[py]
    if var.subscripts:
        raise CalibrationError(f"{where}: '{name}' is subscripted; name one element")
    return py, var


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
        for k, v in (("time", t.time), ("start", t.start), ("end", t.end)):
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
