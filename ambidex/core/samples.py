"""Parameter samples: a dict of arrays, a DataFrame or a Dataset with a ``sample`` dim, read
into {py name: float array (N,)} and checked once against the model's parameter table."""

from __future__ import annotations

import numbers

import numpy as np
import xarray as xr

from .errors import ModelError, ScenarioError


def _column(name, values) -> np.ndarray:
    """``values`` as a float64 1-D array; ScenarioError naming ``name`` and the sample index."""
    if isinstance(values, xr.DataArray):
        values = values.values
    try:
        a = np.asarray(values)
    except Exception as exc:  # ragged nested sequences
        raise ScenarioError(f"samples['{name}']: cannot be read as a 1-D array: {exc}") from None
    if a.ndim != 1:
        raise ScenarioError(f"samples['{name}']: expected a 1-D array of sample values, got "
                            f"shape {a.shape}")
    if a.dtype.kind in "iuf":
        return a.astype(np.float64, copy=False)
    # bool, strings, objects: find the first entry that is not a real number
    items = list(values) if isinstance(values, (list, tuple)) else a.tolist()
    for i, x in enumerate(items):
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise ScenarioError(f"samples['{name}'][{i}]: expected a number, got "
                                f"{type(x).__name__} {x!r}")
    return a.astype(np.float64)


def _sample_columns(samples) -> dict[str, np.ndarray]:
    """Name -> array for a dict, a pandas DataFrame or an xarray Dataset with a ``sample`` dim."""
    if samples is None:
        return {}
    if isinstance(samples, xr.Dataset):
        if "sample" not in samples.dims:
            raise ScenarioError(f"samples: the xarray Dataset needs a 'sample' dimension; it has "
                                f"{tuple(samples.dims)}")
        cols = {}
        for name, da in samples.data_vars.items():
            if da.dims != ("sample",):
                raise ScenarioError(f"samples['{name}']: expected dims ('sample',), got "
                                    f"{da.dims}")
            cols[str(name)] = da.values
        return {k: _column(k, v) for k, v in cols.items()}
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(samples, pd.DataFrame):
        return {str(c): _column(c, samples[c].to_numpy()) for c in samples.columns}
    if isinstance(samples, dict):
        return {str(k): _column(k, v) for k, v in samples.items()}
    raise ScenarioError(f"samples: expected a dict of name -> 1-D array, a pandas DataFrame or an "
                        f"xarray Dataset with a 'sample' dim, got {type(samples).__name__}")


def check_samples(model, samples, bounds: bool = True) -> tuple[dict[str, np.ndarray], int]:
    """Resolve and check ``samples``; return ({py name: float array (N,)}, N).

    Unknown names, ragged lengths, wrong shapes, non-numeric or non-finite values and values
    outside a parameter's bounds (unless ``bounds`` is False) each raise :class:`ScenarioError` naming the parameter, the
    sample index and the allowed range.
    """
    cols = _sample_columns(samples)
    if not cols:
        return {}, 1
    lengths = {k: a.shape[0] for k, a in cols.items()}
    if len(set(lengths.values())) > 1:
        first = next(iter(lengths))
        odd = next(k for k, n in lengths.items() if n != lengths[first])
        raise ScenarioError(
            f"samples: ragged lengths: '{first}' has {lengths[first]} samples but '{odd}' has "
            f"{lengths[odd]} (every parameter needs one value per sample; from index "
            f"{min(lengths[first], lengths[odd])} on one of them has none)")
    n = lengths[next(iter(lengths))]
    if n < 1:
        raise ScenarioError("samples: no samples (length 0)")
    out: dict[str, np.ndarray] = {}
    given: dict[str, str] = {}
    for name, a in cols.items():
        try:
            p = model.resolve_parameter(name)
        except ModelError as exc:
            raise ScenarioError(f"samples['{name}']: {exc}") from None
        if p.py_name in out:
            raise ScenarioError(f"samples: '{name}' and '{given[p.py_name]}' are the same "
                                f"parameter '{p.name}'")
        try:
            if bounds:
                model.table.check_column(p.py_name, a, f"samples['{name}']")
            elif not np.isfinite(a).all():
                i = int(np.argmax(~np.isfinite(a)))
                raise ValueError(f"samples['{name}'][{i}]: value {float(a[i])!r} is not finite")
        except ValueError as exc:
            raise ScenarioError(str(exc)) from None
        out[p.py_name] = a
        given[p.py_name] = name
    return out, n
