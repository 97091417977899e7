"""The compiled engine behind the :class:`~ambidex.engines.base.Engine` protocol: a thin adapter
over :class:`ambidex.compiled.CompiledModel` (numba kernels; euler, rk4, per-run dopri5)."""

from __future__ import annotations

import numpy as np

from ..compiled.engine import RPREC, STATUS
from ..core.errors import ModelError, ScenarioError
from .base import RunResult, Solver, StatePoint


class CompiledEngine:
    """Batched runs of ``model.compiled()``; construction raises
    :class:`~ambidex.core.errors.UnsupportedFunctionError` naming what the compiler lacks."""

    name = "compiled"
    methods = ("euler", "rk4", "dopri5", "bs3")

    def __init__(self, model):
        self.model = model
        self.cm = model.compiled()
        self._subs = {py: lay for py, lay in self.cm.subscripted.items() if py in model.variables}
        self._all = [py for py, v in model.variables.items()
                     if not v.subscripts and py not in self._subs]
        times, save = self.cm.time_grid()
        self._grid = times[save]

    def unsupported(self, scenario, solver: Solver) -> str | None:
        """Scheduled interventions, another horizon or TIME STEP, a scipy method: refused."""
        c = self.model.control
        if solver.method not in self.methods:
            return (f"the compiled engine has methods {', '.join(self.methods)}, not "
                    f"{solver.method!r}")
        if solver.method in ("dopri5", "bs3") and self.cm.stepped_functions:
            return self.cm.stepped_reason()
        if scenario.interventions:
            return "scheduled interventions run on engine 'pysd' only"
        if scenario.horizon != (c["initial_time"], c["final_time"]):
            return "changing initial_time or final_time runs on engine 'pysd' only"
        if solver.time_step is not None and solver.time_step != c["time_step"]:
            return "changing time_step runs on engine 'pysd' only"
        return None

    def _horizon(self):
        return (self.model.control["initial_time"], self.model.control["final_time"])

    def _params(self, P: np.ndarray) -> dict:
        """Columns of ``P`` that differ from the defaults, by model-file name (the compiled
        model checks structural parameters itself)."""
        tab = self.model.table
        diff = np.any(P != tab.defaults, axis=0)
        return {tab.parameters[j].name: P[:, j] for j in np.flatnonzero(diff)}

    def fixed_parameters(self) -> dict[str, str]:
        """Parameters this engine cannot change per run, by model-file name, each with the
        compiled model's reason (a SMOOTH N / DELAY order or a control value fixes the
        structure of the generated code)."""
        out = {}
        for p in self.model.table.parameters:
            try:
                self.cm.param_matrix({p.name: np.array([p.default, p.default + 1.0])})
            except ModelError as exc:
                out[p.name] = str(exc)
        return out

    def state_at(self, p, t, solver: Solver, interventions=(), horizon=None) -> StatePoint:
        """The full state of the run with parameter row ``p`` (the table's order) at time ``t``
        (None: the start; model time unit, rounded up to the TIME STEP grid as PySD's run sees
        it) and its right-hand side there, by the engine's Euler (method 'euler' only; see
        :mod:`ambidex.compiled.state`).  ``names`` are the compiled model's state names (a
        stock's model name; ``~...`` for the hidden states of SMOOTH/DELAY); ``stocks`` holds
        every stock whose elements sit side by side in the state vector."""
        from ..compiled.state import euler_state, grid_steps

        why = self.unsupported(_Plan(tuple(interventions), horizon or self._horizon()), solver)
        if why is None and solver.method != "euler":
            why = f"the compiled engine gives a run's state by method 'euler', not {solver.method!r}"
        if why:
            raise ScenarioError(why)
        cm = self.cm
        row = cm.param_matrix(self._params(np.asarray(p, dtype=float)[None, :]), n=1)[0]
        tt, y, rhs = euler_state(cm, row, grid_steps(cm, t))
        where: dict[str, list[int]] = {}
        for i, s in enumerate(cm._states):
            if s.user_stock:
                where.setdefault(s.py, []).append(i)
        stocks = {py: slice(ix[0], ix[-1] + 1) for py, ix in where.items()
                  if py in self.model.variables and ix == list(range(ix[0], ix[-1] + 1))}
        return StatePoint(tt, y, tuple(cm.stock_names), stocks, rhs)

    def run(self, P, times, outputs, solver: Solver, interventions=(), horizon=None) -> RunResult:
        """Run every row of ``P`` (see :mod:`ambidex.engines.base`)."""
        why = self.unsupported(_Plan(tuple(interventions), horizon or self._horizon()), solver)
        if why:
            raise ScenarioError(why)
        if outputs is None:
            names, subs, req = self._all, list(self._subs), None
        else:
            names = [py for py in outputs if py not in self._subs]
            subs = [py for py in outputs if py in self._subs]
            req = [self.model.variables[py].name for py in names]
            req += [name for py in subs for _, name in self._subs[py][2]]
        times = np.asarray(times, dtype=float)
        # the model's own save grid: let the engine use it (no per-time-point matching)
        on_grid = (solver.method not in ("dopri5", "bs3") and times.shape == self._grid.shape
                   and np.allclose(times, self._grid, rtol=0, atol=self.cm.time_step * RPREC))
        try:
            res = self.cm.run(params=self._params(P), n=P.shape[0], method=solver.method,
                              t_eval=None if on_grid else times, rtol=solver.rtol,
                              atol=solver.atol, return_vars=req, max_steps=solver.max_steps,
                              hmax=solver.max_step)
        except ModelError as exc:
            raise ScenarioError(str(exc)) from None
        block = _block(res, names, self.model, P.shape[0], len(res.time))
        sub = {py: _subscripted(res, *self._subs[py], P.shape[0], len(res.time)) for py in subs}
        msgs = ["" if s == 0 else f"{STATUS.get(int(s), 'failed')} at time {t:g}"
                for s, t in zip(res.status, res.fail_time)]
        return RunResult(block, tuple(names), np.asarray(res.time, dtype=float),
                         np.asarray(res.status), msgs, np.asarray(res.fail_time, dtype=float),
                         sub)


