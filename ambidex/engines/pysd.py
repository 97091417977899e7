"""The PySD + scipy engine behind the :class:`~ambidex.engines.base.Engine` protocol.

PySD's own generated equations give the right-hand side (:class:`~ambidex.engines.pysd_backend.
PysdRunner`); :mod:`ambidex.engines.solvers` integrates it: fixed-step euler/rk4 (Vensim's semantics) or
scipy's ``solve_ivp`` (LSODA, RK45, RK23, DOP853, Radau, BDF), restarted at every scheduled
intervention.  Any model PySD translates runs here; one run at a time.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..core.errors import AmbidexError, ModelError, ScenarioError, SolverError
from ..core.interventions import breakpoints
from ..core.scenario import Scenario
from . import solvers
from .base import RunResult, Solver, StatePoint
from .pysd_backend import DISCRETE, PysdRunner

#: the compiled engine's adaptive methods as scipy names (the same Runge-Kutta pairs)
_SCIPY = {"dopri5": "RK45", "bs3": "RK23"}


class PysdEngine:
    """Runs of ``model`` through PySD's equations under scipy or fixed-step integrators."""

    name = "pysd"
    #: dopri5 here is scipy's RK45, the same Dormand-Prince 5(4) pair (for scenarios the
    #: compiled engine cannot run: interventions, another horizon or time step); bs3 is
    #: scipy's RK23, the same Bogacki-Shampine 3(2) pair
    methods = solvers.ADAPTIVE + solvers.FIXED + ("dopri5", "bs3")

    def __init__(self, model):
        self.model = model

    def unsupported(self, scenario, solver: Solver) -> str | None:
        """Only the method matters."""
        if solver.method not in self.methods:
            return f"the pysd engine has methods {', '.join(self.methods)}, not {solver.method!r}"
        return None

    def run(self, P, times, outputs, solver: Solver, interventions=(), horizon=None) -> RunResult:
        """Run every row of ``P`` one after another (see :mod:`ambidex.engines.base`);
        ``horizon`` (t0, t1) defaults to the model's.  Subscripted variables come back in
        ``RunResult.subscripted``; lookups and data functions called with an argument have no
        series and are left out (named in a ModelError when asked for)."""
        model, tab = self.model, self.model.table
        c = model.control
        t0, t1 = horizon or (c["initial_time"], c["final_time"])
        dt = solver.time_step or c["time_step"]
        asked = list(model.variables) if outputs is None else list(outputs)
        times = np.asarray(times, dtype=float)
        status = np.zeros(P.shape[0], dtype=np.int64)
        msgs, runs = [""] * P.shape[0], []
        for r, row in enumerate(P):
            over = {py: float(row[j]) for j, py in enumerate(tab.names) if row[j] != tab.defaults[j]}
            sc = Scenario(name="run", parameters=over, interventions=tuple(interventions),
                          horizon=(t0, t1))
            try:
                runs.append(self._one(sc, times, asked, solver, dt))
            except SolverError as exc:
                status[r], msgs[r] = 1, str(exc)
                runs.append(None)
            except AmbidexError:
                raise
            except Exception as exc:  # noqa: BLE001 - PySD's own failures: one line, the model
                raise ModelError(f"model '{model.path.name}': the PySD engine cannot run it: "
                                 f"{type(exc).__name__}: {exc}") from exc
        block, names, subs = _collect(model, runs, asked, outputs is not None, len(times))
        return RunResult(block, tuple(names), times, status, msgs, subscripted=subs)

    def state_at(self, p, t, solver: Solver, interventions=(), horizon=None) -> StatePoint:
        """The full state of the run with parameter row ``p`` at time ``t`` (None: the start;
        model time unit) and its right-hand side there.  Fixed-step methods stop on the time-step
        grid (``t`` rounded up to it, as PySD's own run sees it); adaptive ones at ``t``."""
        model, tab = self.model, self.model.table
        c = model.control
        t0, t1 = horizon or (c["initial_time"], c["final_time"])
        dt = solver.time_step or c["time_step"]
        over = {py: float(p[j]) for j, py in enumerate(tab.names) if p[j] != tab.defaults[j]}
        sc = Scenario(name="state", parameters=over, interventions=tuple(interventions),
                      horizon=(t0, t1))
        runner = PysdRunner(model, sc, dt, c["saveper"])
        y, tt = runner.y0.copy(), t0
        if t is not None and t > t0 + dt * 1e-5:
            if solver.method in solvers.FIXED:
                tt = t0 + int(np.ceil((t - t0) / dt - 1e-5)) * dt
                y = solvers.fixed_step(
                    runner.rhs, runner.y0, t0, tt, dt, np.array([tt]), solver.method,
                    on_step=lambda t, y, k, advance: advance and runner.advance(t, y))[0]
            else:
                tt = float(t)
                max_step = solver.max_step or (dt if model.uses_time_functions else None)
                y = solvers.adaptive(runner.rhs, runner.y0, t0, tt, np.array([tt]),
                                     _SCIPY.get(solver.method, solver.method),
                                     solver.rtol, solver.atol, max_step=max_step,
                                     breakpoints=breakpoints(sc.interventions, t0, tt))[0]
        names = tuple(getattr(el, "py_name", "") or "" for el, k in
                      zip(runner.elements, runner.sizes) for _ in range(k))
        stocks = {}
        for s in model.stocks:
            try:
                stocks[s.py_name] = runner.state_slice(s.py_name)
            except KeyError:
                continue
        return StatePoint(float(tt), np.asarray(y, dtype=float), names, stocks,
                          lambda y, tt=float(tt): runner.rhs(tt, y))

    def _one(self, sc, times, names, solver: Solver, dt: float) -> list:
        """Per save time the outputs of one run (dicts; None where the run has none);
        SolverError when the integration fails."""
        model = self.model
        t0, t1 = sc.horizon
        runner = PysdRunner(model, sc, dt, model.control["saveper"])
        runner.output_names = list(names)
        records: list = [None] * len(times)
        if solver.method in solvers.FIXED:
            def on_step(t, y, k, advance):
                if k is not None:
                    records[k] = runner.outputs(float(t), y)
                if advance:
                    runner.advance(t, y)  # DELAY FIXED / SAMPLE IF TRUE, once per TIME STEP

            states = solvers.fixed_step(runner.rhs, runner.y0, t0, t1, dt, times, solver.method,
                                        on_step=on_step)
        else:
            if runner.discrete:
                kinds = sorted({DISCRETE[type(el).__name__] for el in runner.discrete})
                raise ScenarioError(
                    f"model '{model.path.name}' uses {', '.join(kinds)}, which steps once per "
                    f"TIME STEP; method {solver.method!r} is adaptive — use 'euler' or 'rk4'")
            max_step = solver.max_step
            if max_step is None and model.uses_time_functions:
                max_step = dt  # STEP/PULSE/RAMP inside the model: never step over them
            method = _SCIPY.get(solver.method, solver.method)
            states = solvers.adaptive(runner.rhs, runner.y0, t0, t1, times, method,
                                      solver.rtol, solver.atol, max_step=max_step,
                                      breakpoints=breakpoints(sc.interventions, t0, t1))
        if not np.all(np.isfinite(states)):
            k = int(np.argwhere(~np.isfinite(states))[0][0])
            raise SolverError(f"{solver.method} produced a non-finite state at t={times[k]:g}")
        for k, (t, y) in enumerate(zip(times, states)):
            if records[k] is None:
                records[k] = runner.outputs(float(t), y)
        return records


