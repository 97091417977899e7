"""Runs of calibration batches: every row of a parameter matrix through one engine call.

:func:`run_batch` sends the rows to the compiled engine (milliseconds for a batch).  A scenario
with step/ramp/pulse interventions (``transition_2005``: product-centric until the mid-2000s
switch) goes to the PySD engine with :func:`run_each`: the same one call into
:func:`ambidex.solve.run_plan`, but the engine integrates the rows one after another (about
0.1 s a run), so calibrations on such scenarios take minutes rather than seconds.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..core.errors import AmbidexError
from ..core.parameters import outside

METHOD = "LSODA"


def run_each(model, X: np.ndarray, free: list, scenario, variables: list[str],
             times: np.ndarray, rtol: float = 1e-8, atol: float = 1e-8) -> xr.Dataset:
    """Run the validated ``scenario`` for every row of ``X`` (N, k; columns = ``free``) on the
    PySD engine (LSODA at ``rtol``/``atol``) in one call; return a Dataset with dims
    (sample, time): the ``variables`` (py names) at ``times`` (model time unit) and ``failed``
    (sample,).  A row outside a free parameter's range or a run that fails gives NaN and
    ``failed`` True; a scenario the engine cannot run is a CalibrationError."""
    from ..solve import plan, run_plan
    from .errors import CalibrationError

    X = np.atleast_2d(np.asarray(X, dtype=float))
    times = np.asarray(times, dtype=float)
    ok = np.ones(X.shape[0], dtype=bool)
    for j, f in enumerate(free):
        par = model.parameters[f.py]
        ok &= ~outside(par.lower, par.upper, X[:, j])
    out = {py: np.full((X.shape[0], times.size), np.nan) for py in variables}
    subs_out: dict = {}
    failed = ~ok
    if ok.any():
        cols = {f.py: X[ok, j] for j, f in enumerate(free)}
        try:
            p = plan(model, scenario, {"method": METHOD, "rtol": rtol, "atol": atol}, "pysd",
                     times)
            P = model.table.matrix(cols, base=scenario.parameters, n=int(ok.sum()))
            values, names, bad, _, _, subs = run_plan(model, p, P, list(variables), "mark")
        except AmbidexError as exc:
            raise CalibrationError(f"scenario '{scenario.name}': {exc}") from None
        failed[np.flatnonzero(ok)[bad]] = True
        for j, py in enumerate(names):
            out[py][ok] = values[:, j, :]
        for py, (dims, crd, data) in subs.items():
            full = np.full((X.shape[0], *data.shape[1:]), np.nan)
            full[ok] = data
            subs_out[py] = _array(full, dims, crd)
    coords = {"sample": np.arange(X.shape[0]), "time": times}
    data = {py: (("sample", "time"), a) for py, a in out.items() if py not in subs_out}
    data["failed"] = (("sample",), failed)
    ds = xr.Dataset(data, coords=coords)
    for py, da in subs_out.items():
        ds[py] = da
    return ds


class _Column:
    """One output of a batch: ``.values`` (N, T), what the calibration reads of a Dataset."""

    __slots__ = ("values",)

    def __init__(self, values: np.ndarray):
        self.values = values


def run_batch(model, X: np.ndarray, free: list, scenario, variables: list[str],
              times: np.ndarray, method: str, rtol: float, atol: float) -> dict:
    """Rows of ``X`` through :func:`ambidex.solve.run_plan` on the compiled engine:
    ``{py_name: column}``.

    What :func:`ambidex.ensemble` computes (failed runs and physical stocks below zero give NaN
    rows, checked once in :mod:`ambidex.core.checks`) without building an xarray Dataset per
    call, which for the 10-50 runs of a least-squares Jacobian or an MCMC step cost several
    times the integration itself.
    """
    from ..solve import plan, run_plan
    from .errors import CalibrationError

    X = np.atleast_2d(np.asarray(X, dtype=float))
    cols = {f.py: X[:, j] for j, f in enumerate(free)}
    try:
        p = plan(model, scenario, {"method": method, "rtol": rtol, "atol": atol}, "compiled",
                 np.asarray(times, dtype=float))
        P = model.table.matrix(cols, base=scenario.parameters, n=X.shape[0])
        values, names, _, _, _, subs = run_plan(model, p, P, list(variables), "mark")
    except AmbidexError as exc:
        raise CalibrationError(f"scenario '{scenario.name}': {exc}") from None
    out = {py: _Column(values[:, j, :]) for j, py in enumerate(names)}
    for py, (dims, crd, data) in subs.items():  # the elements a target names are taken later
        out[py] = _array(data, dims, crd)
    return out


def _array(data: np.ndarray, dims, coords) -> xr.DataArray:
    """A subscripted output (N, T, *sizes) as a DataArray (sample, time, *subscript ranges)."""
    return xr.DataArray(data, dims=("sample", "time", *dims),
                        coords={d: list(coords[d]) for d in dims})
