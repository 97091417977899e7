"""Summary tables of a results Dataset (pure functions; the CLI prints them).

The columns come from the model's profile (``[[summary]]`` of ``NAME.profile.toml``, see
:mod:`ambidex.core.profile`); without one, every stock.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .core.profile import dataset_profile


def summary_columns(ds) -> dict[str, tuple[str, float]]:
    """Column label -> (py name, scale) for ``ds``, from its model's profile."""
    return {label: (py, scale) for label, py, scale in dataset_profile(ds)["summary"]}


def summary_table(ds) -> pd.DataFrame:
    """Per scenario, each key outcome at the scenario's final saved time (the last time at
    which any variable has a value, as ``dropna("time", how="all")`` keeps)."""
    SUMMARY_COLUMNS = summary_columns(ds)
    rows = {}
    for i, s in enumerate(ds.scenario.values):
        t = np.flatnonzero(_has_value(ds, i))[-1]
        at = {"scenario": i, "time": t}
        rows[str(s)] = {col: float(ds[py].isel({d: at[d] for d in at if d in ds[py].dims}))
                        * scale for col, (py, scale) in SUMMARY_COLUMNS.items() if py in ds}
    return pd.DataFrame.from_dict(rows, orient="index")


def _has_value(ds, i: int) -> np.ndarray:
    """Per time, whether any variable with a time axis has a value in scenario ``i``.  With
    numpy on the arrays: xarray's ``dropna`` imports dask and pint to ask whether the arrays
    are theirs (0.3-0.6 s of a one-scenario ``ambidex run``)."""
    has = np.zeros(ds.sizes["time"], dtype=bool)
    for k in ds.data_vars:
        v = ds.variables[k]  # the Variable: no DataArray built per variable
        if "time" not in v.dims:
            continue
        a = v.values
        if "scenario" in v.dims:
            a = np.take(a, i, axis=v.dims.index("scenario"))
        dims = [d for d in v.dims if d != "scenario"]
        a = np.moveaxis(a, dims.index("time"), 0).reshape(has.size, -1)
        has |= ~pd.isna(a).all(axis=1)
    return has


def compare_table(ds, a: str, b: str, times=None) -> pd.DataFrame:
    """Key outcomes of scenarios ``a`` and ``b`` and their difference (b - a) at ``times``."""
    SUMMARY_COLUMNS = summary_columns(ds)
    common = ds.sel(scenario=[a, b]).dropna("time", how="any")
    if times is None:
        tt = common.time.values
        times = sorted({float(tt[len(tt) // 2]), float(tt[-1])})
    rows = []
    for t in times:
        snap = common.sel(time=t, method="nearest")
        for col, (py, scale) in SUMMARY_COLUMNS.items():
            if py not in snap:
                continue
            va, vb = float(snap[py].sel(scenario=a)) * scale, float(snap[py].sel(scenario=b)) * scale
            rows.append({"time": float(snap.time), "outcome": col, a: va, b: vb, "difference": vb - va})
    return pd.DataFrame(rows)
