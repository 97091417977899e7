"""Estimators: bounded least squares with multi-start, differential evolution, emcee MCMC.

Each works on a :class:`~ambidex.calibrate.objective.Problem` and evaluates whole batches of
parameter sets at once (starts, DE populations, MCMC walkers, Jacobian columns).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .errors import CalibrationError
from .objective import Problem

METHODS = ("least_squares", "differential_evolution", "mcmc")


@dataclass
class Fit:
    """What an estimator found: the best point and, for MCMC, the chain."""

    x: np.ndarray
    cost: float
    success: bool
    message: str
    nfev: int = 0
    starts: np.ndarray | None = None           # (S, k) starting points (least squares)
    start_costs: np.ndarray | None = None
    local: list = field(default_factory=list)  # (x, cost) of each local fit
    samples: np.ndarray | None = None          # (n, k) posterior samples (MCMC)
    log_prob: np.ndarray | None = None
    acceptance: float | None = None
    autocorr: np.ndarray | None = None
    extra: dict = field(default_factory=dict)


def _bar(progress: bool, total: int, desc: str):
    if not progress:
        return None
    from ..progress import Bar  # the package's one progress bar (rich)

    return Bar(desc, total)


def candidates(problem: Problem, n: int, rng: np.random.Generator, spread: float = 3.0):
    """``n`` Latin-hypercube points in a box around the start (factor ``spread``) within bounds.

    Positive starts are sampled log-uniformly in [start/spread, start*spread]; a zero start
    uniformly over its bounds.
    """
    k = problem.k
    u = (rng.permuted(np.tile(np.arange(n), (k, 1)), axis=1).T + rng.random((n, k))) / n
    X = np.empty((n, k))
    for j, f in enumerate(problem.free):
        if f.start > 0:
            lo = max(f.lower, f.start / spread) if f.lower > 0 else f.start / spread
            hi = min(f.upper, f.start * spread)
            lo = max(lo, f.lower)
            X[:, j] = np.exp(np.log(max(lo, 1e-300)) + u[:, j] * (np.log(hi) - np.log(max(lo, 1e-300))))
        else:
            X[:, j] = f.lower + u[:, j] * (f.upper - f.lower)
    return np.clip(X, problem.lower, problem.upper)


def _local(problem: Problem, x0: np.ndarray, max_nfev: int, tol: float):
    from scipy.optimize import least_squares

    def fun(x):
        return problem.residuals(x[None, :])[0]

    def jac(x):
        return problem.jacobian(x)

    x0 = np.clip(x0, problem.lower, problem.upper)
    # scipy needs a strictly interior start
    span = problem.upper - problem.lower
    x0 = np.clip(x0, problem.lower + 1e-10 * span, problem.upper - 1e-10 * span)
    return least_squares(fun, x0, jac=jac, bounds=(problem.lower, problem.upper),
                         x_scale=problem.scale, method="trf", ftol=tol, xtol=tol, gtol=tol,
                         max_nfev=max_nfev)


def least_squares(problem: Problem, n_starts: int = 4, n_candidates: int | None = None,
                  seed: int = 0, spread: float = 3.0, max_nfev: int = 100, tol: float = 1e-10,
                  x0: np.ndarray | None = None, progress: bool = False) -> Fit:
    """Bounded least squares (scipy TRF) from the ``n_starts`` best of a batch of candidates.

    The candidates (the start value plus a Latin hypercube around it, see :func:`candidates`)
    are evaluated together in one ensemble run; local fits start from the best ``n_starts``
    (the default start is always one of them).
    """
    rng = np.random.default_rng(seed)
    start = problem.x0 if x0 is None else np.asarray(x0, dtype=float)
    n_candidates = n_candidates or max(16, 8 * problem.k)
    X = np.vstack([start[None, :], candidates(problem, max(n_candidates - 1, 0), rng, spread)])
    C = problem.cost(X)
    order = [0] + [i for i in np.argsort(C) if i != 0 and np.isfinite(C[i])][: max(n_starts - 1, 0)]
    bar = _bar(progress, len(order), "least squares")
    local, best = [], None
    for i in order:
        r = _local(problem, X[i], max_nfev, tol)
        cost = float(np.sum(r.fun ** 2))
        local.append((r.x.copy(), cost, bool(r.success), r.message, int(r.nfev)))
        if best is None or cost < best[1]:
            best = local[-1]
        if bar is not None:
            bar.update(1)
            bar.set_postfix(cost=f"{best[1]:.4g}")
    if bar is not None:
        bar.close()
    x, cost, ok, msg, _ = best
    return Fit(x=x, cost=cost, success=ok, message=msg, nfev=problem.n_evals,
               starts=X[order], start_costs=C[order], local=local)


def differential_evolution(problem: Problem, seed: int = 0, popsize: int = 15,
                           maxiter: int = 60, tol: float = 1e-6, polish: bool = True,
                           progress: bool = False) -> Fit:
    """scipy's differential evolution over the bounds, whole population per ensemble call
    (``vectorized=True``), then a least-squares polish from its best point."""
    from scipy.optimize import differential_evolution as de

    bounds = list(zip(problem.lower, problem.upper))
    bar = _bar(progress, maxiter, "differential evolution")

    def func(x):  # x: (k, S)
        c = problem.cost(np.asarray(x).T)
        return np.where(np.isfinite(c), c, 1e12)

    def callback(*args, **kw):
        if bar is not None:
            bar.update(1)

    r = de(func, bounds, seed=seed, popsize=popsize, maxiter=maxiter, tol=tol, polish=False,
           vectorized=True, updating="deferred", callback=callback, x0=problem.x0)
    if bar is not None:
        bar.close()
    x, cost, msg = r.x, float(r.fun), f"differential evolution: {r.message}"
    local = []
    if polish:
        lr = _local(problem, r.x, 100, 1e-10)
        lc = float(np.sum(lr.fun ** 2))
        local.append((lr.x.copy(), lc, bool(lr.success), lr.message, int(lr.nfev)))
        if lc <= cost:
            x, cost, msg = lr.x, lc, msg + f"; polished by least squares: {lr.message}"
    return Fit(x=np.asarray(x), cost=cost, success=bool(r.success) or cost < np.inf,
               message=msg, nfev=problem.n_evals, local=local,
               extra={"de_generations": int(r.nit)})


def log_prior(problem: Problem, X: np.ndarray) -> np.ndarray:
    """Log prior of each row: uniform within bounds, plus the targets file's priors."""
    X = np.atleast_2d(X)
    lp = np.where(problem.inside(X), 0.0, -np.inf)
    for j, f in enumerate(problem.free):
        if f.prior is not None:
            lp = lp + f.prior.logpdf(X[:, j])
    return lp


