"""The feedback structure between stocks, measured on the model itself.

``stock_influences`` perturbs each stock of a run's state and records the sign and size of the
change in every stock's net flow: the stock-to-stock influence graph (the Jacobian's sign
pattern), evaluated at a given time and state.  It needs no hand-drawn diagram, so it cannot
drift from the equations.  The state and the right-hand side come from
:func:`ambidex.solve.state_at` (the engines' one door); nothing is integrated here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .core.scenario import Scenario
from .solve import state_at


def stock_influences(model, scenario: Scenario | None = None, t: float | None = None,
                     rel_step: float = 1e-6, min_strength: float = 1e-4) -> pd.DataFrame:
    """Edges ``source -> target`` between stocks with the sign of d(net flow target)/d(source).

    Evaluated at the state the run reaches at time ``t`` (default: initial time, model time unit)
    by a forward Euler run at the model's TIME STEP.  Returns columns source, target (model
    names), sign (+1/-1), strength (1/time unit: the change of the target's net flow per
    relative change of the source, relative to the target's level).
    """
    point = state_at(model, scenario or Scenario(name="default"), t, solver="euler")
    y = point.y
    # scalar stocks in state-vector order
    pos = {s: sl.start for s, sl in sorted(point.stocks.items(), key=lambda kv: kv[1].start)
           if sl.stop - sl.start == 1}
    base = point.rhs(y)
    rows = []
    for src, i in pos.items():
        h = rel_step * max(abs(y[i]), 1.0)
        y2 = y.copy()
        y2[i] += h
        d = (point.rhs(y2) - base) / h
        for tgt, j in pos.items():
            # relative to the target's level, or to one time unit of its flow when the level is ~0
            strength = d[j] * max(abs(y[i]), 1e-9) / max(abs(y[j]), abs(base[j]), 1e-9)
            if abs(strength) > min_strength:
                rows.append({"source": model.variables[src].name, "target": model.variables[tgt].name,
                             "sign": int(np.sign(d[j])), "strength": float(strength)})
    return pd.DataFrame(rows, columns=["source", "target", "sign", "strength"])
