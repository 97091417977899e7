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
``value`` (``time``; with ``since`` the change from ``since`` to ``time``), ``mean`` / ``sum``
(over [``start``, ``end``]: the time average or the time integral of the variable),
``ratio`` / ``share`` (``numerator``/``denominator`` [or ``variable`` and ``denominator``] at
``time`` or as the ratio of their means over a period), ``range``
(``between = [a, b]`` at ``time``, for the change ``since`` a time, or for the mean over a
period: no penalty inside, e.g. a direction of movement as ``between = [0, 1]``), and
``parameter`` (``parameter`` = a model constant: a soft target, i.e. a Gaussian prior).

Residuals are ``(model - data) / se`` where ``se`` is given, else
``sqrt(weight) * (model - data) / |data|`` (a relative error; ``scale`` overrides ``|data|``).
Every mistake is a :class:`CalibrationError` naming the file and the key.
"""

from __future__ import annotations

from pathlib import Path

from ..core.tomlio import read_toml
from .errors import CalibrationError
from .target_spec import nonempty, number, parse_target
from .targetset import KEYS, KINDS, PRIOR_KEYS, TOP_KEYS, Prior, Target, TargetSet

__all__ = ["KEYS", "KINDS", "Prior", "Target", "TargetSet", "load_targets", "targets_from_dict"]


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
    targets = [parse_target(k, v, label, base, data.get("scenario")) for k, v in raw.items()]
    bounds = {}
    rb = data.get("bounds", {})
    if not isinstance(rb, dict):
        raise CalibrationError(f"{label}: [bounds] must be a table of name = [lower, upper]")
    for k, v in rb.items():
        where = f"{label}: bounds.{k}"
        if not isinstance(v, list) or len(v) != 2:
            raise CalibrationError(f"{where}: expected [lower, upper], got {v!r}")
        bounds[k] = (number(v[0], where), number(v[1], where))
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
        a, b = (number(v[x], f"{where}") for x in sorted(need, key=["mean", "median", "lower", "sd", "sigma", "upper"].index))
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
        fixed[k] = {"value": number(v["value"], f"{where}.value"),
                    "source": nonempty(v["source"], f"{where}.source")}
        if k in free:
            raise CalibrationError(f"{where}: '{k}' is also in 'free'; a parameter is either "
                                   "fitted or fixed")
    return TargetSet(name=data.get("name") or (path.stem if path else "targets"),
                     source=source, path=path, targets=targets, bounds=bounds, priors=priors,
                     free=list(free), description=data.get("description", ""), fixed=fixed)