TAU_MULTIPLE = 50   # run until the chain is this many integrated autocorrelation times long


def _moves(moves):
    """emcee moves: ``"de"`` (default: differential evolution 80 % + DE snooker 20 %, ter Braak
    & Vrugt 2008 — far shorter autocorrelation times than the stretch move on the case-firm
    history's curved posterior), ``"stretch"`` (Goodman & Weare's affine-invariant stretch), or
    emcee move objects as emcee takes them."""
    import emcee

    if moves is None or moves == "de":
        return [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]
    if moves == "stretch":
        return emcee.moves.StretchMove()
    if isinstance(moves, str):
        raise CalibrationError(f"mcmc: moves {moves!r} is not one of 'de', 'stretch'")
    return moves


def mcmc(problem: Problem, x_start: np.ndarray, cov: np.ndarray | None = None,
         n_walkers: int | None = None, n_steps: int | None = None, burn: int | None = None,
         thin: int | None = None, seed: int = 0, progress: bool = False,
         max_steps: int = 20000, check_every: int = 100,
         tau_multiple: float = TAU_MULTIPLE, rtol: float | None = 1e-5, moves=None) -> Fit:
    """emcee ensemble sampler (``vectorize=True``: each half-ensemble in one batched call).

    Log posterior = log prior - chi²/2, chi² the sum of squared normalised residuals.  Walkers
    start in a small ball around ``x_start`` (the least-squares optimum), shaped by ``cov``
    when given; ``moves`` is the proposal (:func:`_moves`: ``"de"`` by default or
    ``"stretch"``).  τ is checked every ``check_every`` steps, so a converged chain stops
    within that many steps of the rule.

    Length: with ``n_steps=None`` the chain runs in blocks of ``check_every`` steps until it is
    at least ``tau_multiple`` (50) integrated autocorrelation times long (emcee's estimate,
    Goodman & Weare 2010; Sokal's window) and that estimate moved by < 5 % over the last block,
    or ``max_steps`` is reached.  Burn-in then defaults to 2 τ and thinning to τ/2 (emcee's
    guidance).  With a fixed ``n_steps`` burn defaults to half the chain.  Either way
    ``extra['converged']`` says whether the chain reached 50 τ, and ``extra['tau_multiple']``
    how many τ long it is.  The walkers' runs use ``rtol``/``atol`` no tighter than ``rtol``
    (default 1e-5: the sampler needs no finite differences; on the case-firm history, within
    Δχ² < 20 of the optimum, χ² differs from a 1e-9 solve by at most 0.03 — 0.015 in the log
    posterior — against 0.009 at 1e-6, for about 20 % fewer right-hand-side evaluations).
    """
    try:
        import emcee
    except ImportError:  # pragma: no cover
        raise CalibrationError("method 'mcmc' needs the 'emcee' package: pip install emcee") from None
    k = problem.k
    n_walkers = n_walkers or max(16, 4 * k)
    if n_walkers < 2 * k:
        raise CalibrationError(f"mcmc: n_walkers ({n_walkers}) must be at least twice the number "
                               f"of free parameters ({k})")
    if n_steps is not None and burn is not None and not (0 <= int(burn) < int(n_steps)):
        raise CalibrationError(f"mcmc: burn ({burn}) must be in [0, n_steps={n_steps})")
    rng = np.random.default_rng(seed)

    def logp(X):
        X = np.atleast_2d(X)
        lp = log_prior(problem, X)
        ok = np.isfinite(lp)
        out = np.full(X.shape[0], -np.inf)
        if ok.any():
            c = problem.cost(X[ok])
            out[ok] = lp[ok] - 0.5 * c
        return out

    p0 = _start_ball(problem, x_start, cov, n_walkers, rng)
    sampler = emcee.EnsembleSampler(n_walkers, k, logp, vectorize=True, moves=_moves(moves))
    sampler.random_state = np.random.RandomState(seed).get_state()
    import logging

    emcee_log = logging.getLogger("emcee")
    level = emcee_log.level
    emcee_log.setLevel(logging.ERROR)  # our own warning reports a short chain

    tols = (problem.rtol, problem.atol)
    if rtol is not None:
        problem.rtol, problem.atol = max(problem.rtol, rtol), max(problem.atol, rtol)
    try:
        if n_steps is None:
            n_steps, burn, thin, tau, tmax = _run_until_converged(
                sampler, p0, max_steps, check_every, tau_multiple, burn, thin, progress)
        else:
            n_steps = int(n_steps)
            burn = n_steps // 2 if burn is None else int(burn)
            thin = 1 if thin is None else int(thin)
            sampler.run_mcmc(p0, n_steps, progress=progress, progress_kwargs={"leave": False})
            tau = _tau(sampler, k)
            tmax = float(np.nanmax(tau)) if np.isfinite(tau).any() else float("nan")
        chain = sampler.get_chain(discard=burn, thin=thin, flat=True)
        lps = sampler.get_log_prob(discard=burn, thin=thin, flat=True)
    finally:
        emcee_log.setLevel(level)
        problem.rtol, problem.atol = tols
    return _chain_fit(problem, sampler, chain, lps, tau, tmax, n_walkers, n_steps, burn, thin,
                      tau_multiple)


