"""``solve``: the one path from a model, scenarios and parameter samples to results.

    ds = solve(model, scenarios=["baseline_dual", "fragmentation"],
               samples={"selectivity": np.linspace(0, 1, 50)}, solver={"method": "dopri5"})
    ds.total_revenue            # dims (scenario, sample, time)

Every analysis (calibrate, sensitivity, loops, check) and every face (CLI, workshop, report)
reaches an engine only through here (see docs/reference/architecture.md): scenarios and samples
are validated once against the model's :class:`~ambidex.core.parameters.ParameterTable`, each
scenario goes to one engine (:mod:`ambidex.engines`) as one N x P matrix, every run is checked
once (:mod:`ambidex.core.checks`) and the result carries one provenance schema
(:func:`ambidex.core.assembly.provenance`).  :func:`ambidex.simulate` and
:func:`ambidex.ensemble` are thin wrappers over it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from .core import assembly
from .core.checks import run_problems
from .core.errors import ModelError, ScenarioError, SolverError, UnsupportedFunctionError
from .core.grid import save_times
from .core.model import Model, as_model
from .core.samples import check_samples
from .core.scenario import METHODS, Scenario, load_scenario, validate
from .engines import ENGINES, Solver, StatePoint, get_engine

DEFAULT_METHOD = {"compiled": "dopri5", "pysd": "LSODA"}
DEFAULT_RTOL = DEFAULT_ATOL = 1e-6
FAILURE_MODES = ("raise", "mark", "ignore")


def as_scenarios(scenarios) -> list[Scenario]:
    """Scenario objects from names, paths or Scenarios (None: the model's defaults)."""
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


@dataclass(frozen=True)
class Plan:
    """One validated scenario ready to run: its engine, solver settings and save times."""

    scenario: Scenario
    engine: str
    solver: Solver
    times: np.ndarray
    saveper: float
    method_source: str = ""
    #: why the automatic choice left the compiled engine ('' when it did not)
    fallback: str = ""

    def record(self) -> dict:
        """The settings used, for the ``solver`` provenance attr."""
        return self.solver.record() | {"engine": self.engine, "backend": self.engine,
                                       "saveper": self.saveper,
                                       "method_source": self.method_source}


def method_choice(model: Model, scenario: Scenario, method: str | None) -> tuple[str | None, str]:
    """The integration method to use and why: the caller's, else the scenario's, else the one
    the model file was saved with (Vensim settings line / XMILE sim_specs), else None (the
    engine's default)."""
    if method:
        return method, "given by the caller"
    if scenario.solver.get("method"):
        return scenario.solver["method"], f"scenario '{scenario.name}'"
    if getattr(model, "saved_method", None):
        return model.saved_method, f"the model file's own method ({model.saved_method_note})"
    stepped = _stepped_functions(model)
    if stepped:  # DELAY FIXED / SAMPLE IF TRUE step once per TIME STEP: no adaptive default
        return "euler", f"the model uses {', '.join(stepped)}, which steps once per TIME STEP"
    return None, ""


def _stepped_functions(model: Model) -> list[str]:
    """The once-per-TIME-STEP functions (DELAY FIXED, SAMPLE IF TRUE, ...) the model uses, as
    :func:`~ambidex.core.model.load_model` read them (from its IR, or PySD's translation)."""
    return list(getattr(model, "stepped", ()))


def _setting(key, given: dict, sc: Scenario, default):
    v = given.get(key)
    return v if v is not None else sc.solver.get(key, default)


def choose_engine(model: Model, sc: Scenario, method: str | None, engine: str,
                  time_step: float | None) -> tuple[str, str]:
    """``(engine, why)``: 'compiled' where the model compiles, the scenario has no scheduled
    interventions, keeps the model's horizon and TIME STEP and the method is one the compiled
    engine can use; else 'pysd', with ``why`` the compiled engine's reason (a function it lacks,
    a method it cannot use).  An explicit ``engine`` is checked, with the reason when it cannot
    run ``sc``; so is a model PySD cannot build when the compiled engine refuses ``sc``."""
    if engine != "auto" and engine not in ENGINES:
        raise ScenarioError(f"engine {engine!r} is not one of auto, {', '.join(sorted(ENGINES))}")
    if engine not in ("auto", "compiled"):
        why = get_engine(engine, model).unsupported(sc, Solver(method or DEFAULT_METHOD.get(
            engine, "LSODA")))
        if why:
            raise ScenarioError(f"{sc.label}: {why}")
        return engine, ""
    probe = Solver(method or "dopri5", time_step=time_step)
    if engine == "compiled":
        eng = get_engine("compiled", model)  # raises UnsupportedFunctionError naming the function
        why = eng.unsupported(sc, probe)
        if why:
            raise ScenarioError(f"{sc.label}: {why}")
        return "compiled", ""
    try:
        eng = get_engine("compiled", model)
    except UnsupportedFunctionError as exc:
        where = f" (in '{exc.variable}')" if exc.variable else ""
        return "pysd", f"the compiled engine does not support {exc.function}{where}"
    why = eng.unsupported(sc, probe)
    if why and getattr(model, "py_file", True) is None:  # PySD cannot build it: nowhere to go
        raise ScenarioError(f"{sc.label}: {why}")
    return ("pysd", why) if why else ("compiled", "")


def plan(model: Model, sc: Scenario, solver: dict, engine: str, saveat) -> Plan:
    """Engine, solver settings and save times for one validated scenario."""
    method, source = method_choice(model, sc, solver.get("method"))
    if method is not None and method not in METHODS:
        raise ScenarioError(f"method {method!r} is not one of {', '.join(METHODS)}")
    ts = solver.get("time_step") or sc.solver.get("time_step")
    name, fallback = choose_engine(model, sc, method, engine, ts)
    source = source or f"ambidex default for engine {name}"
    method = method or DEFAULT_METHOD.get(name, "LSODA")
    dt = ts or model.control["time_step"]
    if saveat is None or np.ndim(saveat) == 0:
        sp = float(saveat) if saveat is not None else model.control["saveper"]
        if sp < dt * (1 - 1e-9) and method in ("euler", "rk4"):
            raise ScenarioError(f"saveper {sp:g} is smaller than the time step {dt:g}")
        times = save_times(sc.horizon[0], sc.horizon[1], sp)
    else:
        times = np.asarray(saveat, dtype=float)
        sp = float(np.min(np.diff(times))) if len(times) > 1 else model.control["saveper"]
    s = Solver(method, rtol=_setting("rtol", solver, sc, DEFAULT_RTOL),
               atol=_setting("atol", solver, sc, DEFAULT_ATOL), time_step=dt,
               max_step=_setting("max_step", solver, sc, None),
               max_steps=int(solver.get("max_steps") or 200_000))
    return Plan(sc, name, s, times, sp, source, fallback)


def run_plan(model: Model, p: Plan, P: np.ndarray, outputs, on_failure: str):
    """Run the rows of ``P`` under plan ``p``; return (values (N, V, T), names, failed (N,),
    messages per run, times, subscripted outputs {py: (dims, coords, (N, T, *sizes))}).  ``on_failure='raise'``: SolverError naming the scenario at the first
    failed run; ``'mark'``: failed runs become NaN; ``'ignore'``: no checks (for model checks
    that must see a negative stock), an engine failure leaves NaN after the time it stopped."""
    eng = get_engine(p.engine, model)
    try:
        res = eng.run(P, p.times, outputs, p.solver, interventions=p.scenario.interventions,
                      horizon=p.scenario.horizon)
    except ModelError as exc:  # say why the run left the compiled engine
        if not p.fallback:
            raise
        raise type(exc)(f"{exc} (it went to engine 'pysd' because {p.fallback})") from None
    if on_failure == "ignore":
        failed = np.asarray(res.failed, dtype=bool)
        if res.fail_time is not None:
            for i in np.flatnonzero(failed):
                res.values[i][:, res.time > res.fail_time[i]] = np.nan
        return (res.values, list(res.outputs), failed, list(res.messages), res.time,
                _subs(res, None))
    msgs = run_problems(model, res, raise_first=on_failure == "raise")
    failed = np.array([bool(m) for m in msgs], dtype=bool)
    if failed.any():
        if on_failure == "raise":
            i = int(np.argmax(failed))
            who = f"scenario '{p.scenario.name}'" + (f", sample {i}" if len(P) > 1 else "")
            if p.fallback:  # say why it ran on PySD and which methods are there
                who += (f" on engine 'pysd' ({p.fallback}; its methods: "
                        f"{', '.join(get_engine('pysd', model).methods)})")
            raise SolverError(f"{who}: {msgs[i]}")
        res.values[failed] = np.nan
    return res.values, list(res.outputs), failed, msgs, res.time, _subs(res, failed)


def _subs(res, failed) -> dict:
    """The engine's subscripted outputs as {py: (dims, coords, (N, T, *sizes))}, failed runs NaN."""
    out = {}
    for py, (dims, coords, data, _) in res.subscripted.items():
        if failed is not None and failed.any():
            data[failed] = np.nan
        out[py] = (dims, coords, data)
    return out


def _solver_dict(solver) -> dict:
    if solver is None:
        return {}
    if isinstance(solver, str):
        return {"method": solver}
    if isinstance(solver, Solver):
        return solver.record() | {"max_steps": solver.max_steps}
    if isinstance(solver, dict):
        return dict(solver)
    raise ScenarioError(f"solver: expected a method name, a dict or a Solver, got "
                        f"{type(solver).__name__}")


def solve(model=None, scenarios=None, samples=None, solver=None, saveat=None, outputs=None,
          engine: str = "auto", params: dict | None = None,
          on_failure: str = "raise", bounds: bool = True) -> xr.Dataset:
    """Run every scenario for every sample; return one Dataset with dims (scenario, sample, time).

    ``model``: a :class:`~ambidex.core.model.Model` or a path (None: the default model).
    ``scenarios``: names, paths or :class:`~ambidex.core.scenario.Scenario` objects (None: model
    defaults); ``params`` (name -> value) override parameters in every scenario.  ``samples``:
    parameter name -> array (N,) (or a DataFrame / a Dataset with a ``sample`` dim), checked
    once against the parameter table; the samples win over the scenarios' overrides.
    ``solver``: a method name, a dict (method, rtol, atol, time_step, max_step, max_steps) or a
    :class:`~ambidex.engines.Solver`; unset keys come from each scenario's ``[solver]`` table,
    then the defaults (dopri5 on the compiled engine, LSODA on pysd; rtol = atol = 1e-6).
    ``saveat``: the output interval (model time unit) or an array of save times (None:
    SAVEPER).  ``outputs``: variable names (None: every unsubscripted variable).  ``engine``:
    ``"auto"`` (compiled where it can, see :func:`choose_engine`) or a name in
    :data:`ambidex.engines.ENGINES`.  ``on_failure``: ``"raise"`` (SolverError naming the
    scenario, sample, variable and time), ``"mark"`` (NaN outputs and a ``failed`` variable)
    or ``"ignore"`` (no run checks; model checks that must see a bad run).  ``bounds=False``
    lets samples leave their parameters' declared ranges (extreme-condition tests).

    Returns an ``xarray.Dataset``: one data variable per output (Python name; attrs units,
    description, long_name, kind, sector), the sample values as coordinates on ``sample``, and
    the provenance attrs of :func:`ambidex.core.assembly.provenance`.
    """
    return run(model, scenarios, samples, solver, saveat, outputs, engine, params,
               on_failure, bounds).dataset()


@dataclass
class Solution:
    """What :func:`run` produced, before it becomes a Dataset (simulate drops ``sample``)."""

    model: Model
    scenarios: list
    plans: list
    names: list
    values: np.ndarray  # (S, N, V, T)
    times: np.ndarray
    samples: dict
    failed: np.ndarray | None
    messages: list
    run_messages: list | None = None  # per scenario, one message per run ('' = good)
    subscripted: dict | None = None   # py -> (dims, coords, (S, N, T, *sizes))

    def dataset(self, sample_dim: bool = True, keep=None) -> xr.Dataset:
        """The result Dataset (dims scenario, sample, time; without ``sample`` when
        ``sample_dim`` is False and N = 1); ``keep`` selects outputs (py names)."""
        names, values, subs = self.names, self.values, dict(self.subscripted or {})
        if keep is not None:
            pos = {py: j for j, py in enumerate(names)}
            for py in keep:
                if py not in pos and py not in subs:
                    v = self.model.variables[py]
                    raise ModelError(f"variable '{v.name}' of model '{self.model.path.name}' "
                                     "has no time series (a lookup or data function called "
                                     "with an argument)")
            values = values[:, :, [pos[py] for py in keep if py in pos], :]
            names = [py for py in keep if py in pos]
            subs = {py: subs[py] for py in keep if py in subs}
        ds = assembly.dataset(self.model, names, values, self.scenarios, self.times,
                              samples=self.samples, failed=self.failed, sample_dim=sample_dim,
                              subscripted=subs)
        n = values.shape[1]
        n_failed = 0 if self.failed is None else int(self.failed.sum())
        ds.attrs = assembly.provenance(
            self.model, self.scenarios, [p.record() for p in self.plans],
            [p.engine for p in self.plans], samples=list(self.samples), n_samples=n,
            n_failed=n_failed, messages="\n".join(self.messages[:1000]))
        return ds


def run(model=None, scenarios=None, samples=None, solver=None, saveat=None, outputs=None,
        engine: str = "auto", params: dict | None = None, on_failure: str = "raise",
        bounds: bool = True) -> Solution:
    """:func:`solve` without the Dataset: validate once, run each scenario on its engine, check
    every run; arguments as for :func:`solve`."""
    model = as_model(model)
    if on_failure not in FAILURE_MODES:
        raise ScenarioError(f"on_failure {on_failure!r} is not one of {', '.join(FAILURE_MODES)}")
    scens = [validate(s, model, params) for s in as_scenarios(scenarios)]
    cols, n = check_samples(model, samples, bounds=bounds)
    names = None if outputs is None else _outputs(model, outputs)
    given = _solver_dict(solver)
    plans = [plan(model, sc, given, engine, saveat) for sc in scens]
    blocks, failed, messages, per_run = [], np.zeros((len(plans), n), dtype=bool), [], []
    subs = []
    for s, p in enumerate(plans):
        P = model.table.matrix(cols, base=p.scenario.parameters, n=n)
        values, got, failed[s], msgs, times, sub = run_plan(model, p, P, names, on_failure)
        blocks.append((values, times))
        subs.append(sub)
        per_run.append(msgs)
        messages += [f"scenario '{p.scenario.name}' sample {i}: {m}" for i, m in enumerate(msgs) if m]
    values, times = _stack(blocks)
    return Solution(model, [p.scenario for p in plans], plans, got, values, times, cols,
                    failed if on_failure != "raise" else None, messages, per_run,
                    _stack_subscripted(model, subs, [t for _, t in blocks], times))


def fixed_parameters(model=None) -> tuple[bool, dict[str, str]]:
    """``(compiles, {parameter name: why})``: whether the compiled engine takes ``model``, and
    the parameters it cannot vary per run (SMOOTH N / DELAY orders, control values); analyses
    that vary every parameter (the extreme-conditions check) ask here, not the engine."""
    model = as_model(model)
    try:
        eng = get_engine("compiled", model)
    except UnsupportedFunctionError:
        return False, {}
    return True, eng.fixed_parameters()


def state_at(model=None, scenario=None, t: float | None = None, solver="euler",
             engine: str = "auto", params: dict | None = None) -> StatePoint:
    """One run's full state at time ``t`` (None: the start; model time unit) and its
    right-hand side there, as a :class:`~ambidex.engines.base.StatePoint`: the way structure
    analyses (stock-to-stock influence, Jacobians) evaluate a model without integrating it
    themselves.  ``scenario``: a name, path or Scenario (None: model defaults); ``solver`` as
    for :func:`solve` (default euler at the model's TIME STEP, PySD's own semantics).
    ``engine``: ``"auto"`` takes the compiled engine for euler where :func:`choose_engine` does
    (no PySD import), else pysd; an engine without a ``state_at`` method is a ScenarioError.
    """
    model = as_model(model)
    (sc,) = [validate(s, model, params) for s in as_scenarios(scenario)]
    given = _solver_dict(solver)
    p = plan(model, sc, given, engine, None)
    if engine == "auto" and p.engine == "compiled" and p.solver.method != "euler":
        p = plan(model, sc, given, "pysd", None)  # the compiled state_at steps by euler only
    eng = get_engine(p.engine, model)
    if not hasattr(eng, "state_at"):
        raise ScenarioError(f"engine {p.engine!r} cannot hand out a run's state; use "
                            "engine='pysd'")
    row = model.table.matrix(base=sc.parameters, n=1)[0]
    return eng.state_at(row, t, p.solver, interventions=sc.interventions, horizon=sc.horizon)


def _outputs(model: Model, outputs) -> list[str]:
    if isinstance(outputs, str):
        outputs = [outputs]
    names = []
    for v in outputs:
        py = model.resolve(v)
        if py not in names:
            names.append(py)
    return names


def _stack_subscripted(model, subs: list[dict], run_times: list, times: np.ndarray) -> dict:
    """{py: (dims, coords, (S, N, T, *sizes))} across scenarios, NaN where a scenario lacks a
    time or the variable; ModelError when two scenarios lay a variable out differently."""
    out = {}
    for s, sub in enumerate(subs):
        for py, (dims, coords, data) in sub.items():
            if py not in out:
                shape = (len(subs), data.shape[0], len(times), *data.shape[2:])
                out[py] = (dims, coords, np.full(shape, np.nan))
            elif out[py][0] != dims or out[py][2].shape[3:] != data.shape[2:]:
                raise ModelError(f"variable '{model.variables[py].name}': the scenarios' "
                                 "engines give it different subscript layouts")
            out[py][2][s][:, np.searchsorted(times, run_times[s])] = data
    return out


def _stack(blocks) -> tuple[np.ndarray, np.ndarray]:
    """(S, N, V, T) from per-scenario (N, V, T) blocks, outer-joined on time (NaN where a
    scenario has no such time)."""
    t0 = blocks[0][1]
    if all(len(t) == len(t0) and np.array_equal(t, t0) for _, t in blocks):
        if len(blocks) == 1:
            return blocks[0][0][None], t0
        return np.stack([v for v, _ in blocks]), t0
    times = np.unique(np.concatenate([t for _, t in blocks]))
    out = np.full((len(blocks), blocks[0][0].shape[0], blocks[0][0].shape[1], len(times)), np.nan)
    for s, (v, t) in enumerate(blocks):
        out[s][..., np.searchsorted(times, t)] = v
    return out, times
