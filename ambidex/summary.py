"""Summary tables of a results Dataset (pure functions; the CLI prints them)."""

from __future__ import annotations

import pandas as pd

SUMMARY_COLUMNS = {
    "revenue EUR M": ("total_revenue", 1e-6),
    "collab share": ("collaboration_share_of_revenue", 1),
    "ROA": ("roa", 1),
    "explore share": ("exploration_share", 1),
    "trust": ("relationship_trust", 1),
}


def summary_table(ds) -> pd.DataFrame:
    """Per scenario, each key outcome at the scenario's final saved time."""
    rows = {}
    for s in ds.scenario.values:
        sub = ds.sel(scenario=s).dropna("time", how="all")
        last = sub.isel(time=-1)
        rows[str(s)] = {col: float(last[py]) * scale
                        for col, (py, scale) in SUMMARY_COLUMNS.items() if py in sub}
    return pd.DataFrame.from_dict(rows, orient="index")


def compare_table(ds, a: str, b: str, times=None) -> pd.DataFrame:
    """Key outcomes of scenarios ``a`` and ``b`` and their difference (b - a) at ``times``."""
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
