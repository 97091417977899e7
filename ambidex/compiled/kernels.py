"""Source templates shared by every generated model module.

``HELPERS`` is the module header (the scalar functions the generated equations call live in
:mod:`._rt`); ``KERNELS`` holds the per-run integrators (Euler, RK4,
Dormand-Prince 5(4) with per-run step control and dense output) and their batched drivers
(``prange`` over runs; serial runs loop in Python).  Both are plain Python text so that the generated module is one file
that numba can cache.
"""

HELPERS = r'''
import math
import numpy as np
from numba import njit, prange
from ambidex.compiled._rt import (
    _min,
    _max,
    _sqrt,
    _ln,
    _asin,
    _acos,
    _pow,
    _sq,
    _log,
    _integer,
    _zidz,
    _xidz,
    _quantum,
    _modulo,
    _delay_order,
    _step,
    _ramp,
    _pulse,
    _pulse_train,
    _after,
    _bp_step,
    _bp_ramp,
    _bp_pulse,
    _bp_pulse_train,
    _lookup,
    _lookup_extra,
    _lookup_hold,
    _lookup_forward,
)

_jit = njit(cache=True, error_model="numpy")
_pjit = njit(cache=True, error_model="numpy", parallel=True)
'''

KERNELS = r'''

@_jit
def _finite(v, n):
    for i in range(n):
        if not np.isfinite(v[i]):
            return False
    return True


@_jit
def _keep(Y, y, k):
    """States ``y`` into column ``k`` of the saved-states block ``Y`` (NY, T)."""
    for j in range(NY):
        Y[j, k] = y[j]


@_jit
def _finish(te, Y, p, c, o, w, n, status, ft, fixed):
    """After a run that reached ``n`` save points: the outputs ``w`` selects (``_outs``),
    NaN in the columns not reached, and the status of a run whose saved states or outputs are
    NaN/inf (1, at the first such save time): on a fixed grid the first failure in time wins,
    for dopri5 a failure of the integration itself (it ends the run) wins."""
    bad = _outs(te, Y, p, c, o, w, n)
    for kk in range(n, o.shape[1]):
        for j in range(o.shape[0]):
            o[j, kk] = np.nan
    if bad >= 0 and (status == 0 or fixed):
        return 1, te[bad]
    return status, ft


@_jit
def _clamp(y):
    """Non-negative stocks at 0; SINTEG states projected (PROJ_P rows: min, max, quant,
    spec, thresh; NaN switches a rule off)."""
    if HAS_NONNEG:
        for j in NONNEG:
            if y[j] < 0.0:
                y[j] = 0.0
    if HAS_PROJ:
        for i in range(PROJ.shape[0]):
            j = PROJ[i]
            v = y[j]
            q = PROJ_P[i, 2]
            if q > 0.0:
                v = math.floor(v / q + 0.5) * q
            if PROJ_P[i, 0] == PROJ_P[i, 0] and v < PROJ_P[i, 0]:
                v = PROJ_P[i, 0]
            if PROJ_P[i, 1] == PROJ_P[i, 1] and v > PROJ_P[i, 1]:
                v = PROJ_P[i, 1]
            if PROJ_P[i, 4] == PROJ_P[i, 4] and abs(v - PROJ_P[i, 3]) < PROJ_P[i, 4]:
                v = PROJ_P[i, 3]
            y[j] = v


@_jit
def _assign_disc(y, yd):
    """Discrete states take the next-step values ``_disc`` computed before the step."""
    if HAS_DISC:
        for j in DISC:
            y[j] = yd[j]


@_jit
def _euler1(p, times, save, o, dt, w):
    """Euler on the fixed grid ``times`` (PySD semantics)."""
    y = np.zeros(max(NY, 1))
    c = np.zeros(NC)
    k1 = np.zeros(max(NY, 1))
    yd = np.zeros(max(NY, 1))
    T = o.shape[1]
    Y = np.empty((max(NY, 1), T))
    ts = np.empty(T)
    _init(times[0], p, y, c)
    status = 0
    ft = np.nan
    k = 0
    n = times.shape[0]
    for i in range(n):
        t = times[i]
        if save[i]:
            _keep(Y, y, k)
            ts[k] = t
            k += 1
        if i == n - 1:
            break
        _rhs(t, y, p, c, k1)
        if HAS_DISC:
            _disc(t, y, p, c, yd)
        for j in range(NY):
            y[j] = y[j] + k1[j] * dt
        _assign_disc(y, yd)
        _clamp(y)
        if not _finite(y, NY):
            status = 1
            ft = times[i + 1]
            break
    status, ft = _finish(ts, Y, p, c, o, w, k, status, ft, True)
    return status, ft, n - 1


@_jit
def _rk41(p, times, save, o, dt, w):
    """Classical RK4 on the fixed grid ``times``."""
    y = np.zeros(max(NY, 1))
    c = np.zeros(NC)
    k1 = np.zeros(max(NY, 1))
    k2 = np.zeros(max(NY, 1))
    k3 = np.zeros(max(NY, 1))
    k4 = np.zeros(max(NY, 1))
    yt = np.zeros(max(NY, 1))
    yd = np.zeros(max(NY, 1))
    T = o.shape[1]
    Y = np.empty((max(NY, 1), T))
    ts = np.empty(T)
    _init(times[0], p, y, c)
    status = 0
    ft = np.nan
    k = 0
    n = times.shape[0]
    for i in range(n):
        t = times[i]
        if save[i]:
            _keep(Y, y, k)
            ts[k] = t
            k += 1
        if i == n - 1:
            break
        h = dt
        _rhs(t, y, p, c, k1)
        if HAS_DISC:
            _disc(t, y, p, c, yd)
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
        _assign_disc(y, yd)
        _clamp(y)
        if not _finite(y, NY):
            status = 1
            ft = times[i + 1]
            break
    status, ft = _finish(ts, Y, p, c, o, w, k, status, ft, True)
    return status, ft, 4 * (n - 1)


@_jit
def _norm(e, y0, y1, rtol, atol):
    s = 0.0
    for j in range(NY):
        sk = atol + rtol * max(abs(y0[j]), abs(y1[j]))
        s += _sq(e[j] / sk)
    return math.sqrt(s / max(NY, 1))


@_jit
def _dopri1(p, t0, tf, te, rtol, atol, hmax, h0, maxsteps, o, w):
    """Dormand-Prince 5(4) for one run: own step size, dense output at ``te``."""
    m = max(NY, 1)
    y = np.zeros(m)
    y1 = np.zeros(m)
    yt = np.zeros(m)
    c = np.zeros(NC)
    k1 = np.zeros(m)
    k2 = np.zeros(m)
    k3 = np.zeros(m)
    k4 = np.zeros(m)
    k5 = np.zeros(m)
    k6 = np.zeros(m)
    k7 = np.zeros(m)
    er = np.zeros(m)
    q1 = np.zeros(m)
    q2 = np.zeros(m)
    q3 = np.zeros(m)
    q4 = np.zeros(m)
    Y = np.empty((m, te.shape[0]))
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
        _keep(Y, y, ie)
        ie += 1
    t = t0
    if NY == 0:
        while ie < ne:
            _keep(Y, y, ie)
            ie += 1
        status, ft = _finish(te, Y, p, c, o, w, ie, status, ft, False)
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
            d0 += _sq(y[j] / sk)
            d1 += _sq(k1[j] / sk)
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
            d2 += _sq((k2[j] - k1[j]) / sk)
        d2 = math.sqrt(d2 / NY) / hh
        dm = max(d1, d2)
        h1 = max(1e-6, hh * 1e-3) if dm <= 1e-15 else _pow(0.01 / dm, 0.2)
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
            dense = False
            while ie < ne and te[ie] <= tnew + tiny:
                if te[ie] >= tnew - tiny:
                    for j in range(NY):
                        yt[j] = y1[j]
                else:
                    if not dense:  # dense-output coefficients, once per step with saves
                        dense = True
                        for j in range(NY):
                            ydiff = y1[j] - y[j]
                            bspl = h * k1[j] - ydiff
                            q1[j] = ydiff
                            q2[j] = bspl
                            q3[j] = ydiff - h * k7[j] - bspl
                            q4[j] = h * (-12715105075.0 / 11282082432.0 * k1[j]
                                         + 87487479700.0 / 32700410799.0 * k3[j]
                                         - 10690763975.0 / 1880347072.0 * k4[j]
                                         + 701980252875.0 / 199316789632.0 * k5[j]
                                         - 1453857185.0 / 822651844.0 * k6[j]
                                         + 69997945.0 / 29380423.0 * k7[j])
                    th = (te[ie] - t) / h
                    th1 = 1.0 - th
                    for j in range(NY):
                        yt[j] = y[j] + th * (q1[j] + th1 * (q2[j] + th * (
                            q3[j] + th1 * q4[j])))
                _keep(Y, yt, ie)
                ie += 1
            for j in range(NY):
                y[j] = y1[j]
            t = tnew
            if HAS_NONNEG or HAS_PROJ:
                _clamp(y)
            if end_bp or HAS_NONNEG or HAS_PROJ:
                start_bp = end_bp
                _rhs(t + delta if end_bp else t, y, p, c, k1)
                nfev += 1
            else:
                start_bp = False
                for j in range(NY):
                    k1[j] = k7[j]
            if HAS_BP:
                bp = _nbp(t, y, p, c, t + 2.0 * delta)
            fac = 10.0 if err == 0.0 else min(10.0, max(0.2, 0.9 * _pow(err, -0.2)))
            if reject:
                fac = min(1.0, fac)
            h = h * fac
            reject = False
        else:
            h = h * max(0.2, 0.9 * _pow(err, -0.2))
            reject = True
        if h < 1e-14 * span:
            status = 1 if not np.isfinite(err) else 3
            ft = t
            break
    status, ft = _finish(te, Y, p, c, o, w, ie, status, ft, False)
    return status, ft, nfev


@_pjit
def _batch_euler_p(P, times, save, out, status, ftime, nfev, dt, w):
    for r in prange(P.shape[0]):
        st, ft, nf = _euler1(P[r], times, save, out[r], dt, w)
        status[r] = st
        ftime[r] = ft
        nfev[r] = nf


@_pjit
def _batch_rk4_p(P, times, save, out, status, ftime, nfev, dt, w):
    for r in prange(P.shape[0]):
        st, ft, nf = _rk41(P[r], times, save, out[r], dt, w)
        status[r] = st
        ftime[r] = ft
        nfev[r] = nf


@_pjit
def _batch_dopri_p(P, t0, tf, te, rtol, atol, hmax, h0, maxsteps, out, status,
                   ftime, nfev, w):
    for r in prange(P.shape[0]):
        st, ft, nf = _dopri1(P[r], t0, tf, te, rtol, atol, hmax, h0, maxsteps, out[r], w)
        status[r] = st
        ftime[r] = ft
        nfev[r] = nf
'''
