"""Loop dominance across a parameter ensemble: Loops That Matter for each sample, summarised
as quantile bands of the relative loop scores and the share of samples in which each loop is
among the dominant ones at each time.  The loops and their polarity are those of the base run
(the scenario without the sample overrides); the samples are one :func:`ambidex.solve` call
(PySD engine, Euler at TIME STEP, every variable at every step)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..errors import ScenarioError
from .ltm import _dataset, dominant, loop_scores


def _samples(samples: dict) -> tuple[list[str], np.ndarray]:
    names = list(samples)
    if not names:
        raise ScenarioError("samples: give at least one parameter with an array of values")
    cols = [np.atleast_1d(np.asarray(samples[k], dtype=float)) for k in names]
    n = {len(c) for c in cols}
    if len(n) != 1:
        raise ScenarioError(f"samples: every parameter needs the same number of values, got "
                            f"{dict(zip(names, (len(c) for c in cols)))}")
    return names, np.stack(cols, axis=1)


def ensemble_scores(st, scenario, samples: dict, quantiles=(0.05, 0.25, 0.5, 0.75, 0.95)) -> xr.Dataset:
    """The ensemble form of :func:`~ambidex.loops.ltm.loop_dominance` (see there)."""
    names, values = _samples(samples)
    model = st.model
    for k in names:
        model.resolve_parameter(k)  # unknown name: ModelError with close matches
    from ..solve import solve

    dt = model.control["time_step"]
    runs = solve(model, scenario, samples=dict(zip(names, values.T)), engine="pysd",
                 solver={"method": "euler", "time_step": dt}, saveat=dt).isel(scenario=0)
    time = runs.time.values
    scores, rels = [], []
    for i in range(len(values)):
        env = {v: np.asarray(runs[v].values[i], dtype=float) for v in runs.data_vars}
        s, r = loop_scores(st, env, time)
        scores.append(s)
        rels.append(r)
    score, rel = np.stack(scores), np.stack(rels)
    ds = _dataset(st, time, score, rel, {"scenario": str(getattr(scenario, "name", scenario or "default")),
                                        "samples": len(values)})
    ds = ds.assign_coords(sample=np.arange(len(values)))
    for j, k in enumerate(names):
        ds = ds.assign_coords({f"param_{model.resolve_parameter(k).py_name}": ("sample", values[:, j])})
    parts = ds["partition"].values
    dom = np.stack([dominant(r, parts) for r in rel])
    ds["dominance_share"] = (("loop", "time"), dom.mean(axis=0))
    ds["dominance_share"].attrs = {"long_name": "share of samples in which the loop is among the "
                                                "dominant loops (explaining >= 50 % together)"}
    q = np.asarray(quantiles, dtype=float)
    ds["relative_score_quantile"] = (("quantile", "loop", "time"), np.quantile(rel, q, axis=0))
    ds = ds.assign_coords(quantile=q)
    ds["relative_score_quantile"].attrs = {"long_name": "quantiles of the relative loop score "
                                                        "across samples"}
    return ds
