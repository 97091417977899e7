"""Bogacki-Shampine 3(2) template for the generated model module (method ``bs3``).

Bogacki & Shampine (1989), "A 3(2) pair of Runge-Kutta formulas", Appl. Math. Lett. 2(4):
third-order solution, second-order error estimate, first same as last (3 right-hand sides per
accepted step), per-run step control like ``_dopri1`` (Hairer-Wanner initial step, factor
0.9 err^(-1/3) in [0.2, 10]) and cubic Hermite dense output from the step's end slopes (third
order, the method's own order).  On models whose flows have MIN/MAX kinks a low-order pair
wastes fewer evaluations at each kink than Dormand-Prince: on the dual model it needs 30 %
fewer right-hand sides than dopri5 for the same error against a DOP853 reference
(``benchmarks/RESULTS.md``).  Breakpoints, clamped stocks and projections as in ``_dopri1``.
"""

BS3 = r'''

@_jit
def _bs31(p, t0, tf, te, rtol, atol, hmax, h0, maxsteps, o, w):
    """Bogacki-Shampine 3(2) for one run: own step size, cubic Hermite output at ``te``."""
    m = max(NY, 1)
    y = np.zeros(m)
    y1 = np.zeros(m)
    yt = np.zeros(m)
    c = np.zeros(NC)
    k1 = np.zeros(m)
    k2 = np.zeros(m)
    k3 = np.zeros(m)
    k4 = np.zeros(m)
    er = np.zeros(m)
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
    h = h0
    if h <= 0.0:  # Hairer & Wanner's hinit for order 3
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
        h1 = max(1e-6, hh * 1e-3) if dm <= 1e-15 else (0.01 / dm) ** (1.0 / 3.0)
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
            yt[j] = y[j] + h * (0.5 * k1[j])
        _rhs(min(max(t + 0.5 * h, tlo), thi), yt, p, c, k2)
        for j in range(NY):
            yt[j] = y[j] + h * (0.75 * k2[j])
        _rhs(min(max(t + 0.75 * h, tlo), thi), yt, p, c, k3)
        for j in range(NY):
            y1[j] = y[j] + h * (2.0 / 9.0 * k1[j] + 1.0 / 3.0 * k2[j] + 4.0 / 9.0 * k3[j])
        _rhs(thi, y1, p, c, k4)
        nfev += 3
        for j in range(NY):
            er[j] = h * (-5.0 / 72.0 * k1[j] + 1.0 / 12.0 * k2[j] + 1.0 / 9.0 * k3[j]
                         - 0.125 * k4[j])
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
                else:  # cubic Hermite on (y, h k1) and (y1, h k4)
                    th = (te[ie] - t) / h
                    th2 = th * th
                    th3 = th2 * th
                    a0 = 2.0 * th3 - 3.0 * th2 + 1.0
                    a1 = th3 - 2.0 * th2 + th
                    b0 = 3.0 * th2 - 2.0 * th3
                    b1 = th3 - th2
                    for j in range(NY):
                        yt[j] = a0 * y[j] + b0 * y1[j] + h * (a1 * k1[j] + b1 * k4[j])
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
                    k1[j] = k4[j]
            if HAS_BP:
                bp = _nbp(t, y, p, c, t + 2.0 * delta)
            fac = 10.0 if err == 0.0 else min(10.0, max(0.2, 0.9 * err ** (-1.0 / 3.0)))
            if reject:
                fac = min(1.0, fac)
            h = h * fac
            reject = False
        else:
            h = h * max(0.2, 0.9 * err ** (-1.0 / 3.0))
            reject = True
        if h < 1e-14 * span:
            status = 1 if not np.isfinite(err) else 3
            ft = t
            break
    status, ft = _finish(te, Y, p, c, o, w, ie, status, ft, False)
    return status, ft, nfev


@_pjit
def _batch_bs3_p(P, t0, tf, te, rtol, atol, hmax, h0, maxsteps, out, status,
                 ftime, nfev, w):
    for r in prange(P.shape[0]):
        st, ft, nf = _bs31(P[r], t0, tf, te, rtol, atol, hmax, h0, maxsteps, out[r], w)
        status[r] = st
        ftime[r] = ft
        nfev[r] = nf
'''
