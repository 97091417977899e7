"""Monte Carlo uncertainty: a Latin-hypercube sample of the spec's distributions, the model's
trajectories, and their percentile bands over time (default 5-25-50-75-95)."""

from __future__ import annotations

import numpy as np

from ..core.elements import resolve as resolve_element
from ..core.elements import take


def mc_sample(spec, n: int) -> np.ndarray:
    """``n`` Latin-hypercube rows in parameter units (seeded by the spec)."""
    from scipy.stats import qmc

    U = qmc.LatinHypercube(d=len(spec.parameters), seed=spec.seed).random(n)
    return spec.to_physical(U)


def bands(trajectories: dict, times, percentiles):
    """``mc_band`` (percentile, variable, mc_time) and ``mc_mean`` (variable, mc_time) of
    trajectories {variable: (N, T)}."""
    import xarray as xr

    names = list(trajectories)
    q = np.stack([np.percentile(trajectories[v], percentiles, axis=0) for v in names], axis=1)
    mean = np.stack([trajectories[v].mean(axis=0) for v in names])
    return xr.Dataset(
        {"mc_band": (("percentile", "variable", "mc_time"), q),
         "mc_mean": (("variable", "mc_time"), mean)},
        coords={"percentile": np.asarray(percentiles, dtype=float), "variable": names,
                "mc_time": np.asarray(times, dtype=float)})


def uncertainty_bands(evaluator, spec, progress: bool = False):
    """Run the spec's ``[uncertainty]`` Monte Carlo through ``evaluator`` (a
    :class:`~ambidex.sensitivity.model_eval.ModelEvaluator`); return the bands Dataset."""
    from .progress import bar

    unc = spec.uncertainty or {}
    n = int(unc.get("samples", 200))
    pcts = unc.get("percentiles", [5, 25, 50, 75, 95])
    model = evaluator.model
    variables = unc.get("variables") or [o.variable for o in spec.outputs]
    refs = [resolve_element(model, v) for v in variables]  # 'Population[North]' too
    pys = list(dict.fromkeys(py for py, _, _ in refs))
    X = mc_sample(spec, n)
    with bar(progress, f"Monte Carlo {n} runs") as upd:
        ds = evaluator.trajectories(X, variables=pys, offset=0)
        if upd:
            upd(n, n)
    traj = {}
    for v, (py, elems, _) in zip(variables, refs):
        y = ds[py] if elems is None else take(ds[py], elems, v)
        traj[model.variables[py].name + (f"[{', '.join(elems)}]" if elems else "")] = y.values
    out = bands(traj, ds["time"].values, pcts)
    out["mc_X"] = (("mc_sample", "parameter"), X)
    out.attrs["mc_samples"] = n
    return out