def _chain_fit(problem: Problem, sampler, chain, lps, tau, tmax: float, n_walkers: int,
               n_steps: int, burn: int, thin: int, tau_multiple: float) -> Fit:
    """The :class:`Fit` of a finished chain: best sample, verdict on convergence (the chain is
    ``tau_multiple`` autocorrelation times long), acceptance and the chain itself."""
    converged = bool(math.isfinite(tmax) and n_steps >= tau_multiple * tmax)
    i = int(np.argmax(lps))
    xb = chain[i]
    cost = float(problem.cost(xb[None, :])[0])
    verdict = ("converged" if converged else "NOT converged") + (
        f": {n_steps} steps = {n_steps / tmax:.0f} autocorrelation times (τ max {tmax:.1f}; "
        f"rule: >= {tau_multiple:g} τ)" if math.isfinite(tmax) else ": τ not estimable")
    return Fit(x=xb, cost=cost, success=converged,
               message=f"emcee: {n_walkers} walkers x {n_steps} steps, burn {burn}, thin {thin}; "
                       + verdict,
               nfev=problem.n_evals, samples=chain, log_prob=lps,
               acceptance=float(np.mean(sampler.acceptance_fraction)), autocorr=np.asarray(tau),
               extra={"n_walkers": n_walkers, "n_steps": int(n_steps), "burn": int(burn),
                      "thin": int(thin), "converged": int(converged),
                      "tau_multiple": float(n_steps / tmax) if math.isfinite(tmax) else float("nan"),
                      "tau_rule": float(tau_multiple), "chain": sampler.get_chain()})