def _collect(model, runs, asked, strict: bool, n_times: int):
    """(block (N, V, T) of scalar outputs, their names, subscripted outputs) from per-run
    records; ModelError naming a variable asked for that has no series (when ``strict``)."""
    first = next((rec for recs in runs if recs for rec in recs if rec is not None), None)
    if first is None:  # every run failed: NaN outputs of what was asked
        names = [py for py in asked if not model.variables[py].subscripts]
        return np.full((len(runs), len(names), n_times), np.nan), names, {}
    missing = [py for py in asked if py not in first]
    if strict and missing:
        raise ModelError(f"variable '{model.variables[missing[0]].name}' of model "
                         f"'{model.path.name}' has no time series (a lookup or data function "
                         "called with an argument)")
    names = [py for py in asked if py in first and not isinstance(first[py], xr.DataArray)]
    subs = {}
    for py in asked:
        v = first.get(py)
        if isinstance(v, xr.DataArray):
            subs[py] = (tuple(v.dims), {d: list(v[d].values) for d in v.dims},
                        np.full((len(runs), n_times, *v.shape), np.nan), False)
    block = np.full((len(runs), len(names), n_times), np.nan)
    for r, recs in enumerate(runs):
        for k, rec in enumerate(recs or ()):
            if rec is None:
                continue
            block[r, :, k] = [rec[py] for py in names]
            for py, (dims, _, data, _) in subs.items():
                data[r, k] = rec[py].transpose(*dims).values
    return block, names, subs
