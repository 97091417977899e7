"""Scenarios: TOML files of parameter overrides, scheduled interventions, horizon and solver.

Schema (every key optional except where said)::

    name = "fragmentation"                 # default: the file's stem
    source = "seed 001 section 3: ..."     # required: the seed passage it represents
    description = "..."
    [parameters]                           # overrides, by model-file or Python name
    selectivity = 0.0
    [[interventions]]                      # kind = step | ramp | pulse
    parameter = "intended exploration share"
    kind = "step"
    time = 2005.0
    to = 0.7
    [horizon]
    start = 2000.0
    end = 2035.0
    [solver]
    method = "LSODA"                       # LSODA RK45 Radau BDF DOP853 RK23 dopri5 bs3 euler rk4
    rtol = 1e-6
    atol = 1e-6
    time_step = 0.0625                     # euler / rk4

:func:`load_scenario` reads and checks the file's form; :func:`validate` checks it against a
model's parameter table (unknown names, types, bounds).  Both raise :class:`ScenarioError` naming
the file, the key and what is allowed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ModelError, ScenarioError
from .interventions import KINDS, Intervention
from .paths import PACKAGE_ROOT
from .tomlio import parse_toml

if TYPE_CHECKING:  # type hints only: the model imports nothing from here at load time
    from .model import Model

SCENARIO_DIR = PACKAGE_ROOT / "scenarios"
METHODS = ("LSODA", "RK45", "RK23", "DOP853", "Radau", "BDF", "euler", "rk4", "dopri5", "bs3")
TOP_KEYS = {"name", "source", "description", "parameters", "interventions", "horizon", "solver"}
SOLVER_KEYS = {"method", "rtol", "atol", "time_step", "max_step"}
IV_FIELDS = {
    "step": ({"parameter", "kind", "time", "to"}, set()),
    "ramp": ({"parameter", "kind", "start", "end", "to"}, set()),
    "pulse": ({"parameter", "kind", "time", "height"}, {"width"}),
}


@dataclass(frozen=True)
class Scenario:
    """A named set of overrides and interventions; ``parameters`` keys are as written in the file
    until :func:`validate` maps them to py names."""

    name: str
    source: str = ""
    description: str = ""
    parameters: dict[str, float] = field(default_factory=dict)
    interventions: tuple[Intervention, ...] = ()
    horizon: tuple[float | None, float | None] = (None, None)
    solver: dict = field(default_factory=dict)
    path: Path | None = None

    @property
    def label(self) -> str:
        return str(self.path) if self.path else f"<scenario {self.name}>"


def _num(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"{where}: expected a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        raise ScenarioError(f"{where}: expected a finite number, got {value!r}")
    return value


def scenario_dir(directory: str | Path | None = None) -> Path:
    """The scenarios folder: the one given, else ./scenarios if present, else the package's."""
    if directory is not None:
        return Path(directory)
    local = Path.cwd() / "scenarios"
    return local if local.is_dir() else SCENARIO_DIR


def list_scenarios(directory: str | Path | None = None) -> list[Path]:
    """Every ``*.toml`` scenario file in the scenarios folder, sorted by name."""
    return sorted(scenario_dir(directory).glob("*.toml"))


def load_scenario(path_or_name: str | Path | Scenario, directory: str | Path | None = None) -> Scenario:
    """Read a scenario from a TOML path, or by name from the scenarios folder."""
    if isinstance(path_or_name, Scenario):
        return path_or_name
    p = Path(path_or_name)
    if not p.suffix:
        p = scenario_dir(directory) / f"{path_or_name}.toml"
    if not p.is_file():
        known = ", ".join(f.stem for f in list_scenarios(directory)) or "none"
        raise ScenarioError(f"scenario '{path_or_name}' not found (looked for '{p}'); known: {known}")
    return _parsed(p, p.read_bytes())


