"""Assemble indices of every output (and every time point of trajectory outputs) into one
``xarray.Dataset``.

Dims: ``parameter``; ``output`` (scalar outputs); ``series`` and ``time`` (trajectory outputs,
index per output per time point, variables suffixed ``_t``); ``parameter_2`` (Sobol' S2);
``order`` (``S`` stacks first- and total-order indices for plotting); ``sample`` (the inputs and
scalar outputs the indices came from).
"""

from __future__ import annotations

import numpy as np

from .methods import VARIABLES, analyze_vector


def _normalise_outputs(Y, spec) -> dict:
    """``Y`` as a dict label -> array (N,) or (N, T)."""
    if isinstance(Y, dict):
        return {str(k): np.asarray(v, dtype=float) for k, v in Y.items()}
    Y = np.asarray(Y, dtype=float)
    labels = [o.label for o in spec.outputs] if spec is not None else []
    if Y.ndim == 1:
        return {labels[0] if len(labels) == 1 else "y": Y}
    if Y.ndim == 2:
        if len(labels) != Y.shape[1]:
            labels = [f"y{j}" for j in range(Y.shape[1])]
        return {lab: Y[:, j] for j, lab in enumerate(labels)}
    raise ValueError(f"model outputs must be 1-D or 2-D (runs x outputs), got shape {Y.shape}")


def analyze(spec, X, Y, times=None, progress=None):
    """Indices for the sample ``X`` (rows: runs) and outputs ``Y`` (an array (N,), (N, m) or a
    dict label -> (N,) for scalar outputs or (N, T) for trajectories over ``times``)."""
    import xarray as xr

    X = np.asarray(X, dtype=float)
    Yd = _normalise_outputs(Y, spec)
    names = spec.names
    scalars = {k: v for k, v in Yd.items() if v.ndim == 1}
    series = {k: v for k, v in Yd.items() if v.ndim == 2}
    for k, v in Yd.items():
        if v.shape[0] != X.shape[0]:
            raise ValueError(f"output '{k}' has {v.shape[0]} values for {X.shape[0]} samples")
    n_tasks = len(scalars) + sum(v.shape[1] for v in series.values())
    done = 0

    def step():
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, n_tasks)

    data_vars: dict = {}
    coords = {"parameter": names}
    var_names = VARIABLES[spec.method]
    if scalars:
        res = []
        for _lab, y in scalars.items():
            res.append(analyze_vector(spec, X, y))
            step()
        coords["output"] = list(scalars)
        for v in var_names:
            data_vars[v] = (("parameter", "output"), np.stack([r[v] for r in res], axis=1))
        if "S2" in res[0]:
            coords["parameter_2"] = names
            for v in ("S2", "S2_conf"):
                data_vars[v] = (("parameter", "parameter_2", "output"),
                                np.stack([r[v] for r in res], axis=2))
        data_vars["Y"] = (("sample", "output"), np.column_stack(list(scalars.values())))
    if series:
        if times is None:
            raise ValueError("trajectory outputs need their time coordinate")
        times = np.asarray(times, dtype=float)
        T = max(v.shape[1] for v in series.values())
        if any(v.shape[1] != T for v in series.values()) or T != times.size:
            raise ValueError("trajectory outputs must share one time grid")
        coords["series"] = list(series)
        coords["time"] = times
        per = {v: np.full((len(names), len(series), T), np.nan) for v in var_names}
        for j, (_lab, Yt) in enumerate(series.items()):
            for t in range(T):
                r = analyze_vector(spec, X, Yt[:, t])
                for v in var_names:
                    per[v][:, j, t] = r[v]
                step()
        for v in var_names:
            data_vars[f"{v}_t"] = (("parameter", "series", "time"), per[v])
    data_vars["X"] = (("sample", "parameter"), X)
    ds = xr.Dataset(data_vars, coords=coords)
    ds = ds.assign_coords(sample=np.arange(X.shape[0]))
    if "ST" in ds and "S1" in ds:
        ds["S"] = xr.concat([ds["S1"], ds["ST"]], dim="order").assign_coords(order=["first", "total"])
        ds["S_conf"] = xr.concat([ds["S1_conf"], ds["ST_conf"]], dim="order").assign_coords(
            order=["first", "total"])
    ds.attrs.update(method=spec.method, samples=int(spec.samples), runs=int(X.shape[0]),
                    seed=-1 if spec.seed is None else int(spec.seed), spec_name=spec.name)
    for k, v in spec.options.items():
        ds.attrs[f"method_{k}"] = int(v) if isinstance(v, bool) else v
    for p in spec.parameters:
        ds.attrs[f"distribution {p.name}"] = _describe(p)
    return ds


def _describe(p) -> str:
    lo, hi = p.support()
    if p.distribution == "uniform":
        return f"uniform [{lo:g}, {hi:g}]"
    if p.distribution == "triangular":
        return f"triangular [{lo:g}, {hi:g}] mode {p.mode:g}"
    if p.distribution == "normal":
        return f"normal mean {p.mean:g} sd {p.sd:g} truncated to [{lo:g}, {hi:g}]"
    return f"lognormal mu {p.mu:g} sigma {p.sigma:g} truncated to [{lo:g}, {hi:g}]"
