"""Hold-out validation: fit without one target, then predict it.

``calibrate(..., hold_out="revenue_2021")`` fits the other targets only and reports the model's
prediction of the held-out figure at the estimate, with a 95 % interval from the parameter
uncertainty (delta method on the Jacobian covariance for least squares / differential
evolution; posterior quantiles for MCMC), beside the datum.  The *prediction interval* adds the
datum's own standard error, so ``z = (datum - prediction) / sqrt(var_pred + se²)`` says whether
the held-out figure is consistent with the rest of the evidence (|z| < 1.96).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .diagnostics import Z95
from .errors import CalibrationError
from .targets import TargetSet, load_targets


def split(targets, key: str) -> tuple[TargetSet, TargetSet]:
    """(the targets without ``key``, a set holding only ``key``); clear errors otherwise."""
    ts = targets if isinstance(targets, TargetSet) else load_targets(targets)
    keys = [t.key for t in ts]
    if key not in keys:
        raise CalibrationError(f"{ts.label}: hold_out '{key}' is not a target; targets: "
                               f"{', '.join(keys)}")
    if len(keys) < 2:
        raise CalibrationError(f"{ts.label}: hold_out '{key}' would leave no target to fit")
    t = ts.targets[keys.index(key)]
    if t.kind in ("series", "range"):
        raise CalibrationError(f"{ts.label}: hold_out '{key}' is a {t.kind} target; hold out a "
                               "value, mean, sum, ratio or parameter target")
    rest = replace(ts, targets=[x for x in ts.targets if x.key != key])
    held = replace(ts, targets=[t])
    return rest, held


def _values(pred, X: np.ndarray) -> np.ndarray:
    X = np.atleast_2d(X)
    return pred.values_from(X, pred.simulate(X))[0][:, 0]


def predict(pred, x: np.ndarray, cov: np.ndarray | None, samples: np.ndarray | None = None,
            rel: float = 1e-4) -> dict:
    """The held-out target's prediction at ``x`` with its interval, beside the datum.

    ``pred`` is a :class:`~ambidex.calibrate.objective.Problem` holding only the held-out
    target with the fit's free parameters; ``cov`` the parameters' covariance; ``samples``
    posterior draws (MCMC) used instead of the delta method when given.
    """
    t = pred.targets.targets[0]
    value = float(_values(pred, x)[0])
    if samples is not None and len(samples) > 1:
        v = _values(pred, samples)
        v = v[np.isfinite(v)]
        lo, hi = (float(q) for q in np.quantile(v, [0.025, 0.975]))
        sd = float(np.std(v, ddof=1))
        how = f"posterior quantiles over {v.size} draws"
    else:
        k = pred.k
        h = rel * pred.scale
        P = np.repeat(np.asarray(x, float)[None, :], 2 * k, axis=0)
        steps = np.zeros(k)
        for j in range(k):
            hp, hm = min(h[j], pred.upper[j] - x[j]), min(h[j], x[j] - pred.lower[j])
            P[2 * j, j] += hp
            P[2 * j + 1, j] -= hm
            steps[j] = hp + hm
        V = _values(pred, P)
        g = np.where(steps > 0, (V[0::2] - V[1::2]) / np.where(steps > 0, steps, 1), 0.0)
        var = float(g @ cov @ g) if cov is not None and np.all(np.isfinite(cov)) else math.inf
        sd = math.sqrt(var) if var >= 0 else math.nan
        lo, hi = value - Z95 * sd, value + Z95 * sd
        how = "delta method on the parameter covariance"
    datum = float(t.data[0])
    se = float(t.sigma[0]) if t.se is not None else math.nan
    total = math.sqrt(sd ** 2 + (se if math.isfinite(se) else 0.0) ** 2)
    z = (datum - value) / total if total > 0 and math.isfinite(total) else math.nan
    return {"target": t.key, "what": t.describe(), "units": t.units, "source": t.source,
            "datum": datum, "se": se, "prediction": value, "sd": sd,
            "lower95": lo, "upper95": hi,
            "prediction_lower95": value - Z95 * total, "prediction_upper95": value + Z95 * total,
            "z": z, "inside": bool(lo <= datum <= hi), "consistent": bool(abs(z) < Z95),
            "method": how}


def describe(h: dict) -> str:
    """One line: prediction [interval] vs datum +- se (z)."""
    se = f" ± {h['se']:.3g}" if math.isfinite(h["se"]) else ""
    lo, hi = h.get("profile_lower95", math.nan), h.get("profile_upper95", math.nan)
    prof = f" (profile interval [{lo:.4g}, {hi:.4g}])" if not (math.isnan(lo) or
                                                              math.isnan(hi)) else ""
    return (f"held-out {h['target']} ({h['what']}): predicted {h['prediction']:.4g} "
            f"[{h['lower95']:.4g}, {h['upper95']:.4g}]{prof} {h['units']} from the other targets "
            f"vs datum {h['datum']:.4g}{se} (z = {h['z']:+.2f}; prediction interval with the "
            f"datum's error [{h['prediction_lower95']:.4g}, {h['prediction_upper95']:.4g}])")


class _Pinned:
    """The fit's problem plus a pseudo-datum pinning the held-out prediction at ``v`` (standard
    error ``s``, far below the prediction's spread): what a prediction profile minimises."""

    def __init__(self, problem, pred, v: float, s: float):
        self.problem, self.pred, self.v, self.s = problem, pred, v, s
        self.k, self.m = problem.k, problem.m + 1
        self.lower, self.upper, self.scale = problem.lower, problem.upper, problem.scale

    def residuals(self, X: np.ndarray, fill=None) -> np.ndarray:
        from .objective import FAIL_RESIDUAL

        X = np.atleast_2d(X)
        R = np.hstack([self.problem.residuals(X), ((_values(self.pred, X) - self.v)
                                                   / self.s)[:, None]])
        return np.where(np.isfinite(R), R, FAIL_RESIDUAL)

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        from .objective import Problem

        return Problem.jacobian(self, x)


