"""The save-time grid, computed in one place."""

from __future__ import annotations

import numpy as np


def save_times(t0: float, t1: float, saveper: float) -> np.ndarray:
    """``t0, t0 + saveper, ...`` up to ``t1`` (included when it falls on the grid), model time
    unit; multiples of ``saveper`` from ``t0`` (no accumulated rounding)."""
    n = int(np.floor((t1 - t0) / saveper + 1e-9))
    return t0 + saveper * np.arange(n + 1)
