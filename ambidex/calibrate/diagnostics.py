"""Fit diagnostics: per-target table, Theil decomposition, MAPE and R² of series, parameter
standard errors / credible intervals, correlations and identifiability warnings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .objective import Problem

Z95 = 1.959963984540054
FLAT_CHI2 = 0.05       # a change moving chi² less than this along a given grid: flat
HIGH_CORR = 0.95


def theil(sim: np.ndarray, obs: np.ndarray) -> dict:
    """Theil inequality statistics of a simulated vs an observed series (Sterman 1984).

    MSE = (mean_s - mean_o)² + (s_s - s_o)² + 2 (1 - r) s_s s_o; U^M, U^S, U^C are the three
    shares (bias, unequal variation, unequal covariation), summing to 1.  Also RMSE, MAPE (%,
    points with obs = 0 skipped), R² (1 - SSE/SST) and the correlation r.
    """
    sim, obs = np.asarray(sim, float), np.asarray(obs, float)
    err = sim - obs
    mse = float(np.mean(err ** 2))
    ss, so = float(np.std(sim)), float(np.std(obs))
    r = float(np.corrcoef(sim, obs)[0, 1]) if ss > 0 and so > 0 and sim.size > 1 else float("nan")
    um = (sim.mean() - obs.mean()) ** 2 / mse if mse > 0 else 0.0
    us = (ss - so) ** 2 / mse if mse > 0 else 0.0
    uc = 2 * (1 - r) * ss * so / mse if mse > 0 and math.isfinite(r) else max(0.0, 1 - um - us)
    nz = obs != 0
    mape = float(np.mean(np.abs(err[nz] / obs[nz])) * 100) if nz.any() else float("nan")
    sst = float(np.sum((obs - obs.mean()) ** 2))
    r2 = 1 - float(np.sum(err ** 2)) / sst if sst > 0 else float("nan")
    return {"U_M": float(um), "U_S": float(us), "U_C": float(uc), "RMSE": math.sqrt(mse),
            "MAPE": mape, "R2": r2, "r": r}


def target_table(problem: Problem, values: list[np.ndarray]) -> pd.DataFrame:
    """One row per target: data, fitted value (data units), residual, chi² and its share."""
    R = problem.residuals_from(values)[0]
    chi2 = R ** 2
    total = float(np.sum(chi2))
    rows = []
    for t, v, sl in zip(problem.targets, values, problem.slices):
        v = v[0]
        c = float(np.sum(chi2[sl]))
        row = {"target": t.key, "kind": t.kind, "scenario": t.scenario,
               "what": t.describe(), "units": t.units, "source": t.source,
               "chi2": c, "contribution": c / total if total > 0 else 0.0,
               "normalised_residual": float(np.sqrt(np.mean(R[sl] ** 2))) * (
                   1.0 if t.kind == "series" else float(np.sign(R[sl][0]) or 1.0))}
        if t.kind == "series":
            row.update({"data": float(np.mean(t.data)), "fitted": float(np.mean(v)),
                        "residual": float(np.mean(v - t.data))})
            row.update(theil(v, t.data))
        elif t.kind == "range":
            lo, hi = t.data
            row.update({"data": f"[{lo:g}, {hi:g}]", "lower": lo, "upper": hi,
                        "fitted": float(v[0]),
                        "residual": float(min(0.0, v[0] - lo) + max(0.0, v[0] - hi))})
        else:
            row.update({"data": float(t.data[0]), "fitted": float(v[0]),
                        "residual": float(v[0] - t.data[0])})
            if t.data[0] != 0:
                row["relative_error"] = float((v[0] - t.data[0]) / abs(t.data[0]))
        rows.append(row)
    return pd.DataFrame(rows).set_index("target")


def covariance(problem: Problem, J: np.ndarray, cost: float) -> tuple[np.ndarray, bool]:
    """Parameter covariance from the Jacobian: (JᵀJ)⁻¹, scaled by chi²/(m - k) when any target
    has a weight instead of a standard error.  Returns (cov, singular)."""
    JS = J * problem.scale[None, :]
    A = JS.T @ JS
    w, V = np.linalg.eigh(A)
    tol = 1e-10 * max(float(w.max()) if w.size else 0.0, 1e-300)
    null = w <= tol
    singular = bool(null.any())
    winv = np.where(null, 0.0, 1.0 / np.where(null, 1.0, w))
    cov_s = (V * winv) @ V.T
    if any(t.se is None for t in problem.targets):
        dof = problem.m - problem.k
        cov_s = cov_s * (cost / dof if dof > 0 else 1.0)
    cov = cov_s * np.outer(problem.scale, problem.scale)
    if singular:
        # parameters with a component in a direction the data do not constrain: unbounded
        bad = np.any(np.abs(V[:, null]) > 1e-6, axis=1)
        cov[bad, :] = np.nan
        cov[:, bad] = np.nan
        cov[bad, bad] = np.inf
    return cov, singular


def correlation(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        c = cov / np.outer(sd, sd)
    c[~np.isfinite(c)] = np.nan
    np.fill_diagonal(c, 1.0)
    return np.clip(c, -1, 1)


def identifiability(problem: Problem, x: np.ndarray, corr: np.ndarray,
                    chi2_profile: np.ndarray | None, cost: float) -> list[str]:
    """Messages naming parameters the targets cannot identify: pairs with |correlation| > 0.95
    and, when ``chi2_profile`` (k, n) is given, parameters whose chi² hardly moves along it
    (profile likelihoods, :mod:`.profiles`, are the stronger test)."""
    msgs = []
    for j, f in enumerate(problem.free if chi2_profile is not None else []):
        rise = float(np.nanmax(chi2_profile[j]) - cost) if np.isfinite(chi2_profile[j]).any() else 0.0
        if not np.isfinite(chi2_profile[j]).all():
            rise = np.inf
        if rise < FLAT_CHI2:
            msgs.append(f"parameter '{f.name}' is not identified by the targets: its profile is "
                        f"flat (chi² rises by only {rise:.3g} over the grid)")
    k = problem.k
    for i in range(k):
        for j in range(i + 1, k):
            if np.isfinite(corr[i, j]) and abs(corr[i, j]) > HIGH_CORR:
                msgs.append(f"parameters '{problem.free[i].name}' and '{problem.free[j].name}' "
                            f"are not separately identified: correlation {corr[i, j]:+.3f}")
    return msgs
