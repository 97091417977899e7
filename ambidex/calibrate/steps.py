"""The steps of :func:`ambidex.calibrate.calibrate` after the problem is set up: run the
estimator, summarise the estimates (from the Jacobian or the posterior samples), draw parameter
sets for the uncertainty bands, profile likelihoods, and the warnings a fit deserves."""

from __future__ import annotations

import math

import numpy as np

from . import diagnostics as dg
from . import estimators as est
from . import profiles as pl
from .objective import Problem


def estimate(problem: Problem, method: str, *, seed, n_starts, n_candidates, spread, popsize,
              maxiter, n_walkers, n_steps, burn, thin, max_steps, progress, moves=None):
    """Run the estimator ``method``; return (fit, info) (MCMC: started at a least-squares
    optimum, whose cost and point ``info`` keeps)."""
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
        J = problem.jacobian(ls.x)
        cov0, _ = dg.covariance(problem, J, ls.cost)
        fit = est.mcmc(problem, ls.x, cov=cov0, n_walkers=n_walkers, n_steps=n_steps, burn=burn,
                       thin=thin, seed=seed, progress=progress, max_steps=max_steps,
                       moves=moves)
        info.update({k: v for k, v in fit.extra.items() if k != "chain"})
        info["acceptance_fraction"] = fit.acceptance
        info["least_squares_cost"] = ls.cost
        info["least_squares_x"] = ls.x
    return fit, info


def summaries(problem: Problem, fit, info: dict):
    """Point estimates, standard errors, 95 % intervals, covariance and correlation: from the
    posterior samples (MCMC) or the Jacobian at the optimum.  Returns (estimates, std errors,
    intervals, covariance, correlation, reported point, Jacobian singular, messages)."""
    x = fit.x
    names = problem.names
    J = problem.jacobian(x)
    cov, singular = dg.covariance(problem, J, fit.cost)
    msgs = []
    if fit.samples is not None:
        S = fit.samples
        ests = {n: float(np.median(S[:, j])) for j, n in enumerate(names)}
        ses = {n: float(np.std(S[:, j], ddof=1)) for j, n in enumerate(names)}
        ivs = {n: (float(np.quantile(S[:, j], 0.025)), float(np.quantile(S[:, j], 0.975)))
               for j, n in enumerate(names)}
        cov = np.cov(S.T).reshape(problem.k, problem.k)
        corr = dg.correlation(cov)
        x_rep = np.array([ests[n] for n in names])
        tau = fit.autocorr
        finite = tau is not None and np.isfinite(tau).any()
        info["max_autocorr_time"] = float(np.nanmax(tau)) if finite else float("nan")
        info["autocorr_times"] = ", ".join(f"{n}: {t:.1f}" for n, t in zip(names, tau)) \
            if finite else ""
        if fit.acceptance is not None and not (0.1 <= fit.acceptance <= 0.9):
            msgs.append(f"MCMC acceptance fraction {fit.acceptance:.2f} is outside [0.1, 0.9]; "
                        "the chain may not have mixed")
        if not fit.extra.get("converged"):
            msgs.append(f"MCMC did not converge: {fit.message.split('; ', 1)[-1]}; the posterior "
                        "summaries are not reliable — run more steps (max_steps) or fix "
                        "unidentified parameters")
    else:
        sd = np.sqrt(np.clip(np.diag(cov), 0, None))
        ests = {n: float(x[j]) for j, n in enumerate(names)}
        ses = {n: float(sd[j]) for j, n in enumerate(names)}
        ivs = {n: (float(max(x[j] - dg.Z95 * sd[j], problem.lower[j])),
                   float(min(x[j] + dg.Z95 * sd[j], problem.upper[j])))
               for j, n in enumerate(names)}  # clipped to the bounds
        corr = dg.correlation(cov)
        x_rep = x
    return ests, ses, ivs, cov, corr, x_rep, singular, msgs


def band_draws(problem: Problem, fit, cov, singular: bool, n_bands: int, rng):
    """Parameter sets for the uncertainty bands: posterior samples (MCMC) or draws from the
    normal approximation at the optimum inside the bounds (None when it is singular)."""
    if fit.samples is not None:
        S = fit.samples
        return S[rng.choice(S.shape[0], size=min(n_bands, S.shape[0]), replace=False)]
    if n_bands > 1 and not singular and np.all(np.isfinite(cov)):
        try:
            draws = rng.multivariate_normal(fit.x, cov, size=n_bands, method="eigh")
            return draws[problem.inside(draws)]
        except (np.linalg.LinAlgError, ValueError):
            return None
    return None


