"""Summary tables of a results Dataset (pure functions; the CLI prints them).

The columns come from the model's profile (``[[summary]]`` of ``NAME.profile.toml``, see
:mod:`ambidex.core.profile`); without one, every stock.
"""

from __future__ import annotations

import pandas as pd

from .core.profile import dataset_profile


def summary_columns(ds) -> dict[str, tuple[str, float]]:
    """Column label -> (py name, scale) for ``ds``, from its model's profile."""
    return {label: (py, scale) for label, py, scale in dataset_profile(ds)["summary"]}


def summary_table(ds) -> pd.DataFrame:
    """Per scenario, each key outcome at the scenario's final saved time."""
    SUMMARY_COLUMNS = summary_columns(ds)
    rows = {}
    for s in ds.scenario.values:
        sub = ds.sel(scenario=s).dropna("time", how="all")
        last = sub.isel(time=-1)
        rows[str(s)] = {col: float(last[py]) * scale
                        for col, (py, scale) in SUMMARY_COLUMNS.items() if py in sub}
    return pd.DataFrame.from_dict(rows, orient="index")


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