class _Plan:
    """The two scenario facts :meth:`CompiledEngine.unsupported` reads."""

    def __init__(self, interventions, horizon):
        self.interventions, self.horizon = interventions, tuple(horizon)


def _block(res, names, model, n: int, n_times: int) -> np.ndarray:
    """The (n, V, T) block of ``res`` in ``names`` order: the engine's own output block
    (``res.block``) when ``names`` asks for its outputs in its order, else one gather of its
    rows (a copy); an engine result without a block is stacked row by row."""
    res_names = tuple(res)
    keys, rows = _keys(model, res_names, tuple(names))
    block = getattr(res, "block", None)
    if (isinstance(block, np.ndarray) and block.shape == (n, len(res_names), n_times)
            and block.dtype == np.float64):
        return block if rows is None else block.take(rows, axis=1)
    block = np.empty((n, len(keys), n_times))
    for j, k in enumerate(keys):
        block[:, j, :] = res[k]
    return block


def _subscripted(res, dims, coords, elems, n: int, n_times: int):
    """(dims, coords, array (n, T, *sizes), partial) of one subscripted output."""
    data = np.full((n, n_times, *[len(coords[d]) for d in dims]), np.nan)
    for tup, name in elems:
        data[(slice(None), slice(None), *[coords[d].index(e) for d, e in zip(dims, tup)])] = \
            res[name]
    return tuple(dims), dict(coords), data, len(elems) < int(np.prod(data.shape[2:]))


def _keys(model, res_names: tuple, names: tuple) -> tuple[list[str], np.ndarray | None]:
    """The engine's output names for the py ``names`` and their rows among ``res_names`` (None
    when they are ``res_names`` in order), worked out once per request."""
    cache = model.__dict__.setdefault("_compiled_keys", {})
    got = cache.get((res_names, names))
    if got is None:
        cm = model.compiled()
        by_py = {}
        for name in res_names:
            py = cm.py_names.get(name) or name
            if py not in model.variables:
                py = model._index.get(_norm(name), py)
            by_py.setdefault(py, name)
        keys = [by_py[py] for py in names]
        pos = {name: j for j, name in enumerate(res_names)}
        rows = None if keys == list(res_names) else \
            np.array([pos[k] for k in keys], dtype=np.intp)
        got = cache[(res_names, names)] = (keys, rows)
    return got


def _norm(name: str) -> str:
    from ..core.model import normalise

    return normalise(name)