def profiles(problem: Problem, fit, info: dict, ses: dict):
    """Profile likelihoods at the least-squares optimum and their identifiability messages."""
    names = problem.names
    x_opt = info.get("least_squares_x", fit.x)
    c_opt = info.get("least_squares_cost", fit.cost)
    se_ls = np.sqrt(np.clip(np.diag(dg.covariance(problem, problem.jacobian(x_opt), c_opt)[0]),
                            0, None)) if fit.samples is not None else \
        np.array([ses[n] for n in names])
    prof = pl.profiles(problem, np.asarray(x_opt, float), float(c_opt), se_ls)
    return prof, [m for q, f in zip(prof, problem.free) if (m := q.message(f.units))]


def bound_messages(problem: Problem, x, singular: bool, msgs: list) -> list[str]:
    """A singular Jacobian not reported yet, and parameters that ended at a bound."""
    out = []
    names = problem.names
    if singular and not any("not identified" in m for m in msgs):
        out.append("the Jacobian at the optimum is singular: some combination of "
                   f"{', '.join(names)} is not identified by the targets")
    for j, n in enumerate(names):
        span = problem.upper[j] - problem.lower[j]
        if min(x[j] - problem.lower[j], problem.upper[j] - x[j]) <= 1e-6 * span:
            out.append(f"parameter '{n}' ended at a bound ({x[j]:.6g}); its interval is not "
                       "reliable — widen the bounds if the data allow")
    return out


def hold_out(problem: Problem, pred: Problem, x_fit, cov, samples, fit=None):
    """Predict the held-out target (problem ``pred``) at ``x_fit`` with ``cov`` or the posterior
    ``samples``; with the least-squares ``fit`` also its prediction-profile interval
    (``profile_lower95`` / ``profile_upper95``, NaN otherwise).  Return (the prediction record,
    its warnings).  Its runs count in ``problem``."""
    from . import holdout as ho

    hold = ho.predict(pred, x_fit, cov, samples=samples)
    hold["profile_lower95"] = hold["profile_upper95"] = math.nan
    if fit is not None and samples is None:
        spread = hold["sd"] if math.isfinite(hold["sd"]) and hold["sd"] > 0 else hold["se"]
        hold["profile_lower95"], hold["profile_upper95"] = ho.profile_interval(
            problem, pred, fit.x, fit.cost, hold["prediction"], spread)
    problem.n_evals += pred.n_evals
    return hold, hold_out_messages(hold)


def hold_out_messages(hold: dict) -> list[str]:
    """What a held-out target's prediction says about the fit (nothing when it agrees)."""
    if not math.isfinite(hold["z"]):
        return [f"held-out target '{hold['target']}' has no finite prediction interval: "
                "without it the free parameters are not identified"]
    if not hold["consistent"]:
        return [f"held-out target '{hold['target']}' is not predicted by the others: "
                f"datum {hold['datum']:.4g} vs prediction {hold['prediction']:.4g} "
                f"(z = {hold['z']:+.2f})"]
    return []


def fitted(problem: Problem, x_fit: np.ndarray):
    """Model values of the targets, the targets table and every scenario's trajectories (py
    name -> (T,)) at the reported point ``x_fit``."""
    all_vars = {sc: list(v) for sc, v in problem.vars.items()}
    runs = problem.simulate(x_fit[None, :], all_vars)
    values = problem.values_from(x_fit[None, :], runs)
    trajectories = {sc: {py: ds[py].values[0] for py in all_vars[sc]} for sc, ds in runs.items()}
    return values, dg.target_table(problem, values), trajectories


def bands(problem: Problem, draws, qs: tuple) -> dict:
    """Quantiles ``qs`` of every scenario's trajectories over the parameter ``draws`` inside the
    bounds: {scenario: {py: (Q, T)}} (empty with fewer than two draws)."""
    if draws is None or len(draws) < 2:
        return {}
    X = draws[problem.inside(draws)]
    if X.shape[0] < 2:
        return {}
    variables = {sc: list(v) for sc, v in problem.vars.items()}
    runs = problem.simulate(X, variables)
    return {sc: {py: np.nanquantile(ds[py].values, qs, axis=0) for py in variables[sc]}
            for sc, ds in runs.items()}
