"""One simulate path for every analysis and every face.

``simulate(model, scenarios, params, method)`` validates the scenarios against the model, runs
each through a backend and an integrator, checks the result (no NaN, no negative physical stock)
and returns one ``xarray.Dataset`` with dims ``scenario`` and ``time``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import xarray as xr

from . import solvers
from .backends.pysd_backend import PysdRunner
from .errors import ModelError, ScenarioError, SolverError, UnsupportedFunctionError
from .interventions import breakpoints
from .model import Model, load_model, normalise
from .provenance import stamp
from .scenario import METHODS, Scenario, load_scenario, validate

DEFAULT_METHOD = "LSODA"
BACKENDS = ("auto", "pysd", "compiled")
COMPILED_METHODS = {"euler": "euler", "rk4": "rk4", "dopri5": "dopri5"}
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-6


def _as_model(model) -> Model:
    return model if isinstance(model, Model) else load_model(model)


def _as_scenarios(scenarios) -> list[Scenario]:
    if scenarios is None:
        return [Scenario(name="default", source="model defaults")]
    if isinstance(scenarios, (str, Path, Scenario)):
        scenarios = [scenarios]
    out = [load_scenario(s) for s in scenarios]
    names = [s.name for s in out]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ScenarioError(f"scenario name(s) {', '.join(sorted(dup))} given more than once")
    return out


def _save_times(t0: float, t1: float, saveper: float) -> np.ndarray:
    n = int(np.floor((t1 - t0) / saveper + 1e-9))
    return t0 + saveper * np.arange(n + 1)


def method_choice(model: Model, scenario: Scenario, method: str | None) -> tuple[str | None, str]:
    """The integration method to use and why: the caller's, else the scenario's, else the one
    the model file was saved with (Vensim settings line / XMILE sim_specs), else None (the
    backend's default)."""
    if method:
        return method, "given by the caller"
    if scenario.solver.get("method"):
        return scenario.solver["method"], f"scenario '{scenario.name}'"
    if model.saved_method:
        return model.saved_method, f"the model file's own method ({model.saved_method_note})"
    return None, ""


def choose_backend(model: Model, scenario: Scenario, method: str | None, backend: str,
                   time_step: float | None = None) -> str:
    """'compiled' where the model compiles, the scenario has no scheduled interventions, keeps
    the model's horizon and TIME STEP, and the method is one the compiled engine has (euler,
    rk4, dopri5); else 'pysd'."""
    if backend not in BACKENDS:
        raise ScenarioError(f"backend {backend!r} is not one of {', '.join(BACKENDS)}")
    if backend == "pysd":
        return "pysd"  # dopri5 there is scipy's RK45, the same Dormand-Prince 5(4) pair
    ok_method = method is None or method in COMPILED_METHODS
    if backend == "compiled":
        if not ok_method:
            raise ScenarioError(f"the compiled backend has methods {', '.join(COMPILED_METHODS)}, not {method!r}")
        if scenario.interventions:
            raise ScenarioError(f"{scenario.label}: scheduled interventions run on backend='pysd' only")
        model.compiled()  # raises UnsupportedFunctionError naming the function
        return "compiled"
    same_grid = (scenario.horizon == (model.control["initial_time"], model.control["final_time"])
                 and (time_step is None or time_step == model.control["time_step"]))
    if not ok_method or scenario.interventions or not same_grid:
        return "pysd"
    try:
        model.compiled()
    except UnsupportedFunctionError:
        return "pysd"
    return "compiled"


def _run_compiled(model: Model, scenario: Scenario, method: str, rtol: float, atol: float,
                  time_step: float, saveper: float, times: np.ndarray) -> dict:
    cm = model.compiled()
    params = {model.variables[py].name: v for py, v in scenario.parameters.items()}
    t0, t1 = scenario.horizon
    for key, val in (("initial_time", t0), ("final_time", t1), ("time_step", time_step)):
        if val != model.control[key]:
            raise ScenarioError(
                f"{scenario.label}: changing {key} runs on backend='pysd' only")
    res = cm.run(params=params, n=1, method=method, t_eval=times, rtol=rtol, atol=atol)
    out = {}
    for name, arr in res.items():
        py = cm.py_names.get(name) if hasattr(cm, "py_names") else None
        py = py or model._index.get(normalise(name))
        if py in model.variables and py not in cm.subscripted:
            out[py] = np.asarray(arr[0], dtype=float)
    for py, (dims, coords, elems) in cm.subscripted.items():
        if py not in model.variables:
            continue
        data = np.full((len(times), *[len(coords[d]) for d in dims]), np.nan)
        for tup, name in elems:
            data[(slice(None), *[coords[d].index(e) for d, e in zip(dims, tup)])] = res[name][0]
        out[py] = xr.DataArray(data, dims=("time", *dims),
                               coords={"time": times, **{d: coords[d] for d in dims}},
                               attrs={"partial": len(elems) < data[0].size})
    if len(res.failed):
        check(model, scenario, method, times, out)  # names the variable when outputs show it
        raise SolverError(f"scenario '{scenario.name}': {'; '.join(res.failure_messages())}")
    return out


def run_one(model: Model, scenario: Scenario, method: str, rtol: float, atol: float,
            time_step: float, saveper: float, max_step: float | None = None,
            backend: str = "pysd") -> tuple[np.ndarray, dict]:
    """Simulate one validated scenario; return (times, {py_name: values}).

    Raises :class:`SolverError` naming the variable and time of the first NaN/inf, or the stock
    and time where a physical stock (declared range starting at 0) goes negative.
    """
    t0, t1 = scenario.horizon
    times = _save_times(t0, t1, saveper)
    if backend == "compiled":
        arrays = _run_compiled(model, scenario, method, rtol, atol, time_step, saveper, times)
        return times, check(model, scenario, method, times, arrays)
    runner = PysdRunner(model, scenario, time_step, saveper)
    records: list = [None] * len(times)
    if method in solvers.FIXED:
        def on_step(t, y, k, advance):
            if k is not None:
                records[k] = runner.outputs(float(t), y)
            if advance:
                runner.advance(t, y)

        states = solvers.fixed_step(runner.rhs, runner.y0, t0, t1, time_step, times, method,
                                    on_step=on_step)
    else:
        if runner.discrete:
            from .backends.pysd_backend import DISCRETE

            kinds = sorted({DISCRETE[type(el).__name__] for el in runner.discrete})
            raise ScenarioError(
                f"scenario '{scenario.name}': model '{model.path.name}' uses {', '.join(kinds)}, "
                f"which steps once per TIME STEP; method {method!r} is adaptive — use 'euler' "
                "or 'rk4'")
        bps = breakpoints(scenario.interventions, t0, t1)
        if max_step is None and model.uses_time_functions:
            max_step = time_step  # STEP/PULSE/RAMP inside the model: never step over them
        # dopri5 off the compiled engine (interventions, another grid): scipy's RK45 is the same
        # Dormand-Prince 5(4) pair, restarted at each intervention's change times
        states = solvers.adaptive(runner.rhs, runner.y0, t0, t1, times,
                                  "RK45" if method == "dopri5" else method, rtol, atol,
                                  max_step=max_step, breakpoints=bps)
    label = f"scenario '{scenario.name}'"
    if not np.all(np.isfinite(states)):
        k = int(np.argwhere(~np.isfinite(states))[0][0])
        raise SolverError(f"{label}: {method} produced a non-finite state at t={times[k]:g}")
    for k, (t, y) in enumerate(zip(times, states)):
        if records[k] is None and np.all(np.isfinite(y)):
            records[k] = runner.outputs(float(t), y)
    arrays = _stack(records, times)
    return times, check(model, scenario, method, times, arrays)


def _stack(records: list, times: np.ndarray) -> dict:
    """Per-time output dicts -> {py: array (T,)} or, for subscripted variables, an
    ``xarray.DataArray`` with dims ("time", *subscript ranges)."""
    first = next((r for r in records if r is not None), {})
    arrays = {}
    for py, v0 in first.items():
        if isinstance(v0, xr.DataArray):
            blank = xr.full_like(v0, np.nan)
            arrays[py] = xr.concat([r[py] if r is not None and py in r else blank for r in records],
                                   dim="time").assign_coords(time=times)
        else:
            arrays[py] = np.array([r[py] if r is not None and py in r else np.nan
                                   for r in records], dtype=float)
    return arrays


def check(model: Model, scenario: Scenario, method: str, times: np.ndarray, arrays: dict) -> dict:
    """Raise :class:`SolverError` on NaN/inf or a physical stock below 0; return ``arrays``."""
    label = f"scenario '{scenario.name}'"
    first = None
    for py, arr in arrays.items():
        bad = ~np.isfinite(np.asarray(getattr(arr, "values", arr), dtype=float).reshape(len(times), -1))
        if getattr(arr, "attrs", {}).get("partial"):  # elements the model leaves undefined
            bad = bad[:, ~bad.all(axis=0)]
        bad = bad.any(axis=1)
        if bad.any():
            k = int(np.argmax(bad))
            if first is None or k < first[0]:
                first = (k, py, arr[k])
    if first is not None:
        k, py, val = first
        val = np.asarray(getattr(val, "values", val)).ravel()
        val = val[~np.isfinite(val)][0]
        raise SolverError(f"{label}: variable '{model.variables[py].name}' is {val} at t={times[k]:g}")
    for stock in model.stocks:
        if stock.physical and stock.py_name in arrays:
            arr = np.asarray(getattr(arrays[stock.py_name], "values", arrays[stock.py_name]))
            arr = arr.reshape(len(times), -1).min(axis=1)
            scale = max(1.0, float(np.max(np.abs(arr))))
            neg = arr < -1e-9 * scale
            if neg.any():
                k = int(np.argmax(neg))
                raise SolverError(
                    f"{label}: stock '{stock.name}' went negative ({arr[k]:.6g}) at t={times[k]:g}; "
                    f"its declared range starts at 0"
                )
    return arrays


def simulate(model=None, scenarios=None, params: dict | None = None, method: str | None = None,
             rtol: float | None = None, atol: float | None = None, time_step: float | None = None,
             saveper: float | None = None, variables: Iterable[str] | None = None,
             backend: str = "auto") -> xr.Dataset:
    """Simulate ``scenarios`` (names, paths or :class:`Scenario`; default: model defaults).

    ``params`` (name -> value) override parameters in every scenario; ``method`` is one of
    LSODA, RK45, RK23, DOP853, Radau, BDF (scipy, PySD backend), dopri5 (per-run adaptive,
    compiled backend), euler, rk4, and overrides the scenarios' own; ``backend`` is "auto"
    (default: the compiled engine where the model compiles, the scenario has no scheduled
    interventions and the method allows; the adaptive default is then dopri5), "pysd" or
    "compiled"; ``time_step`` (model time unit) is the Euler/RK4 step, default the model's TIME STEP;
    ``saveper`` the output interval, default the model's SAVEPER.  ``variables`` limits the
    output to these names.

    Returns an ``xarray.Dataset`` with dims (scenario, time); each model variable is a data
    variable named by its Python name with attrs ``units``, ``description`` and ``long_name``;
    dataset attrs record model path and hash, solver, tolerances and versions.
    """
    model = _as_model(model)
    scens = [validate(s, model, params) for s in _as_scenarios(scenarios)]
    if method is not None and method not in METHODS:
        raise ScenarioError(f"method {method!r} is not one of {', '.join(METHODS)}")
    keep = None
    if variables is not None:
        keep = [model.resolve(v) for v in variables]
    runs = []
    solver_used = []
    for sc in scens:
        m, m_source = method_choice(model, sc, method)
        be = choose_backend(model, sc, m, backend, time_step or sc.solver.get("time_step"))
        m = m or ("dopri5" if be == "compiled" else DEFAULT_METHOD)
        rt = rtol if rtol is not None else sc.solver.get("rtol", DEFAULT_RTOL)
        at = atol if atol is not None else sc.solver.get("atol", DEFAULT_ATOL)
        dt = time_step or sc.solver.get("time_step", model.control["time_step"])
        sp = saveper or model.control["saveper"]
        if sp < dt * (1 - 1e-9) and m in solvers.FIXED:
            raise ScenarioError(f"saveper {sp:g} is smaller than the time step {dt:g}")
        times, arrays = run_one(model, sc, m, rt, at, dt, sp, sc.solver.get("max_step"), be)
        runs.append((sc, times, arrays))
        solver_used.append({"scenario": sc.name, "method": m, "backend": be, "rtol": rt,
                            "atol": at, "time_step": dt, "saveper": sp,
                            "method_source": m_source or f"ambidex default for backend {be}"})
    return assemble(model, runs, solver_used, keep)


def assemble(model: Model, runs, solver_used, keep=None) -> xr.Dataset:
    """Stack per-scenario arrays into one Dataset (outer-joined on time)."""
    dsets = []
    for sc, times, arrays in runs:
        names = keep if keep is not None else list(arrays)
        data = {}
        for py in names:
            if py not in arrays:
                raise ModelError(f"variable '{model.variables[py].name}' of model "
                                 f"'{model.path.name}' has no time series (a lookup or data "
                                 "function called with an argument)")
            arr = arrays[py]
            if isinstance(arr, xr.DataArray):
                data[py] = arr.transpose("time", ...).assign_coords(time=times)
            else:
                data[py] = (("time",), arr)
        dsets.append(xr.Dataset(data, coords={"time": times}).expand_dims(scenario=[sc.name]))
    ds = xr.concat(dsets, dim="scenario", join="outer") if len(dsets) > 1 else dsets[0]
    for py in ds.data_vars:
        var = model.variables[py]
        ds[py].attrs = {"units": var.units, "description": var.doc, "long_name": var.name,
                        "kind": var.kind, "sector": var.sector}
    ds["time"].attrs = {"units": model.time_units, "long_name": "time"}
    ds = ds.assign_coords(
        scenario_source=("scenario", [sc.source for sc, _, _ in runs]),
        scenario_file=("scenario", [str(sc.path) if sc.path else "" for sc, _, _ in runs]),
    )
    ds.attrs = stamp(
        model,
        backend=",".join(sorted({u["backend"] for u in solver_used})),
        solver=json.dumps(solver_used),
        scenarios=json.dumps([sc.name for sc, _, _ in runs]),
        scenario_parameters=json.dumps({sc.name: sc.parameters for sc, _, _ in runs}, sort_keys=True),
        scenario_interventions=json.dumps(
            {sc.name: [iv.__dict__ for iv in sc.interventions] for sc, _, _ in runs}, sort_keys=True),
    )
    return ds
