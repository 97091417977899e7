"""The parameter table: one place that knows each parameter's name, unit, default, bounds and
documentation, checks values against the bounds and builds the N x P matrix engines run.

Every bound check in the package goes through :meth:`ParameterTable.outside` (scalars and
arrays alike) and every message naming an out-of-range value through
:meth:`ParameterTable.range_message`, so the rule (NaN is never inside; a missing bound is
unbounded) and the wording are written once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np


def fmt_bound(v: float | None) -> str:
    """A bound for messages: ``'?'`` when there is none, else ``'%g'``."""
    return "?" if v is None else f"{v:g}"


def range_text(lower: float | None, upper: float | None) -> str:
    """``'[lo, hi]'`` with ``?`` for a missing bound."""
    return f"[{fmt_bound(lower)}, {fmt_bound(upper)}]"


def outside(lower: float | None, upper: float | None, values) -> np.ndarray:
    """Boolean mask (shape of ``values``): NaN/inf or outside ``[lower, upper]`` (None: unbounded).

    Infinite values count as outside only when that side has a bound: a parameter without an
    upper bound accepts any finite value.
    """
    a = np.asarray(values, dtype=float)
    lo = -math.inf if lower is None else lower
    hi = math.inf if upper is None else upper
    with np.errstate(invalid="ignore"):
        return np.isnan(a) | (a < lo) | (a > hi)


class ParameterTable:
    """The overridable constants of a model, in one fixed order (the matrix's columns).

    Built once per model from its :class:`~ambidex.core.model.Parameter` records.  ``names`` are
    Python names, ``defaults``/``lower``/``upper`` float arrays aligned with them (missing bounds
    are -inf/+inf), ``units`` and ``docs`` lists; ``index[py_name]`` the column.
    """

    def __init__(self, parameters: Iterable):
        self.parameters = tuple(parameters)
        self.names = tuple(p.py_name for p in self.parameters)
        self.index = {py: i for i, py in enumerate(self.names)}
        self.units = [p.units for p in self.parameters]
        self.docs = [p.doc for p in self.parameters]
        self.defaults = np.array([p.default for p in self.parameters], dtype=float)
        self.lower = np.array([-math.inf if p.lower is None else p.lower for p in self.parameters])
        self.upper = np.array([math.inf if p.upper is None else p.upper for p in self.parameters])

    def __len__(self) -> int:
        return len(self.parameters)

    def __getitem__(self, py_name: str):
        return self.parameters[self.index[py_name]]

    @staticmethod
    def range_message(p, value, where: str) -> str:
        """The one wording of an out-of-range value (``where`` names the file/key/sample)."""
        return (f"{where}: value {value!r} for parameter '{p.name}' is outside its range "
                f"{range_text(p.lower, p.upper)} ({p.units})")

    def check(self, py_name: str, value: float, where: str) -> float:
        """Return ``value`` as float; ``ValueError`` (message naming ``where``) when out of range."""
        p = self[py_name]
        if outside(p.lower, p.upper, value):
            raise ValueError(self.range_message(p, value, where))
        return float(value)

    def check_column(self, py_name: str, values: np.ndarray, where: str) -> None:
        """``ValueError`` naming ``where[i]`` for the first sample ``i`` out of range or not
        finite (and how many more are)."""
        p = self[py_name]
        bad = outside(p.lower, p.upper, values) | ~np.isfinite(values)
        if bad.any():
            i = int(np.argmax(bad))
            more = int(bad.sum()) - 1
            raise ValueError(self.range_message(p, float(values[i]), f"{where}[{i}]")
                             + (f"; {more} more sample(s) of it are out of range too" if more else ""))

    def matrix(self, columns: Mapping[str, np.ndarray] | None = None,
               base: Mapping[str, float] | None = None, n: int | None = None) -> np.ndarray:
        """The (N, P) float64 matrix, columns in ``names`` order: defaults, then ``base`` (py name
        -> scalar, e.g. a scenario's overrides), then ``columns`` (py name -> array (N,)).

        Values are not checked here: callers check once, where the values enter (scenario
        validation, :func:`ambidex.ensemble.check_samples`).
        """
        columns = dict(columns or {})
        if n is None:
            n = len(next(iter(columns.values()))) if columns else 1
        P = np.empty((n, len(self.names)))
        P[:] = self.defaults
        for py, v in (base or {}).items():
            P[:, self.index[py]] = v
        for py, a in columns.items():
            P[:, self.index[py]] = a
        return P

    def frame(self):
        """The table as a pandas DataFrame (name, sector, units, default, lower, upper, doc)."""
        import pandas as pd

        return pd.DataFrame([{"name": p.name, "sector": p.sector, "units": p.units,
                              "default": p.default, "lower": p.lower, "upper": p.upper,
                              "doc": p.doc} for p in self.parameters])
