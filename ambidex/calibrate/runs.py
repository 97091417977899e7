"""Runs of scenarios the batched compiled engine cannot take (scheduled interventions).

A scenario with step/ramp/pulse interventions (``transition_2005``: product-centric until the
mid-2000s switch) runs on the PySD backend, one parameter set at a time, with the same output
layout as :func:`ambidex.ensemble` (dims ``sample``, ``time``; failed runs NaN).  It is slower
(about 0.1 s a run against milliseconds for a batch), so calibrations on such scenarios take
minutes rather than seconds.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..core.errors import AmbidexError, SolverError

METHOD = "LSODA"


def run_each(model, X: np.ndarray, free: list, scenario, variables: list[str],
             times: np.ndarray, rtol: float = 1e-8, atol: float = 1e-8) -> xr.Dataset:
    """Run ``scenario`` once per row of ``X`` (columns = ``free``) on the PySD backend."""
    from ..core.scenario import validate
    from ..simulate import simulate

    X = np.atleast_2d(X)
    out = {py: np.full((X.shape[0], times.size), np.nan) for py in variables}
    failed = np.zeros(X.shape[0], dtype=bool)
    for i, row in enumerate(X):
        extra = {f.py: float(v) for f, v in zip(free, row)}
        try:
            sc = validate(scenario, model, extra=extra)
            ds = simulate(model, [sc], method=METHOD, rtol=rtol, atol=atol, variables=variables,
                          backend="pysd").isel(scenario=0)
        except (SolverError, AmbidexError, FloatingPointError, ValueError):
            failed[i] = True
            continue
        for py in variables:
            out[py][i] = ds[py].interp(time=times).values
    coords = {"sample": np.arange(X.shape[0]), "time": times}
    data = {py: (("sample", "time"), a) for py, a in out.items()}
    data["failed"] = (("sample",), failed)
    return xr.Dataset(data, coords=coords)


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
        values, names, _, _, _, _ = run_plan(model, p, P, list(variables), "mark")
    except AmbidexError as exc:
        raise CalibrationError(f"scenario '{scenario.name}': {exc}") from None
    return {py: _Column(values[:, j, :]) for j, py in enumerate(names)}
