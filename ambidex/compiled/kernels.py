"""Source templates shared by every generated model module.

``HELPERS`` holds the scalar functions the generated equations call (PySD's formulas, see
``pysd.py_backend.functions``); ``KERNELS`` holds the per-run integrators (Euler, RK4,
Dormand-Prince 5(4) with per-run step control and dense output) and their batched drivers
(serial and ``prange``).  Both are plain Python text so that the generated module is one file
that numba can cache.
"""

HELPERS = r'''
import math
import numpy as np
from numba import njit, prange

_jit = njit(cache=True, error_model="numpy")
_pjit = njit(cache=True, error_model="numpy", parallel=True)
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
    return a ** b


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
    if start <= t and t < end:
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
'''

KERNELS = r'''

@_jit
def _finite(v, n):
    for i in range(n):
        if not np.isfinite(v[i]):
            return False
    return True


@_jit
def _save(t, y, p, c, v, out_idx, o, k):
    _out(t, y, p, c, v)
    for j in range(out_idx.shape[0]):
        o[j, k] = v[out_idx[j]]
    return _finite(v, NV)


@_jit
def _clamp(y):
    if HAS_NONNEG:
        for j in NONNEG:
            if y[j] < 0.0:
                y[j] = 0.0


@_jit
def _fixed1(method, p, times, save, out_idx, o, dt):
    """Euler (method 0) or RK4 (method 1) on the fixed grid ``times``."""
    y = np.zeros(max(NY, 1))
    c = np.zeros(NC)
    v = np.zeros(NV)
    k1 = np.zeros(max(NY, 1))
    k2 = np.zeros(max(NY, 1))
    k3 = np.zeros(max(NY, 1))
    k4 = np.zeros(max(NY, 1))
    yt = np.zeros(max(NY, 1))
    _init(times[0], p, y, c)
    status = 0
    ft = np.nan
    k = 0
    n = times.shape[0]
    for i in range(n):
        t = times[i]
        if save[i]:
            if not _save(t, y, p, c, v, out_idx, o, k) and status == 0:
                status = 1
                ft = t
            k += 1
        if i == n - 1:
            break
        if method == 0:
            _rhs(t, y, p, c, k1)
            for j in range(NY):
                y[j] = y[j] + k1[j] * dt
        else:
            h = dt
            _rhs(t, y, p, c, k1)
            for j in range(NY):
                yt[j] = y[j] + 0.5 * h * k1[j]
            _rhs(t + 0.5 * h, yt, p, c, k2)
            for j in range(NY):
                yt[j] = y[j] + 0.5 * h * k2[j]
            _rhs(t + 0.5 * h, yt, p, c, k3)
            for j in range(NY):
                yt[j] = y[j] + h * k3[j]
            _rhs(t + h, yt, p, c, k4)
            for j in range(NY):
                y[j] = y[j] + h / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])
        _clamp(y)
        if not _finite(y, NY):
            if status == 0:
                status = 1
                ft = times[i + 1]
            for kk in range(k, o.shape[1]):
                for j in range(o.shape[0]):
                    o[j, kk] = np.nan
            break
    return status, ft, (n - 1) * (1 if method == 0 else 4)


@_jit
def _norm(e, y0, y1, rtol, atol):
    s = 0.0
    for j in range(NY):
        sk = atol + rtol * max(abs(y0[j]), abs(y1[j]))
        s += (e[j] / sk) ** 2
    return math.sqrt(s / max(NY, 1))


@_jit
def _dopri1(p, t0, tf, te, rtol, atol, hmax, h0, maxsteps, out_idx, o):
    """Dormand-Prince 5(4) for one run: own step size, dense output at ``te``."""
    m = max(NY, 1)
    y = np.zeros(m)
    y1 = np.zeros(m)
    yt = np.zeros(m)
    c = np.zeros(NC)
    v = np.zeros(NV)
    k1 = np.zeros(m)
    k2 = np.zeros(m)
    k3 = np.zeros(m)
    k4 = np.zeros(m)
    k5 = np.zeros(m)
    k6 = np.zeros(m)
    k7 = np.zeros(m)
    er = np.zeros(m)
    _init(t0, p, y, c)
    status = 0
    ft = np.nan
    nfev = 0
    ne = te.shape[0]
    span = max(1.0, abs(t0), abs(tf))
    tiny = 1e-12 * span
    delta = 1e-11 * span
    ie = 0
    while ie < ne and te[ie] <= t0 + tiny:
        if not _save(te[ie], y, p, c, v, out_idx, o, ie) and status == 0:
            status = 1
            ft = te[ie]
        ie += 1
    t = t0
    if NY == 0:
        while ie < ne:
            if not _save(te[ie], y, p, c, v, out_idx, o, ie) and status == 0:
                status = 1
                ft = te[ie]
            ie += 1
        return status, ft, nfev
    bp = np.inf
    if HAS_BP:
        bp = _nbp(t, y, p, c, t + 2.0 * delta)
    start_bp = False
    _rhs(t, y, p, c, k1)
    nfev += 1
    # initial step (Hairer & Wanner's hinit)
    h = h0
    if h <= 0.0:
        d0 = 0.0
        d1 = 0.0
        for j in range(NY):
            sk = atol + rtol * abs(y[j])
            d0 += (y[j] / sk) ** 2
            d1 += (k1[j] / sk) ** 2
        d0 = math.sqrt(d0 / NY)
        d1 = math.sqrt(d1 / NY)
        hh = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
        hh = min(hh, tf - t0, hmax)
        for j in range(NY):
            yt[j] = y[j] + hh * k1[j]
        _rhs(min(t + hh, bp - delta), yt, p, c, k2)
        nfev += 1
        d2 = 0.0
        for j in range(NY):
            sk = atol + rtol * abs(y[j])
            d2 += ((k2[j] - k1[j]) / sk) ** 2
        d2 = math.sqrt(d2 / NY) / hh
        dm = max(d1, d2)
        h1 = max(1e-6, hh * 1e-3) if dm <= 1e-15 else (0.01 / dm) ** 0.2
        h = min(100.0 * hh, h1)
    if not np.isfinite(h) or h <= 0.0:
        h = 1e-6 * (tf - t0)
    reject = False
    nsteps = 0
    while t < tf - tiny:
        if nsteps >= maxsteps:
            status = 2
            ft = t
            break
        nsteps += 1
        h = min(h, hmax, tf - t)
        end_bp = False
        if bp < t + h + tiny:
            h = bp - t
            end_bp = True
        tlo = t + delta if start_bp else t
        thi = t + h - delta if end_bp else t + h
        for j in range(NY):
            yt[j] = y[j] + h * (0.2 * k1[j])
        _rhs(min(max(t + 0.2 * h, tlo), thi), yt, p, c, k2)
        for j in range(NY):
            yt[j] = y[j] + h * (3.0 / 40.0 * k1[j] + 9.0 / 40.0 * k2[j])
        _rhs(min(max(t + 0.3 * h, tlo), thi), yt, p, c, k3)
        for j in range(NY):
            yt[j] = y[j] + h * (44.0 / 45.0 * k1[j] - 56.0 / 15.0 * k2[j] + 32.0 / 9.0 * k3[j])
        _rhs(min(max(t + 0.8 * h, tlo), thi), yt, p, c, k4)
        for j in range(NY):
            yt[j] = y[j] + h * (19372.0 / 6561.0 * k1[j] - 25360.0 / 2187.0 * k2[j]
                                + 64448.0 / 6561.0 * k3[j] - 212.0 / 729.0 * k4[j])
        _rhs(min(max(t + 8.0 / 9.0 * h, tlo), thi), yt, p, c, k5)
        for j in range(NY):
            yt[j] = y[j] + h * (9017.0 / 3168.0 * k1[j] - 355.0 / 33.0 * k2[j]
                                + 46732.0 / 5247.0 * k3[j] + 49.0 / 176.0 * k4[j]
                                - 5103.0 / 18656.0 * k5[j])
        _rhs(thi, yt, p, c, k6)
        for j in range(NY):
            y1[j] = y[j] + h * (35.0 / 384.0 * k1[j] + 500.0 / 1113.0 * k3[j]
                                + 125.0 / 192.0 * k4[j] - 2187.0 / 6784.0 * k5[j]
                                + 11.0 / 84.0 * k6[j])
        _rhs(thi, y1, p, c, k7)
        nfev += 6
        for j in range(NY):
            er[j] = h * (71.0 / 57600.0 * k1[j] - 71.0 / 16695.0 * k3[j]
                         + 71.0 / 1920.0 * k4[j] - 17253.0 / 339200.0 * k5[j]
                         + 22.0 / 525.0 * k6[j] - 1.0 / 40.0 * k7[j])
        err = _norm(er, y, y1, rtol, atol)
        if not np.isfinite(err):
            h *= 0.25
            reject = True
        elif err <= 1.0:
            tnew = bp if end_bp else t + h
            while ie < ne and te[ie] <= tnew + tiny:
                if te[ie] >= tnew - tiny:
                    for j in range(NY):
                        yt[j] = y1[j]
                else:
                    th = (te[ie] - t) / h
                    th1 = 1.0 - th
                    for j in range(NY):
                        ydiff = y1[j] - y[j]
                        bspl = h * k1[j] - ydiff
                        r5 = h * (-12715105075.0 / 11282082432.0 * k1[j]
                                  + 87487479700.0 / 32700410799.0 * k3[j]
                                  - 10690763975.0 / 1880347072.0 * k4[j]
                                  + 701980252875.0 / 199316789632.0 * k5[j]
                                  - 1453857185.0 / 822651844.0 * k6[j]
                                  + 69997945.0 / 29380423.0 * k7[j])
                        yt[j] = y[j] + th * (ydiff + th1 * (bspl + th * (
                            ydiff - h * k7[j] - bspl + th1 * r5)))
                if not _save(te[ie], yt, p, c, v, out_idx, o, ie) and status == 0:
                    status = 1
                    ft = te[ie]
                ie += 1
            for j in range(NY):
                y[j] = y1[j]
            t = tnew
            if HAS_NONNEG:
                _clamp(y)
            if end_bp or HAS_NONNEG:
                start_bp = end_bp
                _rhs(t + delta if end_bp else t, y, p, c, k1)
                nfev += 1
            else:
                start_bp = False
                for j in range(NY):
                    k1[j] = k7[j]
            if HAS_BP:
                bp = _nbp(t, y, p, c, t + 2.0 * delta)
            fac = 10.0 if err == 0.0 else min(10.0, max(0.2, 0.9 * err ** -0.2))
            if reject:
                fac = min(1.0, fac)
            h = h * fac
            reject = False
        else:
            h = h * max(0.2, 0.9 * err ** -0.2)
            reject = True
        if h < 1e-14 * span:
            status = 1 if not np.isfinite(err) else 3
            ft = t
            break
    if ie < ne:
        for kk in range(ie, ne):
            for j in range(o.shape[0]):
                o[j, kk] = np.nan
    return status, ft, nfev


@_jit
def _batch_fixed_s(method, P, times, save, out_idx, out, status, ftime, nfev, dt):
    for r in range(P.shape[0]):
        st, ft, nf = _fixed1(method, P[r], times, save, out_idx, out[r], dt)
        status[r] = st
        ftime[r] = ft
        nfev[r] = nf


@_pjit
def _batch_fixed_p(method, P, times, save, out_idx, out, status, ftime, nfev, dt):
    for r in prange(P.shape[0]):
        st, ft, nf = _fixed1(method, P[r], times, save, out_idx, out[r], dt)
        status[r] = st
        ftime[r] = ft
        nfev[r] = nf


@_jit
def _batch_dopri_s(P, t0, tf, te, rtol, atol, hmax, h0, maxsteps, out_idx, out, status,
                   ftime, nfev):
    for r in range(P.shape[0]):
        st, ft, nf = _dopri1(P[r], t0, tf, te, rtol, atol, hmax, h0, maxsteps, out_idx, out[r])
        status[r] = st
        ftime[r] = ft
        nfev[r] = nf


@_pjit
def _batch_dopri_p(P, t0, tf, te, rtol, atol, hmax, h0, maxsteps, out_idx, out, status,
                   ftime, nfev):
    for r in prange(P.shape[0]):
        st, ft, nf = _dopri1(P[r], t0, tf, te, rtol, atol, hmax, h0, maxsteps, out_idx, out[r])
        status[r] = st
        ftime[r] = ft
        nfev[r] = nf
'''
