"""Evaluate any callable over a sample matrix, chunk by chunk (SALib style: the function takes
the rows of ``X`` and returns one output per row, or several)."""

from __future__ import annotations

import numpy as np


def chunks(n: int, size: int) -> list[tuple[int, int]]:
    """Row ranges ``[start, stop)`` of ``n`` rows in pieces of ``size``."""
    size = max(1, int(size))
    return [(s, min(s + size, n)) for s in range(0, n, size)]


def as_dict(out, n: int) -> dict:
    """A function's result as label -> array with ``n`` rows."""
    if isinstance(out, dict):
        res = {str(k): np.asarray(v, dtype=float) for k, v in out.items()}
    else:
        a = np.asarray(out, dtype=float)
        if a.ndim == 1:
            res = {"y": a}
        elif a.ndim == 2:
            res = {f"y{j}": a[:, j] for j in range(a.shape[1])}
        else:
            raise ValueError(f"a model function must return (n,) or (n, m) values, got {a.shape}")
    for k, v in res.items():
        if v.shape[0] != n:
            raise ValueError(f"output '{k}' has {v.shape[0]} rows for {n} sample rows")
    return res


def concat(parts: list[dict]) -> dict:
    return {k: np.concatenate([p[k] for p in parts], axis=0) for k in parts[0]}


def evaluate(func, X, chunk_size: int | None = None, progress=None) -> dict:
    """``func`` over the rows of ``X`` in chunks; returns label -> array (N,) or (N, T).

    ``func(X_chunk)`` may return an array (n,) or (n, m) (labels ``y`` / ``y0..``) or a dict of
    label -> array.  ``progress(done_rows, total_rows)`` is called after each chunk.
    """
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    parts = []
    for start, stop in chunks(n, chunk_size or n or 1):
        parts.append(as_dict(func(X[start:stop]), stop - start))
        if progress is not None:
            progress(stop, n)
    return concat(parts)
