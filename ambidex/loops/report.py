"""Text summaries of a loop-dominance result."""

from __future__ import annotations

import numpy as np
import xarray as xr


def _label(ds, i) -> str:
    nid, name = str(ds["named_id"].values[i]), str(ds["name"].values[i])
    head = f"{nid} {name}".strip() if nid else str(ds["loop"].values[i])
    return f"{head} ({ds['polarity'].values[i]}): {ds['variables'].values[i]}"


def dominance_periods(ds: xr.Dataset, partition: int | None = None) -> list[dict]:
    """Periods over which one loop has the largest |relative score| in a cycle partition
    (default: the partition with the most loops).  Each period: start, end (times), loop id,
    label (named id, name, polarity and variables), mean relative score over the period."""
    if ds.sizes.get("loop", 0) == 0:
        return []
    parts = ds["partition"].values
    if partition is None:
        vals, counts = np.unique(parts, return_counts=True)
        partition = int(vals[np.argmax(counts)])
    idx = np.flatnonzero(parts == partition)
    rel = ds["relative_score"].values[idx]
    if rel.ndim == 3:
        raise ValueError("dominance_periods takes a single run, not an ensemble")
    time = ds["time"].values
    top = np.argmax(np.abs(rel), axis=0)
    active = np.abs(rel).max(axis=0) > 0
    out: list[dict] = []
    for k in range(len(time)):
        if not active[k]:
            continue
        i = int(idx[top[k]])
        if out and out[-1]["_i"] == i and out[-1]["_k"] == k - 1:
            out[-1]["end"], out[-1]["_k"] = float(time[k]), k
            out[-1]["_vals"].append(float(ds["relative_score"].values[i, k]))
            continue
        out.append({"start": float(time[k]), "end": float(time[k]), "loop": str(ds["loop"].values[i]),
                    "label": _label(ds, i), "_i": i, "_k": k,
                    "_vals": [float(ds["relative_score"].values[i, k])]})
    for p in out:
        p["mean_relative_score"] = float(np.mean(p.pop("_vals")))
        p.pop("_i"), p.pop("_k")
    return out