#: path -> (the file's bytes, the Scenario read from them): a file is parsed again only when
#: its content changed (compared byte for byte, so an edit within the mtime's resolution counts)
_READ: dict[Path, tuple[bytes, Scenario]] = {}
_READ_MAX = 256


def _parsed(p: Path, raw: bytes) -> Scenario:
    """The Scenario in file ``p`` whose content is ``raw``: read once per content, handed out
    as a copy (its dicts are the caller's to change)."""
    hit = _READ.get(p)
    if hit is None or hit[0] != raw:
        sc = scenario_from_dict(parse_toml(raw, p, ScenarioError), path=p)
        if len(_READ) >= _READ_MAX:
            _READ.clear()
        _READ[p] = hit = (raw, sc)
    sc = hit[1]
    return replace(sc, parameters=dict(sc.parameters), solver=dict(sc.solver))


def scenario_from_dict(data: dict, path: Path | None = None, name: str | None = None) -> Scenario:
    """Build a :class:`Scenario` from a dict shaped like the TOML file, checking its form."""
    label = str(path) if path else "<scenario>"
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise ScenarioError(
            f"{label}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(TOP_KEYS))}"
        )
    for key in ("name", "source", "description"):
        if key in data and not isinstance(data[key], str):
            raise ScenarioError(f"{label}: key '{key}' must be a string")
    params_in = data.get("parameters", {})
    if not isinstance(params_in, dict):
        raise ScenarioError(f"{label}: [parameters] must be a table of name = number")
    params = {k: _num(v, f"{label}: parameters.{k}") for k, v in params_in.items()}
    ivs = []
    raw_ivs = data.get("interventions", [])
    if not isinstance(raw_ivs, list):
        raise ScenarioError(f"{label}: 'interventions' must be an array of tables ([[interventions]])")
    for i, iv in enumerate(raw_ivs):
        ivs.append(_intervention(iv, f"{label}: interventions[{i}]"))
    horizon = data.get("horizon", {})
    if not isinstance(horizon, dict) or set(horizon) - {"start", "end"}:
        raise ScenarioError(f"{label}: [horizon] allows only 'start' and 'end' (numbers)")
    start = _num(horizon["start"], f"{label}: horizon.start") if "start" in horizon else None
    end = _num(horizon["end"], f"{label}: horizon.end") if "end" in horizon else None
    if start is not None and end is not None and end <= start:
        raise ScenarioError(f"{label}: horizon.end ({end:g}) must be after horizon.start ({start:g})")
    solver = dict(data.get("solver", {}))
    if set(solver) - SOLVER_KEYS:
        raise ScenarioError(
            f"{label}: unknown [solver] key(s) {', '.join(sorted(set(solver) - SOLVER_KEYS))}; "
            f"allowed: {', '.join(sorted(SOLVER_KEYS))}"
        )
    if "method" in solver and solver["method"] not in METHODS:
        raise ScenarioError(f"{label}: solver.method {solver['method']!r} is not one of {', '.join(METHODS)}")
    for key in ("rtol", "atol", "time_step", "max_step"):
        if key in solver:
            solver[key] = _num(solver[key], f"{label}: solver.{key}")
            if solver[key] <= 0:
                raise ScenarioError(f"{label}: solver.{key} must be > 0")
    return Scenario(
        name=data.get("name") or name or (path.stem if path else "scenario"),
        source=data.get("source", ""),
        description=data.get("description", ""),
        parameters=params,
        interventions=tuple(ivs),
        horizon=(start, end),
        solver=solver,
        path=path,
    )


