"""A compiled model's full state at a time of its Euler grid and its right-hand side there: what
structure analyses differentiate (:meth:`ambidex.engines.compiled.CompiledEngine.state_at`).

It uses the generated module's own functions -- ``_init`` (initial states and INITIAL values),
``_rhs``, ``_disc`` (DELAY FIXED / SAMPLE IF TRUE next values), ``_assign_disc`` and ``_clamp``
(non-negative and SINTEG states) -- and steps them as the Euler kernel ``_euler1`` does, on the
same accumulated time grid (``CompiledModel.time_grid``), so the state at a grid time is
bitwise the one the engine's Euler run saves there (tested).  The functions are the interpreted
twins (:mod:`.pytier`: the same IEEE operations, so the same bits, without importing numba or
compiling five entry points for a few dozen calls), whatever ``AMBIDEX_TIERED`` says; where
Python raises on arithmetic that numba lets through (``math.exp`` overflow), the compiled module
is used instead.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..core.errors import ScenarioError
from . import pytier
from .engine import RPREC


def _interpreted(cm):
    """The interpreted generated module of ``cm`` (built once per CompiledModel)."""
    if cm._py is None:
        cm._py = pytier.interpreted(cm.source)
    return cm._py


def grid_steps(cm, t: float | None) -> int:
    """The number of Euler steps from the initial time to ``t`` (model time unit; None: 0),
    ``t`` rounded up to the TIME STEP grid as PySD's run sees it; ScenarioError after the final
    time."""
    times, _ = cm.time_grid()
    if t is None or t <= times[0] + cm.time_step * RPREC:
        return 0
    n = int(np.searchsorted(times, t - cm.time_step * RPREC))
    if n >= len(times):
        raise ScenarioError(f"time {t:g} is after the final time {cm.final_time:g} of model "
                            f"'{cm.model_name}'")
    return n


def euler_state(cm, p: np.ndarray, n: int) -> tuple[float, np.ndarray, Callable]:
    """``(t, y, rhs)``: the time after ``n`` Euler steps of the parameter vector ``p`` (the
    compiled model's order, :meth:`~.engine.CompiledModel.param_matrix`), every state there
    (``cm.stock_names`` order; stock units) and ``rhs(y)``, d(state)/dt at that time for any
    state ``y`` (stock units per time unit; INITIAL values and parameters as the run had them).
    """
    try:
        with np.errstate(all="ignore"):
            return _euler_state(_interpreted(cm), cm, p, n)
    except (ArithmeticError, ValueError):
        return _euler_state(cm._mod, cm, p, n)


def _euler_state(mod, cm, p, n):
    times, _ = cm.time_grid()
    ny, m = mod.NY, max(mod.NY, 1)
    y, c, k1, yd = np.zeros(m), np.zeros(mod.NC), np.zeros(m), np.zeros(m)
    p = np.ascontiguousarray(p, dtype=np.float64)
    mod._init(times[0], p, y, c)
    for i in range(n):  # the step of _euler1 (kernels.py)
        t = times[i]
        mod._rhs(t, y, p, c, k1)
        if mod.HAS_DISC:
            mod._disc(t, y, p, c, yd)
        for j in range(ny):
            y[j] = y[j] + k1[j] * cm.time_step
        mod._assign_disc(y, yd)
        mod._clamp(y)
    t = float(times[n])

    def rhs(state: np.ndarray) -> np.ndarray:
        full = np.zeros(m)
        full[:ny] = state
        dy = np.zeros(m)
        try:
            with np.errstate(all="ignore"):
                mod._rhs(t, full, p, c, dy)
        except (ArithmeticError, ValueError):
            cm._mod._rhs(t, full, p, c, dy)
        return dy[:ny]

    return t, y[:ny].copy(), rhs