def profile_interval(problem, pred, x: np.ndarray, cost: float, value: float, spread: float,
                     threshold: float = Z95 ** 2) -> tuple[float, float]:
    """95 % prediction-profile interval of the held-out quantity (Kreutz et al. 2012): the
    predictions ``a`` at which the other targets' χ², minimised among parameter sets predicting
    ``a``, stays less than ``threshold`` (3.84) above ``cost``, the fit's minimum at ``x``.
    Unlike the delta method it follows the model's nonlinearity (a revenue interval stays
    positive).  Each point re-fits with a soft pin pulling the prediction toward a value ``v``;
    the re-fit's own prediction ``a`` and its χ² are an exact point of the profile (the
    re-fit minimises χ² among parameter sets predicting ``a``; it starts from the previous
    point and from the best of 257 candidates spread over the bounds, keeping the better).
    Each side steps ``v`` out from
    ``value`` by ``spread`` (the delta-method SD, or the datum's se), doubling, until Δχ²
    passes the threshold — or the prediction stops moving, so the model cannot predict beyond
    it and that side ends there — then bisects 7 times and interpolates the crossing linearly
    between the last points inside and outside.  A side still inside after 10
    doublings is ±inf.  Runs count in ``problem``."""
    from .estimators import _local, candidates

    step0 = spread if math.isfinite(spread) and spread > 0 else max(abs(value), 1.0) * 0.1
    s = 0.02 * step0

    # one batch of candidates (near the start and over the whole box), run once: the best of
    # them for each pinned value is a second start, so a re-fit can leave the basin it came from
    rng = np.random.default_rng(0)
    C = np.vstack([x[None], candidates(problem, 128, rng, 3.0),
                   candidates(problem, 128, rng, 1e6)])
    chi, P = np.sum(problem.residuals(C) ** 2, axis=1), _values(pred, C)

    def point(v, x0):
        pin = _Pinned(problem, pred, v, s)
        pen = np.where(np.isfinite(P), chi + ((P - v) / s) ** 2, np.inf)
        fits = [_local(pin, start, 100, 1e-10) for start in (x0, C[int(np.argmin(pen))])]
        r = min(fits, key=lambda f: float(np.sum(f.fun ** 2)))
        return float(_values(pred, r.x[None])[0]), float(np.sum(r.fun[:-1] ** 2)) - cost, r.x

    out = []
    for d in (-1.0, 1.0):
        inside, d_in, x_in, v_in, v_out, step = value, 0.0, x, value, None, step0
        for _ in range(10):
            v = v_in + d * step
            a, dchi, xv = point(v, x_in)
            if dchi > threshold:
                v_out, a_out, d_out = v, a, dchi
                break
            if d * (a - inside) < 1e-3 * step0:  # the model predicts nothing further out
                break
            inside, d_in, x_in, v_in, step = a, dchi, xv, v, 2 * step
        else:
            out.append(d * math.inf)
            continue
        if v_out is None:
            out.append(inside)
            continue
        for _ in range(7):
            v = 0.5 * (v_in + v_out)
            a, dchi, xv = point(v, x_in)
            if dchi <= threshold and d * (a - inside) > 0:
                inside, d_in, x_in, v_in = a, dchi, xv, v
            elif dchi > threshold:
                v_out, a_out, d_out = v, a, dchi
            else:
                break
        # the crossing, interpolated between the last points inside and outside
        out.append(inside + (threshold - d_in) / (d_out - d_in) * (a_out - inside))
    return out[0], out[1]
