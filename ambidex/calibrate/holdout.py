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
    return (f"held-out {h['target']} ({h['what']}): predicted {h['prediction']:.4g} "
            f"[{h['lower95']:.4g}, {h['upper95']:.4g}] {h['units']} from the other targets "
            f"vs datum {h['datum']:.4g}{se} (z = {h['z']:+.2f}; prediction interval with the "
            f"datum's error [{h['prediction_lower95']:.4g}, {h['prediction_upper95']:.4g}])")
