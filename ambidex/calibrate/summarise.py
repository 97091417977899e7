"""From a calibration problem to what :func:`~ambidex.calibrate.core.calibrate` reports: the
estimator run, point estimates with standard errors and 95 % intervals, uncertainty bands of the
trajectories, profile likelihoods and the warnings a referee needs (identifiability, bounds,
MCMC convergence, the held-out prediction)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import diagnostics as dg
from . import estimators as est
from . import profiles as pl
from .objective import Problem


@dataclass
class Point:
    """Estimates, standard errors, 95 % intervals (natural units, by name), covariance and
    correlation (k x k), the reported point ``x_rep``, whether the Jacobian is singular, and
    the MCMC warnings."""

    estimates: dict
    std_errors: dict
    intervals: dict
    cov: np.ndarray
    corr: np.ndarray
    x_rep: np.ndarray
    singular: bool
    msgs: list = field(default_factory=list)


def estimate(problem: Problem, method: str, seed: int, progress: bool, n_starts: int,
             n_candidates, spread: float, popsize: int, maxiter: int, n_walkers, n_steps, burn,
             thin, max_steps: int, moves=None):
    """Run the estimator ``method``; return (:class:`~.estimators.Fit`, info dict).  MCMC starts
    from a least-squares fit and its covariance, kept in ``info``."""
    info: dict = {}
    if method == "least_squares":
        fit = est.least_squares(problem, n_starts=n_starts, n_candidates=n_candidates, seed=seed,
                                spread=spread, progress=progress)
    elif method == "differential_evolution":
        fit = est.differential_evolution(problem, seed=seed, popsize=popsize, maxiter=maxiter,
                                         progress=progress)
        info.update(fit.extra)
    else:
        ls = est.least_squares(problem, n_starts=min(n_starts, 2), n_candidates=n_candidates,
                               seed=seed, spread=spread, progress=progress)
        cov0, _ = dg.covariance(problem, problem.jacobian(ls.x), ls.cost)
        fit = est.mcmc(problem, ls.x, cov=cov0, n_walkers=n_walkers, n_steps=n_steps, burn=burn,
                       thin=thin, seed=seed, progress=progress, max_steps=max_steps, moves=moves)
        info.update({k: v for k, v in fit.extra.items() if k != "chain"})
        info["acceptance_fraction"] = fit.acceptance
        info["least_squares_cost"] = ls.cost
        info["least_squares_x"] = ls.x
    return fit, info


def point_summary(problem: Problem, fit: est.Fit, info: dict) -> Point:
    """Estimates and intervals: posterior median and 2.5-97.5 % quantiles for MCMC (τ and the
    convergence verdict into ``info``); else the optimum ± 1.96 SE from the Jacobian, clipped
    to the bounds."""
    names, x = problem.names, fit.x
    cov, singular = dg.covariance(problem, problem.jacobian(x), fit.cost)
    if fit.samples is None:
        sd = np.sqrt(np.clip(np.diag(cov), 0, None))
        ivs = {n: (float(max(x[j] - dg.Z95 * sd[j], problem.lower[j])),
                   float(min(x[j] + dg.Z95 * sd[j], problem.upper[j])))
               for j, n in enumerate(names)}
        return Point({n: float(x[j]) for j, n in enumerate(names)},
                     {n: float(sd[j]) for j, n in enumerate(names)}, ivs, cov,
                     dg.correlation(cov), x, singular)
    S = fit.samples
    ests = {n: float(np.median(S[:, j])) for j, n in enumerate(names)}
    ses = {n: float(np.std(S[:, j], ddof=1)) for j, n in enumerate(names)}
    ivs = {n: (float(np.quantile(S[:, j], 0.025)), float(np.quantile(S[:, j], 0.975)))
           for j, n in enumerate(names)}
    cov = np.cov(S.T).reshape(problem.k, problem.k)
    tau = fit.autocorr
    finite = tau is not None and np.isfinite(tau).any()
    info["max_autocorr_time"] = float(np.nanmax(tau)) if finite else float("nan")
    info["autocorr_times"] = ", ".join(f"{n}: {t:.1f}" for n, t in zip(names, tau)) \
        if finite else ""
    msgs = []
    if fit.acceptance is not None and not (0.1 <= fit.acceptance <= 0.9):
        msgs.append(f"MCMC acceptance fraction {fit.acceptance:.2f} is outside [0.1, 0.9]; "
                    "the chain may not have mixed")
    if not fit.extra.get("converged"):
        msgs.append(f"MCMC did not converge: {fit.message.split('; ', 1)[-1]}; the posterior "
                    "summaries are not reliable — run more steps (max_steps) or fix "
                    "unidentified parameters")
    return Point(ests, ses, ivs, cov, dg.correlation(cov),
                 np.array([ests[n] for n in names]), singular, msgs)


def _quantiles(problem: Problem, X: np.ndarray, variables: dict, qs) -> dict:
    X = X[problem.inside(X)]
    if X.shape[0] < 2:
        return {}
    runs = problem.simulate(X, variables)
    out = {}
    for sc, ds in runs.items():
        out[sc] = {py: np.nanquantile(ds[py].values, qs, axis=0) for py in variables[sc]}
    return out


def bands(problem: Problem, fit: est.Fit, pt: Point, seed: int, n_bands: int, qs: tuple,
          variables: dict):
    """(draws, bands): up to ``n_bands`` parameter sets (posterior samples, else the Gaussian
    approximation at the optimum) and the ``qs`` quantiles of every trajectory over them."""
    rng = np.random.default_rng(seed + 1)
    draws = None
    if fit.samples is not None:
        S = fit.samples
        draws = S[rng.choice(S.shape[0], size=min(n_bands, S.shape[0]), replace=False)]
    elif n_bands > 1 and not pt.singular and np.all(np.isfinite(pt.cov)):
        try:
            draws = rng.multivariate_normal(fit.x, pt.cov, size=n_bands, method="eigh")
            draws = draws[problem.inside(draws)]
        except (np.linalg.LinAlgError, ValueError):
            draws = None
    ok = draws is not None and len(draws) > 1
    return draws, (_quantiles(problem, draws, variables, qs) if ok else {})


def checks(problem: Problem, fit: est.Fit, info: dict, pt: Point, profile: bool):
    """(profiles or None, warnings): profile likelihoods with the other parameters re-fitted,
    identifiability, a singular Jacobian, parameters at a bound, and the MCMC warnings."""
    names, x = problem.names, fit.x
    msgs = list(pt.msgs)
    prof = None
    if profile:
        x_opt = info.get("least_squares_x", x)
        c_opt = info.get("least_squares_cost", fit.cost)
        se_ls = np.sqrt(np.clip(np.diag(dg.covariance(problem, problem.jacobian(x_opt), c_opt)[0]),
                                0, None)) if fit.samples is not None else \
            np.array([pt.std_errors[n] for n in names])
        prof = pl.profiles(problem, np.asarray(x_opt, float), float(c_opt), se_ls)
        msgs = [m for q, f in zip(prof, problem.free) if (m := q.message(f.units))] + msgs
    msgs = dg.identifiability(problem, x, pt.corr, None, fit.cost) + msgs
    if pt.singular and not any("not identified" in m for m in msgs):
        msgs.append("the Jacobian at the optimum is singular: some combination of "
                    f"{', '.join(names)} is not identified by the targets")
    for j, n in enumerate(names):
        span = problem.upper[j] - problem.lower[j]
        if min(x[j] - problem.lower[j], problem.upper[j] - x[j]) <= 1e-6 * span:
            msgs.append(f"parameter '{n}' ended at a bound ({x[j]:.6g}); its interval is not "
                        "reliable — widen the bounds if the data allow")
    return prof, msgs


def hold_out_messages(hold: dict) -> list[str]:
    """Warnings about a held-out prediction: no finite interval, or inconsistent with the datum."""
    if not math.isfinite(hold["z"]):
        return [f"held-out target '{hold['target']}' has no finite prediction interval: "
                "without it the free parameters are not identified"]
    if not hold["consistent"]:
        return [f"held-out target '{hold['target']}' is not predicted by the others: "
                f"datum {hold['datum']:.4g} vs prediction {hold['prediction']:.4g} "
                f"(z = {hold['z']:+.2f})"]
    return []
