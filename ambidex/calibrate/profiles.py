"""Profile likelihoods: chi² along one parameter with every other free parameter re-fitted.

For parameter j the profile is PL(v) = min over the others of chi²(x_j = v, x_-j) (Venzon &
Moolgavkar 1988; Raue et al. 2009, *Bioinformatics* 25, 1923).  Its 95 % interval is where
PL(v) - chi²_min stays below the chi² quantile with one degree of freedom, 3.84.  A profile
that stays below that threshold up to a bound on one side is *not identified* on that side
(practical non-identifiability); on both sides, the data say nothing about the parameter.
Fixing the other parameters instead (a slice, not a profile) overstates identification when
parameters trade off: a slice of one of two exactly compensating parameters rises steeply while
their profile is flat.

Grid: outward from the estimate in steps of its standard error (or a tenth of the bounds' span
when the error is not finite) times 0.5, 1, 1.5, 2, 3, 5, 8, stopping a side once the rise
exceeds twice the threshold; when a side stays below, its bound is added.  Each point starts its
re-fit from the previous one's solution (bounded trust-region least squares, scipy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .objective import Problem

CHI2_95_1 = 3.841458820694124  # chi² quantile 0.95 with 1 degree of freedom
STEPS = (0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0)


@dataclass
class Profile:
    """The profile of one parameter: ``values`` (natural units, sorted) and ``chi2`` at each
    (others re-fitted), the interval ``lower``..``upper`` where the rise stays below
    ``threshold`` (None on a side the data do not bound) and ``status``."""

    parameter: str
    values: np.ndarray
    chi2: np.ndarray
    chi2_min: float
    threshold: float
    lower: float | None
    upper: float | None
    status: str           # "identified" | "not identified below" | "... above" | "not identified"

    @property
    def rise(self) -> np.ndarray:
        return self.chi2 - self.chi2_min

    @property
    def identified(self) -> bool:
        return self.status == "identified"

    def message(self, units: str = "") -> str | None:
        if self.identified:
            return None
        lo, hi = float(self.values[0]), float(self.values[-1])
        u = f" {units}" if units else ""
        if self.status == "not identified":
            return (f"parameter '{self.parameter}' is not identified by the targets: its profile "
                    f"likelihood (other parameters re-fitted) stays within Δχ² < "
                    f"{self.threshold:.2f} of the optimum from {lo:.4g} to {hi:.4g}{u}")
        side, edge = ("below", lo) if self.status.endswith("below") else ("above", hi)
        return (f"parameter '{self.parameter}' is not identified {side}: its profile likelihood "
                f"(other parameters re-fitted) stays within Δχ² < {self.threshold:.2f} out to "
                f"{edge:.4g}{u}")


def _refit(problem: Problem, x: np.ndarray, j: int, max_nfev: int, tol: float):
    """Minimise chi² over every free parameter but j (fixed at x[j]); return (x, chi²)."""
    from scipy.optimize import least_squares

    others = [i for i in range(problem.k) if i != j]
    if not others:
        return x, float(problem.cost(x[None, :])[0])
    lo, hi = problem.lower[others], problem.upper[others]
    span = hi - lo

    def full(z):
        y = x.copy()
        y[others] = z
        return y

    def fun(z):
        return problem.residuals(full(z)[None, :])[0]

    def jac(z):
        base = full(z)
        h = 1e-4 * problem.scale[others]
        P = np.repeat(base[None, :], 2 * len(others), axis=0)
        steps = []
        for c, i in enumerate(others):
            hp, hm = min(h[c], problem.upper[i] - base[i]), min(h[c], base[i] - problem.lower[i])
            P[2 * c, i] += hp
            P[2 * c + 1, i] -= hm
            steps.append(hp + hm)
        R = problem.residuals(P)
        J = np.zeros((problem.m, len(others)))
        for c, d in enumerate(steps):
            if d > 0:
                J[:, c] = (R[2 * c] - R[2 * c + 1]) / d
        return J

    z0 = np.clip(x[others], lo + 1e-10 * span, hi - 1e-10 * span)
    r = least_squares(fun, z0, jac=jac, bounds=(lo, hi), x_scale=problem.scale[others],
                      method="trf", ftol=tol, xtol=tol, gtol=tol, max_nfev=max_nfev)
    return full(r.x), float(np.sum(r.fun ** 2))


def _crossing(v0: float, c0: float, pts: list, threshold: float) -> float | None:
    """Where the rise first reaches ``threshold`` walking out from (v0, c0) along ``pts``."""
    pv, pc = v0, c0
    for v, c in pts:
        if c >= threshold:
            if c == pc:
                return v
            return pv + (threshold - pc) * (v - pv) / (c - pc)
        pv, pc = v, c
    return None


def profile(problem: Problem, x: np.ndarray, cost: float, j: int, step: float | None = None,
            threshold: float = CHI2_95_1, max_nfev: int = 30, tol: float = 1e-8) -> Profile:
    """The profile likelihood of free parameter ``j`` around the optimum ``x`` (chi² ``cost``)."""
    lo, hi = problem.lower[j], problem.upper[j]
    span = hi - lo
    d = step if step is not None and math.isfinite(step) and step > 0 else 0.1 * span
    d = min(max(d, 1e-6 * span), 0.25 * span)
    sides = {}
    for sign in (-1.0, 1.0):
        bound = lo if sign < 0 else hi
        pts, xp = [], x.copy()
        if abs(x[j] - bound) <= 1e-12 * span:  # the estimate sits on this bound
            sides[sign] = pts
            continue
        for f in STEPS:
            v = x[j] + sign * f * d
            at_bound = (v <= lo) if sign < 0 else (v >= hi)
            xp = xp.copy()
            xp[j] = bound if at_bound else v
            xp, c = _refit(problem, xp, j, max_nfev, tol)
            pts.append((float(xp[j]), c - cost))
            if at_bound or c - cost > 2 * threshold:
                break
        else:
            if pts[-1][1] < threshold and abs(x[j] - bound) > 0:
                xp = xp.copy()
                xp[j] = bound
                xp, c = _refit(problem, xp, j, max_nfev, tol)
                pts.append((float(bound), c - cost))
        sides[sign] = pts
    lower = _crossing(float(x[j]), 0.0, sides[-1.0], threshold)
    upper = _crossing(float(x[j]), 0.0, sides[1.0], threshold)
    allpts = sides[-1.0][::-1] + [(float(x[j]), 0.0)] + sides[1.0]
    vals = np.array([p[0] for p in allpts])
    rise = np.array([p[1] for p in allpts])
    # a re-fit can find a lower chi² than the reported optimum: keep the profile honest
    cmin = cost + min(0.0, float(np.nanmin(rise)))
    if lower is None and upper is None:
        status = "not identified"
    elif lower is None:
        status = "not identified below"
    elif upper is None:
        status = "not identified above"
    else:
        status = "identified"
    return Profile(problem.names[j], vals, rise + cost, cmin, threshold,
                   None if lower is None else float(lower),
                   None if upper is None else float(upper), status)


def profiles(problem: Problem, x: np.ndarray, cost: float, std_errors=None,
             threshold: float = CHI2_95_1) -> list[Profile]:
    """Profile likelihood of every free parameter (see :func:`profile`)."""
    se = [None] * problem.k if std_errors is None else list(std_errors)
    return [profile(problem, np.asarray(x, float), float(cost), j, se[j], threshold)
            for j in range(problem.k)]
