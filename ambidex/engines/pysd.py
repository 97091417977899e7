"""The PySD + scipy engine behind the :class:`~ambidex.engines.base.Engine` protocol.

PySD's own generated equations give the right-hand side (:class:`~ambidex.backends.pysd_backend.
PysdRunner`); :mod:`ambidex.solvers` integrates it: fixed-step euler/rk4 (Vensim's semantics) or
scipy's ``solve_ivp`` (LSODA, RK45, RK23, DOP853, Radau, BDF), restarted at every scheduled
intervention.  Any model PySD translates runs here; one run at a time.
"""

from __future__ import annotations

import numpy as np

from .. import solvers
from ..backends.pysd_backend import PysdRunner
from ..errors import SolverError
from ..interventions import breakpoints
from ..scenario import Scenario
from .base import RunResult, Solver


class PysdEngine:
    """Runs of ``model`` through PySD's equations under scipy or fixed-step integrators."""

    name = "pysd"
    #: dopri5 here is scipy's RK45, the same Dormand-Prince 5(4) pair (for scenarios the
    #: compiled engine cannot run: interventions, another horizon or time step)
    methods = solvers.ADAPTIVE + solvers.FIXED + ("dopri5",)

    def __init__(self, model):
        self.model = model

    def unsupported(self, scenario, solver: Solver) -> str | None:
        """Only the method matters."""
        if solver.method not in self.methods:
            return f"the pysd engine has methods {', '.join(self.methods)}, not {solver.method!r}"
        return None

    def run(self, P, times, outputs, solver: Solver, interventions=(), horizon=None) -> RunResult:
        """Run every row of ``P`` one after another (see :mod:`ambidex.engines.base`);
        ``horizon`` (t0, t1) defaults to the model's."""
        model, tab = self.model, self.model.table
        c = model.control
        t0, t1 = horizon or (c["initial_time"], c["final_time"])
        dt = solver.time_step or c["time_step"]
        names = [py for py, v in model.variables.items() if not v.subscripts] \
            if outputs is None else list(outputs)
        times = np.asarray(times, dtype=float)
        block = np.full((P.shape[0], len(names), len(times)), np.nan)
        status = np.zeros(P.shape[0], dtype=np.int64)
        msgs = [""] * P.shape[0]
        for r, row in enumerate(P):
            over = {py: float(row[j]) for j, py in enumerate(tab.names) if row[j] != tab.defaults[j]}
            sc = Scenario(name="run", parameters=over, interventions=tuple(interventions),
                          horizon=(t0, t1))
            try:
                block[r] = self._one(sc, times, names, solver, dt)
            except SolverError as exc:
                status[r], msgs[r] = 1, str(exc)
        return RunResult(block, tuple(names), times, status, msgs)

    def _one(self, sc, times, names, solver: Solver, dt: float) -> np.ndarray:
        """(V, T) outputs of one run; SolverError when the integration fails."""
        model = self.model
        t0, t1 = sc.horizon
        runner = PysdRunner(model, sc, dt, model.control["saveper"])
        runner.output_names = names
        if solver.method in solvers.FIXED:
            states = solvers.fixed_step(runner.rhs, runner.y0, t0, t1, dt, times, solver.method)
        else:
            max_step = solver.max_step
            if max_step is None and model.uses_time_functions:
                max_step = dt  # STEP/PULSE/RAMP inside the model: never step over them
            method = "RK45" if solver.method == "dopri5" else solver.method
            states = solvers.adaptive(runner.rhs, runner.y0, t0, t1, times, method,
                                      solver.rtol, solver.atol, max_step=max_step,
                                      breakpoints=breakpoints(sc.interventions, t0, t1))
        if not np.all(np.isfinite(states)):
            k = int(np.argwhere(~np.isfinite(states))[0][0])
            raise SolverError(f"{solver.method} produced a non-finite state at t={times[k]:g}")
        out = np.empty((len(names), len(times)))
        for k, (t, y) in enumerate(zip(times, states)):
            vals = runner.outputs(float(t), y)
            out[:, k] = [vals[py] for py in names]
        return out
