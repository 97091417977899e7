"""The feedback structure between stocks, measured on the model itself.

``stock_influences`` perturbs each stock of a prepared run and records the sign and size of the
change in every stock's net flow: the stock-to-stock influence graph (the Jacobian's sign
pattern), evaluated at a given time and state.  It needs no hand-drawn diagram, so it cannot
drift from the equations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .engines import solvers
from .engines.pysd_backend import PysdRunner
from .core.scenario import Scenario, validate


def stock_influences(model, scenario: Scenario | None = None, t: float | None = None,
                     rel_step: float = 1e-6, min_strength: float = 1e-4) -> pd.DataFrame:
    """Edges ``source -> target`` between stocks with the sign of d(net flow target)/d(source).

    Evaluated at the state the run reaches at time ``t`` (default: initial time, model time unit)
    by a forward Euler run at the model's TIME STEP.  Returns columns source, target (model
    names), sign (+1/-1), strength (1/time unit: the change of the target's net flow per
    relative change of the source, relative to the target's level).
    """
    sc = validate(scenario or Scenario(name="default"), model)
    dt = model.control["time_step"]
    runner = PysdRunner(model, sc, dt, model.control["saveper"])
    t0 = sc.horizon[0]
    y, tt = runner.y0.copy(), t0
    if t is not None and t > t0 + dt * 1e-5:
        # the state at t by the one fixed-step integrator (Euler at TIME STEP, PySD's semantics)
        n = int(np.ceil((t - t0) / dt - 1e-5))
        tt = t0 + n * dt
        y = solvers.fixed_step(runner.rhs, runner.y0, t0, tt, dt, np.array([tt]), "euler")[0]
    names = [s.py_name for s in model.stocks]
    # map state vector positions to stocks (PySD names INTEG objects _integ_<py_name>)
    pos = {}
    for i, el in enumerate(runner.elements):
        tag = getattr(el, "py_name", "") or ""
        for s in names:
            if tag == f"_integ_{s}":
                pos[s] = i
    base = runner.rhs(tt, y)
    rows = []
    for src, i in pos.items():
        h = rel_step * max(abs(y[i]), 1.0)
        y2 = y.copy()
        y2[i] += h
        d = (runner.rhs(tt, y2) - base) / h
        for tgt, j in pos.items():
            # relative to the target's level, or to one time unit of its flow when the level is ~0
            strength = d[j] * max(abs(y[i]), 1e-9) / max(abs(y[j]), abs(base[j]), 1e-9)
            if abs(strength) > min_strength:
                rows.append({"source": model.variables[src].name, "target": model.variables[tgt].name,
                             "sign": int(np.sign(d[j])), "strength": float(strength)})
    return pd.DataFrame(rows, columns=["source", "target", "sign", "strength"])
