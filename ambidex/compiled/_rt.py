"""Scalar runtime helpers called by generated model code (PySD's formulas, numba-compiled).

Kept in a static module so numba compiles and caches them once for all models.
"""
# ruff: noqa

import math
import numpy as np
from numba import njit
from ambidex.compiled._libm import libm_pow

_jit = njit(cache=True, error_model="numpy")
SMALL = 1e-6


@_jit
def _min(a, b):
    return a if a <= b else (b if b < a else a + b)


@_jit
def _max(a, b):
    return a if a >= b else (b if b > a else a + b)


@_jit
def _sqrt(x):
    return math.sqrt(x) if x >= 0.0 else np.nan


@_jit
def _ln(x):
    if x > 0.0:
        return math.log(x)
    return -np.inf if x == 0.0 else np.nan


@_jit
def _asin(x):
    return math.asin(x) if -1.0 <= x <= 1.0 else np.nan


@_jit
def _acos(x):
    return math.acos(x) if -1.0 <= x <= 1.0 else np.nan


@_jit
def _pow(a, b):
    """``a ** b`` as libm's ``pow`` in both tiers (see :mod:`._libm`)."""
    return libm_pow(a, b)


@_jit
def _sq(x):
    """``x ** 2`` as ``x * x`` in both tiers (what LLVM makes of ``pow(x, 2.0)``)."""
    return x * x


@_jit
def _log(x, b):
    return _ln(x) / _ln(b)


@_jit
def _integer(x):
    return np.trunc(x)


@_jit
def _zidz(n, d):
    return 0.0 if abs(d) < SMALL else n / d


@_jit
def _xidz(n, d, x):
    return x if abs(d) < SMALL else n / d


@_jit
def _quantum(x, q):
    return x if q < SMALL else q * np.trunc(x / q)


@_jit
def _modulo(x, q):
    return x - _quantum(x, q)


@_jit
def _delay_order(order, dt, dtime):
    n = order
    while n > 1.0 and n * dt > dtime:
        n -= 1.0
    return n


@_jit
def _step(t, dt, v, ts):
    return v if t + dt / 2 > ts else 0.0


@_jit
def _ramp(t, slope, start, finish):
    fin = min(finish, t)
    return (1.0 if t + SMALL > start else 0.0) * slope * (fin - start)


@_jit
def _pulse(t, start, width):
    return 1.0 if (start - SMALL <= t and t < start + width) else 0.0


@_jit
def _pulse_train(t, start, rep, width, end):
    if rep == 0.0:
        return 1.0 if (start - SMALL <= t and t < start + width) else 0.0
    if start <= t and t <= end:  # Vensim fires the pulse at END too
        return 1.0 if (t - start + SMALL) % rep < width else 0.0
    return 0.0


@_jit
def _after(tt, b, best):
    return b if (b > tt and b < best) else best


@_jit
def _bp_step(tt, dt, ts):
    return _after(tt, ts - dt / 2, np.inf)


@_jit
def _bp_ramp(tt, start, finish):
    return _after(tt, finish, _after(tt, start, np.inf))


@_jit
def _bp_pulse(tt, start, width):
    return _after(tt, start + width, _after(tt, start - SMALL, np.inf))


@_jit
def _bp_pulse_train(tt, start, rep, width, end):
    best = _after(tt, end, _after(tt, start, _after(tt, start - SMALL, np.inf)))
    if rep > 0.0 and tt < end:
        k = math.floor((tt - start + SMALL) / rep)
        if k < 0.0:
            k = 0.0
        for j in range(2):
            base = start + (k + j) * rep - SMALL
            best = _after(tt, base, best)
            best = _after(tt, base + width, best)
    return best


@_jit
def _lookup(xs, ys, x):
    n = xs.shape[0]
    if x >= xs[n - 1]:
        return ys[n - 1]
    if x <= xs[0]:
        return ys[0]
    lo = 0
    hi = n - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if xs[mid] <= x:
            lo = mid
        else:
            hi = mid
    if xs[lo] == x:
        return ys[lo]
    slope = (ys[hi] - ys[lo]) / (xs[hi] - xs[lo])
    return slope * (x - xs[lo]) + ys[lo]


@_jit
def _lookup_extra(xs, ys, x):
    n = xs.shape[0]
    if n >= 2 and x > xs[n - 1]:
        k = (ys[n - 1] - ys[n - 2]) / (xs[n - 1] - xs[n - 2])
        return ys[n - 1] + k * (x - xs[n - 1])
    if n >= 2 and x < xs[0]:
        k = (ys[1] - ys[0]) / (xs[1] - xs[0])
        return ys[0] + k * (x - xs[0])
    return _lookup(xs, ys, x)


@_jit
def _lookup_hold(xs, ys, x):
    n = xs.shape[0]
    if x >= xs[n - 1]:
        return ys[n - 1]
    if x <= xs[0]:
        return ys[0]
    i = 0
    while xs[i + 1] <= x:
        i += 1
    return ys[i]


@_jit
def _lookup_forward(xs, ys, x):
    """LOOKUP FORWARD: the value at the first x point at or above ``x``."""
    n = xs.shape[0]
    if x >= xs[n - 1]:
        return ys[n - 1]
    i = 0
    while xs[i] < x:
        i += 1
    return ys[i]


NAMES = ['_min', '_max', '_sqrt', '_ln', '_asin', '_acos', '_pow', '_sq', '_log', '_integer', '_zidz', '_xidz', '_quantum', '_modulo', '_delay_order', '_step', '_ramp', '_pulse', '_pulse_train', '_after', '_bp_step', '_bp_ramp', '_bp_pulse', '_bp_pulse_train', '_lookup', '_lookup_extra', '_lookup_hold', '_lookup_forward']
