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


def dominance_windows(ds: xr.Dataset, width: float | None = None,
                      partition: int | None = None) -> list[dict]:
    """The dominant loop of each time window of length ``width`` (default: a seventh of the
    horizon): the loop of the partition (default: the one with most loops) with the largest
    mean |relative score| over the window.  Each window: start, end, loop, label,
    mean_relative_score, and share (of the window's steps in which it is among the dominant
    loops)."""
    if ds.sizes.get("loop", 0) == 0:
        return []
    t = ds["time"].values
    parts = ds["partition"].values
    if partition is None:
        vals, counts = np.unique(parts, return_counts=True)
        partition = int(vals[np.argmax(counts)])
    idx = np.flatnonzero(parts == partition)
    width = width or (t[-1] - t[0]) / 7 or 1.0
    rel = ds["relative_score"].values[idx]
    dom = ds["dominant"].values[idx] if "dominant" in ds else np.zeros(rel.shape, bool)
    out = []
    start = t[0]
    while start < t[-1] - 1e-9:
        end = min(start + width, t[-1])
        sel = (t > start + 1e-9) & (t <= end + 1e-9)
        if sel.any():
            m = np.abs(rel[:, sel]).mean(axis=1)
            j = int(np.argmax(m))
            i = int(idx[j])
            out.append({"start": float(start), "end": float(end), "loop": str(ds["loop"].values[i]),
                        "label": _label(ds, i),
                        "mean_relative_score": float(rel[j, sel].mean()),
                        "share": float(dom[j, sel].mean())})
        start = end
    return out


def write_loops_report(model=None, scenario=None, out_dir="results", samples=None,
                       length_bound=None, max_loops=None) -> tuple:
    """Loop dominance of ``model`` along ``scenario``: write ``OUT/loops_<model>_<scenario>.html``
    (causal-loop diagram, relative loop scores, and dominance bands when ``samples`` are given)
    and return ``(path, dataset, periods)`` with the dominance periods of the largest cycle
    partition."""
    from pathlib import Path

    from ..core.results import write_text
    from .cycles import DEFAULT_MAX_LOOPS
    from .dominance import dominance
    from .figures import cld_figure, dominance_bands_figure, figures_html, relative_scores_figure
    from .ltm import analyse

    st, run = analyse(model, scenario, length_bound, max_loops or DEFAULT_MAX_LOOPS)
    ds = dominance(st, run, scenario)
    figs = [cld_figure(st), relative_scores_figure(ds)]
    if samples:
        figs.append(dominance_bands_figure(dominance(st, run, scenario, samples)))
    name = getattr(scenario, "name", None) or (Path(str(scenario)).stem if scenario else "default")
    title = f"Feedback loops of {st.model.name} ({name})"
    path = write_text(figures_html(figs, title), Path(out_dir) / f"loops_{st.model.name}_{name}.html")
    return path, ds, dominance_periods(ds)
