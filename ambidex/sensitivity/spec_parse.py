"""Reading a sensitivity spec: a TOML file, a TOML-shaped dict or SALib's ``problem`` form
(see :mod:`ambidex.sensitivity.spec` for the format) into a checked :class:`Spec`.

Every mistake is a :class:`~ambidex.core.errors.ScenarioError` naming the file and the key.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..core.errors import ScenarioError
from ..core.tomlio import read_toml
from .spec import (
    DISCOVERY_KEYS,
    DISTRIBUTIONS,
    METHOD_KEYS,
    METHODS,
    OUTPUT_KEYS,
    PARAM_KEYS,
    SOLVER_KEYS,
    STATISTICS,
    TOP_KEYS,
    UNCERTAINTY_KEYS,
    OutputSpec,
    ParamSpec,
    Spec,
)
from .spec_check import _check_distributions, check_against_model, check_sample_size


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

    mname, samples, options = _method(data, label)
    params = _parameters(data, label)
    outputs = _outputs(data, label)
    solver, unc = _solver(data, label), _uncertainty(data, label)
    disc = _discovery(data, label, outputs)
    spec = Spec(parameters=tuple(params), outputs=tuple(outputs), method=mname, samples=samples,
                options=options, seed=seed, name=data.get("name") or (path.stem if path else "sensitivity"),
                description=data.get("description", ""), model=data.get("model"),
                scenario=data.get("scenario"), solver=solver, uncertainty=unc, discovery=disc,
                label=label, path=path)
    _check_distributions(spec)
    check_sample_size(spec)
    return spec


def _method(data: dict, label: str):
    """The [method] table: (method name, samples, options), checked."""
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
    return mname, samples, options


def _parameters(data: dict, label: str):
    """The [[parameters]] (or the {name = {...}} shorthand) as ParamSpecs, checked for form."""
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
    return params


def _outputs(data: dict, label: str):
    """The [[outputs]] as OutputSpecs, checked for form and distinct labels."""
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
    return outputs


def _solver(data: dict, label: str):
    """The optional [solver] table, checked."""
    solver = dict(_table(data.get("solver", {}), f"{label}: [solver]"))
    _keys(solver, SOLVER_KEYS, f"{label}: [solver]")
    for k in ("rtol", "atol"):
        if k in solver and _num(solver[k], f"{label}: solver.{k}") <= 0:
            raise ScenarioError(f"{label}: solver.{k} must be > 0")
    if "chunk_size" in solver and _num(solver["chunk_size"], f"{label}: solver.chunk_size",
                                       integer=True) < 1:
        raise ScenarioError(f"{label}: solver.chunk_size must be >= 1")
    return solver


def _uncertainty(data: dict, label: str):
    """The optional [uncertainty] table (None when absent), checked."""
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
    return unc


def _discovery(data: dict, label: str, outputs: list):
    """The optional [discovery] table (None when absent), checked against the outputs."""
    labels = [o.label for o in outputs]
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
    return disc
