"""The feedback structure between stocks, measured on the model itself.

``stock_influences`` perturbs each stock of a run's state and records the sign and size of the
change in every stock's net flow: the stock-to-stock influence graph (the Jacobian's sign
pattern), evaluated at a given time and state.  It needs no hand-drawn diagram, so it cannot
drift from the equations.  The state and the right-hand side come from
:func:`ambidex.solve.state_at` (the engines' one door); nothing is integrated here.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from .core.scenario import Scenario
from .solve import state_at


def stock_influences(model, scenario: Scenario | None = None, t: float | None = None,
                     rel_step: float = 1e-6, min_strength: float = 1e-4) -> pd.DataFrame:
    """Edges ``source -> target`` between stocks with the sign of d(net flow target)/d(source).

    Evaluated at the state the run reaches at time ``t`` (default: initial time, model time unit)
    by a forward Euler run at the model's TIME STEP (the compiled engine's where it runs the
    scenario, else PySD's: :func:`ambidex.solve.state_at`).  Rows in the model's stock order.
    Returns columns source, target (model
    names), sign (+1/-1), strength (1/time unit: the change of the target's net flow per
    relative change of the source, relative to the target's level).
    """
    point = state_at(model, scenario or Scenario(name="default"), t, solver="euler")
    y = point.y
    # scalar stocks in the model's order (the same rows whichever engine's state vector)
    pos = {s.py_name: point.stocks[s.py_name].start for s in model.stocks
           if s.py_name in point.stocks
           and point.stocks[s.py_name].stop - point.stocks[s.py_name].start == 1}
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


@functools.lru_cache(maxsize=1)
def _code_version() -> str:
    """Hash of the code the influences depend on: this module, :mod:`ambidex.solve`, the
    engines (``solve.state_at`` picks the compiled or the pysd one), the compiled model's IR
    builder and code generator (``core/ir``, ``compiled``), and the Python, numpy, numba and
    PySD versions (once per process)."""
    pkg = Path(__file__).resolve().parent
    h = hashlib.sha256(sys.version.encode())
    for f in [pkg / "structure.py", pkg / "solve.py", *sorted((pkg / "engines").glob("*.py")),
              *sorted((pkg / "core" / "ir").glob("*.py")),
              *sorted((pkg / "compiled").glob("*.py"))]:
        h.update(f.name.encode() + f.read_bytes())
    for dist in ("pysd", "numpy", "numba"):
        try:
            h.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            h.update(dist.encode())
    return h.hexdigest()[:16]


def influences_path(model_path) -> Path:
    """Where :func:`default_influences` keeps the influences of the model file ``model_path``
    (OSError when the file cannot be read)."""
    from .core.paths import cache_dir
    from .core.translate import cache_key

    src = Path(model_path).resolve()
    key = hashlib.sha256(f"{cache_key(src)}\n{_code_version()}".encode()).hexdigest()
    return cache_dir("influences") / f"{src.stem}-{key[:24]}.json"


def default_influences(model) -> pd.DataFrame:
    """:func:`stock_influences` of ``model`` at its defaults and initial time (what the scenario
    report draws), kept in ``<cache root>/influences/`` keyed by the model's translation (file
    bytes, folder, data files, PySD version) and :func:`_code_version`: a report of an unchanged
    model computes nothing for it.  The values read back are the computed ones
    (JSON keeps a float's shortest repr)."""
    path = influences_path(model.path)
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        return pd.DataFrame(rows, columns=["source", "target", "sign", "strength"])
    except (OSError, ValueError):
        pass
    edges = stock_influences(model, t=None)
    try:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(edges.to_dict("records")), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:  # a read-only cache: computed again next time
        pass
    return edges
