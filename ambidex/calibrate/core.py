"""``calibrate(model, targets, free=[...], method=...)`` and its :class:`CalibrationResult`."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import diagnostics as dg
from . import estimators as est
from . import holdout as ho
from . import steps as st
from .errors import CalibrationError, CalibrationWarning
from .objective import Problem


@dataclass
class CalibrationResult:
    """Estimates, diagnostics and outputs of one calibration.

    ``estimates``/``std_errors``/``intervals`` (95 %: estimate +- 1.96 SE from the Jacobian clipped to the bounds, or
    the posterior's 2.5-97.5 % quantiles for MCMC) by parameter name; ``correlation`` and
    ``covariance`` (k x k, order ``parameters``); ``targets_table`` (pandas, one row per target:
    data, fitted, residual, chi², contribution, Theil/MAPE/R² for series); ``warnings``;
    ``samples`` (MCMC posterior, natural units); ``dataset`` (xarray, see
    :func:`ambidex.calibrate.outputs.to_dataset`).
    """

    problem: Problem
    method: str
    seed: int
    fit: est.Fit
    estimates: dict
    std_errors: dict
    intervals: dict
    covariance: np.ndarray
    correlation: np.ndarray
    targets_table: pd.DataFrame
    values: list
    trajectories: dict
    bands: dict
    band_quantiles: tuple
    draws: np.ndarray | None
    profile: list | None
    warnings: list[str]
    wall_time: float
    info: dict = field(default_factory=dict)
    hold_out: dict | None = None
    lifted: object = None
    _dataset: object = field(default=None, repr=False)

    @property
    def parameters(self) -> list[str]:
        return list(self.problem.names)

    @property
    def x(self) -> np.ndarray:
        return np.array([self.estimates[n] for n in self.problem.names])

    @property
    def cost(self) -> float:
        return self.fit.cost

    @property
    def success(self) -> bool:
        return self.fit.success

    @property
    def message(self) -> str:
        return self.fit.message

    @property
    def samples(self):
        return self.fit.samples

    @property
    def log_prob(self):
        return self.fit.log_prob

    @property
    def identified(self) -> bool:
        return not any("not identified" in w or "not separately" in w for w in self.warnings)

    @property
    def n_data(self) -> int:
        """Informative data points: every target element, except parameter targets on
        parameters that are not free (they are constants of the fit) and range targets (one-sided
        or two-sided constraints with no penalty inside: they bound the fit, they are not
        observations; see :attr:`n_constraints`)."""
        p = self.problem
        free = {f.py for f in p.free}
        return int(sum(t.n for t in p.targets if t.kind != "range" and (
            t.kind != "parameter" or t.py in free)))

    @property
    def n_constraints(self) -> int:
        """Range targets: constraints the fit must respect, not counted as data."""
        return sum(t.kind == "range" for t in self.problem.targets)

    @property
    def dof(self) -> int:
        """Degrees of freedom: informative data points minus free parameters."""
        return self.n_data - self.problem.k

    def profile_frame(self) -> pd.DataFrame:
        """One row per parameter: its profile-likelihood 95 % interval and status."""
        rows = [{"parameter": q.parameter, "estimate": self.estimates[q.parameter],
                 "profile_lower95": q.lower, "profile_upper95": q.upper, "status": q.status}
                for q in (self.profile or [])]
        return pd.DataFrame(rows).set_index("parameter") if rows else pd.DataFrame()

    @property
    def dataset(self):
        if self._dataset is None:
            from .outputs import to_dataset

            self._dataset = to_dataset(self)
        return self._dataset

    def correlation_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.correlation, index=self.parameters, columns=self.parameters)

    def estimates_frame(self) -> pd.DataFrame:
        p = self.problem
        return pd.DataFrame({
            "estimate": [self.estimates[n] for n in p.names],
            "std_error": [self.std_errors[n] for n in p.names],
            "lower95": [self.intervals[n][0] for n in p.names],
            "upper95": [self.intervals[n][1] for n in p.names],
            "start": p.x0, "lower_bound": p.lower, "upper_bound": p.upper,
            "units": [f.units for f in p.free]}, index=pd.Index(p.names, name="parameter"))

    def report_html(self) -> str:
        from .outputs import report_html

        return report_html(self)

    def scenario_tomls(self) -> dict[str, str]:
        from .outputs import scenario_tomls

        return scenario_tomls(self)

    def write(self, out_dir: str | Path = "results", report: bool = True) -> dict[str, Path]:
        """Write ``calibration_<targets>.nc``, ``.html``, the evidence ledger
        ``ledger_<targets>.csv`` and one ``<scenario>_calibrated.toml`` per scenario into
        ``out_dir`` (each atomically); return the paths."""
        from ..core.results import write_netcdf, write_text

        out_dir = Path(out_dir)
        stem = f"calibration_{self.problem.targets.name}"
        paths = {"netcdf": write_netcdf(self.dataset, out_dir / f"{stem}.nc")}
        from .ledger import ledger, to_csv

        paths["ledger"] = out_dir / f"ledger_{self.problem.targets.name}.csv"
        to_csv(ledger(self.problem.model, result=self), paths["ledger"])
        if report:
            paths["report"] = write_text(self.report_html(), out_dir / f"{stem}.html")
        for name, text in self.scenario_tomls().items():
            paths[f"scenario:{name}"] = write_text(text, out_dir / f"{name}.toml")
        return paths

    def summary(self) -> str:
        lines = [f"calibration against {self.problem.targets.name} by {self.method}: "
                 f"chi² {self.cost:.4g} with {self.dof} degrees of freedom ({self.n_data} data, "
                 + (f"{self.n_constraints} constraints, " if self.n_constraints else "")
                 + f"{self.problem.k} free parameters; {self.message}); {self.problem.n_evals} "
                 f"runs, {self.wall_time:.1f} s"]
        for n in self.parameters:
            lo, hi = self.intervals[n]
            lines.append(f"  {n} = {self.estimates[n]:.6g} +- {self.std_errors[n]:.3g} "
                         f"[{lo:.4g}, {hi:.4g}]")
        for k, r in self.targets_table.iterrows():
            lines.append(f"  target {k}: data {r['data']} fitted {r['fitted']:.4g} {r['units']} "
                         f"(normalised residual {r['normalised_residual']:+.3g})")
        for q in self.profile or []:
            iv = f"[{'-inf' if q.lower is None else f'{q.lower:.4g}'}, " \
                 f"{'+inf' if q.upper is None else f'{q.upper:.4g}'}]"
            lines.append(f"  profile {q.parameter}: 95 % interval {iv} ({q.status})")
        if self.hold_out:
            lines.append("  " + ho.describe(self.hold_out))
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def __repr__(self):
        return f"CalibrationResult({self.summary()})"


def calibrate(model=None, targets=None, free=None, method: str = "least_squares", bounds=None,
              seed: int = 0, *, hold_out: str | None = None, n_starts: int = 4,
              n_candidates: int | None = None, spread: float = 3.0, popsize: int = 15,
              maxiter: int = 60, n_walkers: int | None = None, n_steps: int | None = None,
              burn: int | None = None, thin: int | None = None, max_steps: int = 20000,
              n_bands: int = 200, band_quantiles=(0.05, 0.5, 0.95),
              solver: str = "dopri5", rtol: float = 1e-8, atol: float = 1e-8,
              progress: bool = False, profile: bool = True, cluster=None,
              moves: str | None = None) -> CalibrationResult:
    """Estimate ``free`` parameters of ``model`` from ``targets``.

    ``model``: a :class:`~ambidex.core.model.Model` or path (default: the dual model); ``targets``: a
    TOML path, a name in ``scenarios/data/`` or a :class:`TargetSet`; ``free``: parameter names
    (default: the file's ``free`` list); ``bounds``: ``{name: (lo, hi)}`` overriding the
    parameter table (and the file's ``[bounds]``); ``method``: ``"least_squares"`` (bounded TRF,
    multi-start from the ``n_starts`` best of ``n_candidates`` points evaluated together),
    ``"differential_evolution"`` (global, whole population per batched run, polished by least
    squares) or ``"mcmc"`` (emcee with vectorised walkers, started at the least-squares optimum;
    by default run until the chain is 50 integrated autocorrelation times long or ``max_steps``
    is reached, which is reported as not converged; a fixed ``n_steps``, ``burn``, ``thin``
    otherwise; ``moves``: ``"de"`` (default: differential-evolution moves) or ``"stretch"``).
    ``hold_out``: the key of one target to leave out of the fit and predict
    (``result.hold_out``: prediction, 95 % interval, datum, z; with ``profile`` and a least-squares
    fit also the prediction-profile interval).  ``profile``: profile likelihoods with the other
    parameters re-fitted (``result.profile``), which also decide the identifiability warnings.  Reproducible for a given ``seed``.  ``cluster``: ``"local"``, a
    Dask scheduler address or a ``distributed.Client``: batches of at least 64 runs (DE
    populations, MCMC walkers, multi-start candidates) run as Dask tasks on one cluster for the
    whole fit (:func:`ambidex.ensemble`), with identical results.
    """
    if cluster is not None and not hasattr(cluster, "submit"):
        args = dict(locals())  # the call's arguments, before any other local exists
        from ..sensitivity.distributed import client_for

        with client_for(cluster) as client:  # one cluster for the whole calibration
            return calibrate(**{**args, "cluster": client})
    t_start = time.perf_counter()
    model, targets, free, held = _inputs(model, targets, free, method, hold_out)
    model, pre, lifted = _lift_history(model, targets)
    problem = Problem(model, targets, free=free, bounds=bounds, method=solver, rtol=rtol,
                      atol=atol, scenarios=pre, cluster=cluster)
    fit, info = st.estimate(problem, method, seed=seed, n_starts=n_starts,
                          n_candidates=n_candidates, spread=spread, popsize=popsize,
                          maxiter=maxiter, n_walkers=n_walkers, n_steps=n_steps, burn=burn,
                          thin=thin, max_steps=max_steps, progress=progress, moves=moves)
    x = fit.x
    names = problem.names
    ests, ses, ivs, cov, corr, x_rep, singular, msgs = st.summaries(problem, fit, info)
    # fitted values and trajectories at the reported point estimate (MCMC: posterior median,
    # if inside the bounds; else the best sample)
    x_fit = x_rep if problem.inside(x_rep[None])[0] else x
    values, table, trajectories = st.fitted(problem, x_fit)
    draws = st.band_draws(problem, fit, cov, singular, n_bands, np.random.default_rng(seed + 1))
    qs = tuple(float(q) for q in band_quantiles)
    bands = st.bands(problem, draws, qs)
    prof = None
    if profile:
        prof, pmsgs = st.profiles(problem, fit, info, ses)
        msgs = pmsgs + msgs
    msgs = dg.identifiability(problem, x, corr, None, fit.cost) + msgs
    msgs += st.bound_messages(problem, x, singular, msgs)
    hold = None
    if held is not None:
        pred = Problem(model, held, free=names, bounds=bounds, method=solver, rtol=rtol,
                       atol=atol, scenarios=problem.scenarios)
        hold, hmsgs = st.hold_out(problem, pred, x_fit, cov,
                                  draws if fit.samples is not None else None,
                                  fit=fit if profile else None)
        msgs += hmsgs
    info.pop("least_squares_x", None)
    for m in msgs:
        warnings.warn(m, CalibrationWarning, stacklevel=2)
    return CalibrationResult(
        problem=problem, method=method, seed=seed, fit=fit, estimates=ests, std_errors=ses,
        intervals=ivs, covariance=cov, correlation=corr, targets_table=table, values=values,
        trajectories=trajectories, bands=bands, band_quantiles=qs, draws=draws, profile=prof,
        warnings=msgs, wall_time=time.perf_counter() - t_start, info=info, hold_out=hold,
        lifted=lifted)


def _inputs(model, targets, free, method: str, hold_out):
    """calibrate()'s arguments checked and loaded: (Model, TargetSet without the held-out
    target, free names or None, held-out TargetSet or None)."""
    from ..core.model import Model, load_model
    from .targets import TargetSet, load_targets

    if method not in est.METHODS:
        raise CalibrationError(f"method {method!r} is not one of {', '.join(est.METHODS)}")
    if targets is None:
        raise CalibrationError("calibrate() needs targets (a TOML file of case data)")
    model = model if isinstance(model, Model) else load_model(model)
    if isinstance(free, str):
        free = [f.strip() for f in free.split(",") if f.strip()]
    held = None
    targets = targets if isinstance(targets, TargetSet) else load_targets(targets)
    if hold_out is not None:
        targets, held = ho.split(targets, str(hold_out))
    return model, targets, free, held


def _lift_history(model, targets):
    """(model, pre-validated scenarios, Lifted or None): a single targets scenario with step
    interventions runs on a derived model with the steps as constants (:mod:`.lift`)."""
    from ..core.errors import ScenarioError
    from ..core.scenario import load_scenario, validate
    from .lift import lift

    if len(targets.scenarios) != 1:
        return model, None, None
    name = targets.scenarios[0]
    try:
        path = targets.path.parent / name if targets.path and (
            targets.path.parent / name).is_file() else name
        sc = validate(load_scenario(path), model)
    except ScenarioError:
        return model, None, None  # bind() reports it with the file and key
    if not sc.interventions:
        return model, None, None
    lifted = lift(model, sc)
    if lifted is None:
        return model, None, None
    sc = validate(lifted.scenario, lifted.model, extra=targets.fixed_values())
    return lifted.model, {name: sc}, lifted
