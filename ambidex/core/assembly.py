"""Result assembly: engine blocks -> one ``xarray.Dataset`` with dims (scenario, sample, time),
variable attrs from the model, and the one provenance schema of every result.

Built with xarray's direct constructor (no alignment or merging: the blocks are already
aligned), which keeps a one-scenario result of ~180 variables near a millisecond.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import xarray as xr

from .provenance import stamp
from .xrshim import defer_dask_probe

defer_dask_probe()  # no dask.array import for xarray's first duck-array check


def variable_attrs(model, py: str) -> dict:
    """``units``, ``description``, ``long_name``, ``kind``, ``sector`` of a model variable."""
    cache = model.__dict__.setdefault("_var_attrs", {})
    a = cache.get(py)
    if a is None:
        v = model.variables[py]
        a = cache[py] = {"units": v.units, "description": v.doc, "long_name": v.name,
                         "kind": v.kind, "sector": v.sector}
    return dict(a)


def dataset(model, names, values: np.ndarray, scenarios, times: np.ndarray,
            samples: dict | None = None, failed: np.ndarray | None = None,
            sample_index: np.ndarray | None = None, sample_dim: bool = True,
            subscripted: dict | None = None) -> xr.Dataset:
    """The result Dataset: ``values`` (S, N, V, T) in ``names`` order (py names).

    ``scenarios`` are validated :class:`~ambidex.core.scenario.Scenario` objects (coordinate
    ``scenario`` with ``scenario_source``/``scenario_file`` beside it); ``samples`` py name ->
    array (N,) become coordinates on ``sample``; ``failed`` (S, N) a boolean data variable.
    ``sample_dim=False`` (N = 1 only) leaves the ``sample`` dim out (dims scenario, time).
    ``subscripted``: py name -> (dims, {dim: elements}, array (S, N, T, *sizes)): variables with
    the subscript ranges as further dims after ``time``.
    """
    S, N = values.shape[:2]
    if sample_dim:
        dims, sub = ("scenario", "sample", "time"), values
    else:
        dims, sub = ("scenario", "time"), values[:, 0]
    vs = _variables(dims, sub, names, _attrs_of(model, names))
    sub_index = {}
    for py, (sdims, coords, data) in (subscripted or {}).items():
        arr = data if sample_dim else data[:, 0]
        vs[py] = xr.Variable(dims + tuple(sdims), arr, variable_attrs(model, py))
        for d in sdims:
            sub_index.setdefault(d, np.asarray(coords[d]))
    if failed is not None:
        vs["failed"] = xr.Variable(dims[:-1], failed if sample_dim else failed[:, 0],
                                   {"description": "the run failed; its outputs are NaN"})
    sample = np.arange(N, dtype=np.int64) if sample_index is None else sample_index
    index = {"scenario": np.array([sc.name for sc in scenarios]), "sample": sample,
             "time": np.asarray(times, dtype=float)}
    if not sample_dim:
        del index["sample"]
    index.update(sub_index)
    coord_names = set(index)
    idx = {}
    for k, v in index.items():
        vs[k], idx[k] = _index(k, np.asarray(v))
    vs["time"].attrs = {"units": model.time_units, "long_name": "time"}
    vs["scenario_source"] = xr.Variable(("scenario",), np.array([sc.source for sc in scenarios]),
                                        fastpath=True)
    vs["scenario_file"] = xr.Variable(("scenario",), np.array(
        [str(sc.path) if sc.path else "" for sc in scenarios]), fastpath=True)
    coord_names |= {"scenario_source", "scenario_file"}
    for py, a in (samples or {}).items():
        p = model.parameters[py]
        vs[py] = xr.Variable(("sample",), a, {"units": p.units, "long_name": p.name})
        coord_names.add(py)
    sizes = {"scenario": S, "sample": N, "time": len(times)} if sample_dim else \
        {"scenario": S, "time": len(times)}
    sizes.update({d: len(v) for d, v in sub_index.items()})
    try:
        if any(i is None for i in idx.values()):
            raise TypeError("no PandasIndex")
        return xr.Dataset._construct_direct(vs, coord_names, sizes, {}, idx)
    except (AttributeError, TypeError):  # pragma: no cover - a future xarray without it
        data = {k: v for k, v in vs.items() if k not in coord_names}
        return xr.Dataset(data, coords={k: vs[k] for k in coord_names})


_SLOTS = ("_dims", "_data", "_attrs", "_encoding")


def _variables(dims: tuple, sub: np.ndarray, names: list, attrs: list) -> dict:
    """``{name: xr.Variable(dims, sub[..., j, :], attrs[j], fastpath=True)}``, the slots set
    directly: xarray's constructor checks each of the ~240 variables (about a millisecond of a
    one-scenario ``simulate``).  The first is built both ways and compared slot by slot; an
    xarray whose Variable differs gets its own constructor for all."""
    out = {}
    if not names:
        return out
    ref = xr.Variable(dims, sub[..., 0, :], attrs[0], fastpath=True)
    new = object.__new__
    try:
        probe = new(xr.Variable)
        for k, v in zip(_SLOTS, (tuple(dims), sub[..., 0, :], attrs[0], None)):
            setattr(probe, k, v)
        same = _same(ref, probe)
    except (AttributeError, TypeError):  # pragma: no cover - another xarray
        same = False
    if not same:  # pragma: no cover - another xarray
        return {py: xr.Variable(dims, sub[..., j, :], attrs[j], fastpath=True)
                for j, py in enumerate(names)}
    dims, V = tuple(dims), xr.Variable
    # sub[..., j, :] for each j, as the views an iteration over the variable axis gives
    for py, data, a in zip(names, np.moveaxis(sub, -2, 0), attrs):
        v = new(V)
        v._dims, v._data, v._attrs, v._encoding = dims, data, a or None, None
        out[py] = v
    return out


def _same(a, b) -> bool:
    """Two Variables alike in every slot (data compared by its memory and layout)."""
    da, db = a._data, b._data
    return (a._dims == b._dims and a._attrs == b._attrs and a._encoding == b._encoding
            and type(da) is type(db) and da.shape == db.shape and da.strides == db.strides
            and da.__array_interface__["data"] == db.__array_interface__["data"])


def _attrs_of(model, names: list) -> list[dict]:
    """:func:`variable_attrs` of each of ``names``: fresh dicts (a result's attrs are its own),
    copied from a list kept per model and output list."""
    cache = model.__dict__.setdefault("_var_attrs_lists", {})
    key = tuple(names)
    got = cache.get(key)
    if got is None:
        got = cache[key] = [variable_attrs(model, py) for py in names]
    return [a.copy() for a in got]


#: (dim, dtype, values) -> (IndexVariable data, PandasIndex) of small numeric or string
#: coordinates (time grids, scenario names): built once, each result gets its own objects
_INDEXES: dict = {}
_INDEXES_MAX, _INDEX_CACHED_SIZE = 64, 4096


def _index(dim: str, v: np.ndarray) -> tuple[xr.IndexVariable, object]:
    """``(IndexVariable, PandasIndex)`` of coordinate ``dim`` with values ``v``: as
    ``_index_variable(dim, v)`` and ``PandasIndex(pd.Index(v), dim)`` give them, from a cache
    for coordinates seen before (both hold immutable pandas indexes; each result gets its own
    IndexVariable and PandasIndex, the latter on its own shallow copy of the index)."""
    try:
        if v.dtype.kind not in "iufUSb" or v.size > _INDEX_CACHED_SIZE:
            return _index_variable(dim, v), xr.indexes.PandasIndex(pd.Index(v), dim)
        key = (dim, v.dtype.str, v.shape, v.tobytes())
        hit = _INDEXES.get(key)
        if hit is None:
            if len(_INDEXES) >= _INDEXES_MAX:
                _INDEXES.clear()
            hit = _INDEXES[key] = (_index_variable(dim, v),
                                   xr.indexes.PandasIndex(pd.Index(v), dim))
        var, pidx = hit
        return (xr.IndexVariable(var.dims, var._data, fastpath=True),
                pidx._replace(pidx.index.copy()))
    except (AttributeError, TypeError):  # pragma: no cover - a future xarray without them
        return xr.IndexVariable((dim,), v), None


def _index_variable(dim: str, v: np.ndarray) -> xr.IndexVariable:
    """``xr.IndexVariable((dim,), v)`` for a numpy array ``v``, built as xarray builds it but
    without its duck-array checks, which import dask.array (seconds) on their first call."""
    try:
        from xarray.core.indexing import PandasIndexingAdapter

        index = pd.Index(v, dtype=object) if v.dtype.kind == "O" else pd.Index(v)
        return xr.IndexVariable((dim,), PandasIndexingAdapter(index, dtype=v.dtype),
                                fastpath=True)
    except (ImportError, TypeError):  # pragma: no cover - a future xarray without it
        return xr.IndexVariable((dim,), v)


def provenance(model, scenarios, solvers: list[dict], engines: list[str], samples=(),
               n_samples: int = 1, n_failed: int = 0, messages: str = "", **extra) -> dict:
    """The one provenance schema of simulate, ensemble and solve results (netCDF-safe attrs).

    ``solvers`` one settings dict per scenario (method, rtol, atol, time_step, saveper,
    engine); ``samples`` the sampled parameters (py names).
    """
    first = solvers[0]
    same = {k: first[k] for k in ("method", "rtol", "atol")
            if all(s.get(k) == first.get(k) for s in solvers)}
    return stamp(
        model,
        engine=",".join(sorted(set(engines))),
        backend=",".join(sorted(set(engines))),
        solver=json.dumps([{"scenario": sc.name, **s} for sc, s in zip(scenarios, solvers)]),
        method=same.get("method", ",".join(sorted({s["method"] for s in solvers}))),
        rtol=float(same.get("rtol", np.nan)), atol=float(same.get("atol", np.nan)),
        scenario=",".join(sc.name for sc in scenarios),
        scenarios=json.dumps([sc.name for sc in scenarios]),
        scenario_file=",".join(str(sc.path) if sc.path else "" for sc in scenarios),
        scenario_parameters=json.dumps({sc.name: sc.parameters for sc in scenarios},
                                       sort_keys=True),
        scenario_interventions=json.dumps(
            {sc.name: [iv.__dict__ for iv in sc.interventions] for sc in scenarios},
            sort_keys=True),
        sample_parameters=json.dumps(list(samples)), n_samples=int(n_samples),
        n_failed=int(n_failed), failure_messages=messages, **extra,
    )