def _intervention(iv, where: str) -> Intervention:
    """One ``[[interventions]]`` table checked and built; ScenarioError naming ``where``."""
    if not isinstance(iv, dict):
        raise ScenarioError(f"{where}: must be a table")
    kind = iv.get("kind")
    if kind not in KINDS:
        raise ScenarioError(f"{where}.kind: {kind!r} is not one of {', '.join(KINDS)}")
    required, optional = IV_FIELDS[kind]
    missing = required - set(iv)
    if missing:
        raise ScenarioError(f"{where}: {kind} needs key(s) {', '.join(sorted(missing))}")
    extra = set(iv) - required - optional
    if extra:
        raise ScenarioError(
            f"{where}: unknown key(s) {', '.join(sorted(extra))} for a {kind}; "
            f"allowed: {', '.join(sorted(required | optional))}"
        )
    if not isinstance(iv["parameter"], str):
        raise ScenarioError(f"{where}.parameter: must be a parameter name (string)")
    if kind == "step":
        return Intervention(iv["parameter"], kind, _num(iv["time"], f"{where}.time"),
                            to=_num(iv["to"], f"{where}.to"))
    if kind == "ramp":
        start, end = _num(iv["start"], f"{where}.start"), _num(iv["end"], f"{where}.end")
        if end <= start:
            raise ScenarioError(f"{where}: ramp end ({end:g}) must be after start ({start:g})")
        return Intervention(iv["parameter"], kind, start, end=end, to=_num(iv["to"], f"{where}.to"))
    width = _num(iv.get("width", 0.0), f"{where}.width")
    if width < 0:
        raise ScenarioError(f"{where}.width: must be >= 0 (0 means one TIME STEP)")
    return Intervention(iv["parameter"], kind, _num(iv["time"], f"{where}.time"),
                        height=_num(iv["height"], f"{where}.height"), width=width)


def validate(scenario: Scenario, model: Model, extra: dict | None = None) -> Scenario:
    """Check ``scenario`` (plus ``extra`` overrides) against ``model``; return it with py names.

    Unknown parameter names, values outside a parameter's range, intervention times outside the
    horizon: each a :class:`ScenarioError` naming file, key and allowed range.
    """
    label = scenario.label
    params: dict[str, float] = {}
    merged = dict(scenario.parameters)
    merged.update(extra or {})
    for key, value in merged.items():
        where = f"{label}: parameters.{key}" if key in scenario.parameters else f"params['{key}']"
        try:
            p = model.resolve_parameter(key)
        except ModelError as exc:
            raise ScenarioError(f"{where}: {exc}") from None
        value = _num(value, where)
        try:
            model.table.check(p.py_name, value, where)
        except ValueError as exc:
            raise ScenarioError(str(exc)) from None
        params[p.py_name] = value
    t0 = scenario.horizon[0] if scenario.horizon[0] is not None else model.control["initial_time"]
    t1 = scenario.horizon[1] if scenario.horizon[1] is not None else model.control["final_time"]
    if not t1 > t0:
        raise ScenarioError(f"{label}: the horizon ends at {t1:g}, not after it starts at {t0:g}; "
                            f"set [horizon] start and end with end > start (the model runs "
                            f"{model.control['initial_time']:g} to {model.control['final_time']:g})")
    ivs = []
    for i, iv in enumerate(scenario.interventions):
        where = f"{label}: interventions[{i}]"
        try:
            p = model.resolve_parameter(iv.parameter)
        except ModelError as exc:
            raise ScenarioError(f"{where}.parameter: {exc}") from None
        for t in iv.times():
            if not (t0 <= t <= t1):
                raise ScenarioError(f"{where}: time {t:g} is outside the horizon [{t0:g}, {t1:g}]")
        base = params.get(p.py_name, p.default)
        peak = iv.to if iv.kind != "pulse" else base + iv.height
        try:
            model.table.check(p.py_name, peak, where)
        except ValueError as exc:
            raise ScenarioError(str(exc)) from None
        width = iv.width if iv.kind != "pulse" or iv.width else model.control["time_step"]
        ivs.append(Intervention(p.py_name, iv.kind, iv.time, to=iv.to, end=iv.end,
                                height=iv.height, width=width if iv.kind == "pulse" else None))
    return Scenario(
        name=scenario.name, source=scenario.source, description=scenario.description,
        parameters=params, interventions=tuple(ivs), horizon=(t0, t1),
        solver=dict(scenario.solver), path=scenario.path,
    )
