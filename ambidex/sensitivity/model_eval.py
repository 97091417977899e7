"""Evaluate the SD model over a sample matrix: one :func:`ambidex.ensemble` call per chunk,
then each output's statistic (final, period mean, value at a time, max, min, trajectory).

:class:`ModelEvaluator` is a plain picklable callable holding the model's *path*: a Dask worker
loads the model (translation and numba compile come from the on-disk cache) once per process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.elements import resolve as resolve_element
from ..core.elements import take
from ..core.errors import SolverError

_MODELS: dict[str, object] = {}


def cached_model(path):
    """The model at ``path``, loaded once per process."""
    from ..core.model import load_model

    key = str(Path(path).resolve())
    if key not in _MODELS:
        _MODELS[key] = load_model(key)
    return _MODELS[key]


def times_read(o, times: np.ndarray) -> np.ndarray:
    """Indices of ``times`` that :func:`reduce_output` reads for output ``o``."""
    t1 = times[-1]
    eps = 1e-9 * max(1.0, abs(t1))
    if o.statistic == "final":
        return np.array([len(times) - 1])
    if o.statistic == "at":
        j = int(np.searchsorted(times, o.time - eps))
        if j < len(times) and abs(times[j] - o.time) <= eps:
            return np.array([j])
        return np.array([j - 1, j])
    if o.statistic == "trajectory":
        want = np.arange(times[0], t1 + eps, o.every or 1.0)
        return np.unique(np.clip(np.searchsorted(times, want - eps), 0, len(times) - 1))
    lo = o.start if o.start is not None else times[0]
    hi = o.end if o.end is not None else t1
    return np.flatnonzero((times >= lo - eps) & (times <= hi + eps))


def save_subset(outputs, times: np.ndarray) -> np.ndarray | None:
    """The save times the statistics of ``outputs`` read (always with the first and last, so
    :func:`reduce_output` sees the same horizon), or None when that is every time.  Runs saved
    only there give the statistics bit for bit: a run's value at a time does not depend on
    which other times are saved."""
    idx = {0, len(times) - 1}
    for o in outputs:
        idx.update(int(i) for i in times_read(o, times))
    if len(idx) >= len(times):
        return None
    return times[np.array(sorted(idx))]


def reduce_output(o, y: np.ndarray, times: np.ndarray):
    """The statistic ``o.statistic`` of trajectories ``y`` (N, T) over ``times``.

    Returns (values, out_times): values (N,) for a scalar statistic, (N, T') for a trajectory
    (every ``o.every`` time units, default 1) with its T' times.
    """
    t0, t1 = times[0], times[-1]
    eps = 1e-9 * max(1.0, abs(t1))
    if o.statistic == "final":
        return y[:, -1], None
    if o.statistic == "at":
        j = np.searchsorted(times, o.time - eps)
        if j < len(times) and abs(times[j] - o.time) <= eps:
            return y[:, j], None
        w = (o.time - times[j - 1]) / (times[j] - times[j - 1])
        return (1 - w) * y[:, j - 1] + w * y[:, j], None
    if o.statistic == "trajectory":
        every = o.every or 1.0
        want = np.arange(t0, t1 + eps, every)
        idx = np.unique(np.clip(np.searchsorted(times, want - eps), 0, len(times) - 1))
        return y[:, idx], times[idx]
    lo = o.start if o.start is not None else t0
    hi = o.end if o.end is not None else t1
    sel = (times >= lo - eps) & (times <= hi + eps)
    if o.statistic == "max":
        return y[:, sel].max(axis=1), None
    if o.statistic == "min":
        return y[:, sel].min(axis=1), None
    # period mean: time average (trapezoid) over [start, end]; one point: its value
    ts, ys = times[sel], y[:, sel]
    if ts.size < 2:
        return ys[:, 0], None
    return np.trapezoid(ys, ts, axis=1) / (ts[-1] - ts[0]), None


@dataclass
class ModelEvaluator:
    """``evaluator(X)`` -> {output label: (n,) or (n, T)} for the rows of ``X`` (columns:
    ``parameters``, model names).  Picklable; loads the model from ``model_path`` lazily."""

    model_path: str
    parameters: list
    outputs: list  # OutputSpec
    scenario: object = None  # name, path or Scenario (parameter overrides)
    method: str = "dopri5"
    rtol: float = 1e-6
    atol: float = 1e-6
    offset: int = 0  # row number of X[0] in the whole sample, for messages
    extra: dict = field(default_factory=dict)

    @property
    def model(self):
        return cached_model(self.model_path)

    def variables(self) -> list[str]:
        model = self.model
        out = []
        for o in self.outputs:
            py = resolve_element(model, o.variable)[0]
            if py not in out:
                out.append(py)
        return out

    def trajectories(self, X, variables=None, offset=None, saveat=None):
        """The raw ensemble Dataset (sample, time) of ``variables`` for the rows of ``X``, saved
        at ``saveat`` (default: every SAVEPER time); :class:`SolverError` naming the sample rows
        and their values if any run failed."""
        from ..ensemble import ensemble

        X = np.asarray(X, dtype=float)
        model = self.model
        samples = {name: X[:, j] for j, name in enumerate(self.parameters)}
        ds = ensemble(model, samples=samples, scenario=self.scenario, method=self.method,
                      rtol=self.rtol, atol=self.atol,
                      variables=variables if variables is not None else self.variables(),
                      chunk_size=max(1, X.shape[0]), saveat=saveat)
        failed = np.asarray(ds["failed"].values, dtype=bool)
        if failed.any():
            off = self.offset if offset is None else offset
            rows = np.flatnonzero(failed)
            first = rows[0]
            vals = ", ".join(f"{n} = {X[first, j]:g}" for j, n in enumerate(self.parameters))
            msg = ds.attrs.get("failure_messages", "").splitlines()
            raise SolverError(f"{rows.size} of {X.shape[0]} runs failed, first sample "
                              f"{off + first} ({vals})"
                              + (f": {msg[0].split(': ', 1)[-1]}" if msg else ""))
        return ds

    def __call__(self, X):
        from ..ensemble import _save_times

        model = self.model
        ds = self.trajectories(X, saveat=save_subset(self.outputs, _save_times(model)))
        times = ds["time"].values
        out = {}
        for o in self.outputs:
            py, elems, _ = resolve_element(model, o.variable)
            y = ds[py] if elems is None else take(ds[py], elems, o.key)
            vals, _ = reduce_output(o, y.values, times)
            out[o.label] = vals
        return out

    def output_times(self):
        """Time coordinate of trajectory outputs (they share one grid)."""
        from ..ensemble import _save_times

        times = _save_times(self.model)
        for o in self.outputs:
            if o.statistic == "trajectory":
                _, t = reduce_output(o, np.zeros((1, times.size)), times)
                return t
        return None
