"""The run checks, written once: no NaN/inf in any output, no physical stock (declared range
starting at 0) below zero.  :func:`ambidex.solve` applies them to every block of runs."""

from __future__ import annotations

import numpy as np

#: a physical stock is negative when below -NEG_TOL * max(1, max |stock|)
NEG_TOL = 1e-9


def nan_message(model, names, times, values: np.ndarray) -> str | None:
    """``"variable 'X' is nan at t=T"`` for the earliest non-finite output of one run
    (``values`` (V, T) in ``names`` order), else None."""
    bad = ~np.isfinite(values)
    if not bad.any():
        return None
    first = np.where(bad.any(axis=1), np.argmax(bad, axis=1), values.shape[1])
    j = int(np.argmin(first))
    k = int(first[j])
    return f"variable '{model.variables[names[j]].name}' is {values[j, k]} at t={times[k]:g}"


def physical_stocks(model, names) -> list[tuple[int, str]]:
    """(row in ``names``, model name) of every physical stock among the outputs."""
    pos = {py: j for j, py in enumerate(names)}
    return [(pos[s.py_name], s.name) for s in model.stocks if s.physical and s.py_name in pos]


def negative_message(stocks, times, values: np.ndarray) -> str | None:
    """``"stock 'X' went negative (v) at t=T; ..."`` for the first physical stock of one run
    below zero, else None."""
    for j, name in stocks:
        arr = values[j]
        with np.errstate(invalid="ignore"):
            if not (np.nanmin(arr) < 0 if np.isfinite(arr).any() else False):
                continue
            scale = max(1.0, float(np.nanmax(np.abs(arr))))
            neg = arr < -NEG_TOL * scale
        if neg.any():
            k = int(np.argmax(neg))
            return (f"stock '{name}' went negative ({arr[k]:.6g}) at t={times[k]:g}; its "
                    "declared range starts at 0")
    return None


def run_problems(model, result, raise_first: bool) -> list[str]:
    """One message per run of an engine :class:`~ambidex.engines.base.RunResult` ('' = good).

    A run's message is the first of: the engine's own failure, the first non-finite output,
    the first physical stock below zero -- or, with ``raise_first`` (one-off runs, where the
    variable matters more than the integrator's symptom), the non-finite output first.
    """
    values, names, times = result.values, list(result.outputs), result.time
    if result.subscripted:  # one series per subscripted output: its worst element
        proxies = [_proxy(data, partial) for _, _, data, partial in result.subscripted.values()]
        values = np.concatenate([values, np.stack(proxies, axis=1)], axis=1)
        names += list(result.subscripted)
    stocks = _stocks(model, names)
    # Three passes over the block, no temporaries of its size (this runs on every ensemble
    # block: an isfinite mask and a fancy-indexed copy cost more than the runs themselves).
    # A sum is finite iff every term is, barring overflow, which only sends a run to the exact
    # per-run path below.
    with np.errstate(invalid="ignore", over="ignore"):
        finite = np.isfinite(values.sum(axis=(1, 2)))
    below = np.zeros(values.shape[0], dtype=bool)  # runs where some physical stock is < 0
    if stocks:
        cols = [j for j, _ in stocks]
        block = values[:, cols, :]  # the stocks' rows only (a copy of a few rows)
        low = block.min(axis=2)  # NaN where a stock is not finite: that run's NaN
        high = block.max(axis=2)  # message comes first anyway
        scale = np.maximum(1.0, np.maximum(high, -low))  # = max(1, max |stock|), as below
        with np.errstate(invalid="ignore"):
            below = (low < -NEG_TOL * scale).any(axis=1)
    out = []
    for r in range(values.shape[0]):
        eng = result.messages[r] if result.status[r] != 0 else ""
        if finite[r] and not eng and not below[r]:
            out.append("")
            continue
        nan = None if finite[r] else nan_message(model, names, times, values[r])
        # the variable first only where the outputs show one (an engine that failed before
        # producing anything leaves all-NaN outputs: then its own message says more)
        nan_first = raise_first and nan is not None and np.isfinite(values[r]).any()
        first = [nan, eng] if nan_first else [eng, nan]
        msg = next((m for m in first if m), None)
        if msg is None and below[r]:
            msg = negative_message(stocks, times, values[r])
        out.append(msg or "")
    return out


def _stocks(model, names: list) -> tuple:
    """:func:`physical_stocks` of ``names``, worked out once per model and output list."""
    cache = model.__dict__.setdefault("_physical_stocks", {})
    key = tuple(names)
    got = cache.get(key)
    if got is None:
        got = cache[key] = tuple(physical_stocks(model, names))
    return got


def _proxy(data: np.ndarray, partial: bool) -> np.ndarray:
    """(N, T) stand-in for a subscripted output (N, T, *sizes): NaN where a defined element is
    not finite, else the smallest element (a physical stock is negative when any element is).
    With ``partial`` (the model defines only some elements) elements NaN throughout a run are
    not counted."""
    flat = data.reshape(data.shape[0], data.shape[1], -1)
    defined = ~np.all(np.isnan(flat), axis=1, keepdims=True) if partial else \
        np.ones((flat.shape[0], 1, flat.shape[2]), dtype=bool)
    bad = (~np.isfinite(flat) & defined).any(axis=2)
    low = np.where(defined, np.where(np.isfinite(flat), flat, np.inf), np.inf).min(axis=2)
    return np.where(bad, np.nan, low)