def _start_ball(problem: Problem, x_start: np.ndarray, cov, n_walkers: int, rng) -> np.ndarray:
    """Walkers' start (n_walkers, k): a small ball around ``x_start`` shaped by ``cov`` (when
    finite), kept inside the bounds."""
    span = problem.upper - problem.lower
    if cov is not None and np.all(np.isfinite(cov)):
        sd = np.sqrt(np.clip(np.diag(cov), 0, None))
        sd = np.minimum(np.where(sd > 0, sd, 1e-3 * problem.scale), 0.05 * span)
    else:
        sd = 1e-2 * problem.scale
    p0 = x_start[None, :] + 0.1 * sd[None, :] * rng.standard_normal((n_walkers, problem.k))
    return np.clip(p0, problem.lower + 1e-9 * span, problem.upper - 1e-9 * span)


def _tau(sampler, k: int, discard: int = 0) -> np.ndarray:
    """emcee's integrated autocorrelation time per parameter (NaN where not estimable)."""
    try:
        return np.asarray(sampler.get_autocorr_time(discard=discard, tol=0), float)
    except Exception:
        return np.full(k, np.nan)


def _run_until_converged(sampler, p0, max_steps: int, check_every: int, tau_multiple: float,
                         burn, thin, progress: bool):
    """Run in blocks of ``check_every`` steps until the chain is ``tau_multiple`` τ long and τ
    moved < 5 % over the last block (or ``max_steps``); return (n_steps, burn, thin, τ, τ max)
    with burn 2 τ and thin τ/2 unless given."""
    k = p0.shape[1]
    state, old = p0, None
    bar = _bar(progress, max_steps, "mcmc")
    while sampler.iteration < max_steps:
        block = min(check_every, max_steps - sampler.iteration)
        state = sampler.run_mcmc(state, block, progress=False)
        if bar is not None:
            bar.update(block)
        tau = _tau(sampler, k)
        tm = float(np.max(tau)) if np.all(np.isfinite(tau)) else np.inf
        if (sampler.iteration >= tau_multiple * tm and old is not None
                and np.all(np.abs(old - tau) < 0.05 * tau)):
            break
        old = tau
    if bar is not None:
        bar.close()
    n_steps = sampler.iteration
    tau = _tau(sampler, k)
    tmax = float(np.nanmax(tau)) if np.isfinite(tau).any() else float("nan")
    if burn is None:
        burn = int(math.ceil(2 * tmax)) if math.isfinite(tmax) else n_steps // 2
    if thin is None:
        tmin = float(np.nanmin(tau)) if np.isfinite(tau).any() else 2.0
        thin = max(1, int(0.5 * tmin))
    return n_steps, min(int(burn), n_steps - 1), thin, tau, tmax
