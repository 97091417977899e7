"""The calibration problem: free parameters, their bounds, and batched residuals.

:class:`Problem` turns an (N, k) matrix of free-parameter values into an (N, m) matrix of
normalised residuals with one :func:`ambidex.ensemble` call per scenario, so a multi-start set,
a differential-evolution population, the walkers of an MCMC step or the columns of a
finite-difference Jacobian are all evaluated together on the batched compiled engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core.elements import split, take
from ..core.errors import ModelError, ScenarioError
from .binding import bind
from .errors import CalibrationError
from .targets import TargetSet, load_targets

FAIL_RESIDUAL = 1e3  # per element, for runs that fail (least squares / DE need finite values)


def _interp_row(times: np.ndarray, t: float) -> np.ndarray:
    """Weights w with y(t) = y @ w by linear interpolation on ``times``."""
    w = np.zeros(times.size)
    j = int(np.searchsorted(times, t))
    if j < times.size and abs(times[j] - t) < 1e-9:
        w[j] = 1.0
    elif j == 0 or j >= times.size:
        w[min(max(j, 0), times.size - 1)] = 1.0
    else:
        a = (t - times[j - 1]) / (times[j] - times[j - 1])
        w[j - 1], w[j] = 1 - a, a
    return w


def _integral_row(times: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """Weights w with integral_{t0}^{t1} y dt = y @ w (trapezoid, linear interpolation)."""
    pts = np.concatenate([[t0], times[(times > t0 + 1e-9) & (times < t1 - 1e-9)], [t1]])
    rows = np.array([_interp_row(times, p) for p in pts])
    h = np.diff(pts)
    tw = np.zeros(pts.size)
    tw[:-1] += h / 2
    tw[1:] += h / 2
    return tw @ rows


def _add_elements(ds, keys) -> None:
    """Add to the run ``ds`` (Dataset or dict) a (sample, time) column for every key that names
    one element, ``'population[North]'`` (see :mod:`ambidex.core.elements`)."""
    for key in keys:
        base, elems = split(key)
        if elems is None or key in ds:
            continue
        col = take(ds[base], elems, key)
        if isinstance(ds, dict):
            ds[key] = col
        else:
            ds[key] = (("sample", "time"), col.values)


@dataclass
class Free:
    """One free parameter: names, start value, bounds (natural units) and its prior."""

    name: str
    py: str
    units: str
    start: float
    lower: float
    upper: float
    prior: object = None

    @property
    def scale(self) -> float:
        s = abs(self.start)
        width = self.upper - self.lower
        if s == 0 or not math.isfinite(s):
            s = width / 10 if math.isfinite(width) and width > 0 else 1.0
        return s


#: batches smaller than this (Jacobian columns, single points) run in this process
CLUSTER_MIN_RUNS = 64


class Problem:
    """Targets bound to a model with free parameters; evaluates batches of parameter sets."""

    def __init__(self, model, targets: TargetSet | str, free=None, bounds=None,
                 method: str = "dopri5", rtol: float = 1e-8, atol: float = 1e-8,
                 scenarios: dict | None = None, cluster=None):
        #: a ``distributed.Client`` for batches of >= CLUSTER_MIN_RUNS runs (else None)
        self.cluster = cluster
        if not isinstance(targets, TargetSet):
            targets = load_targets(targets)
        self.model = model
        self.scenarios: dict = dict(scenarios or {})  # name -> validated Scenario (else loaded)
        self.targets = bind(targets, model, self.scenarios) if not targets.bound else targets
        self.method, self.rtol, self.atol = method, rtol, atol
        free = list(free) if free is not None else list(self.targets.free)
        if isinstance(free, str):
            free = [f.strip() for f in free.split(",") if f.strip()]
        if not free:
            raise CalibrationError(f"{self.targets.label}: no free parameters (pass free=[...] "
                                   "or set 'free' in the targets file)")
        self.free = self._free(free, dict(bounds or {}))
        self.k = len(self.free)
        self.names = [f.name for f in self.free]
        self.x0 = np.array([f.start for f in self.free])
        self.lower = np.array([f.lower for f in self.free])
        self.upper = np.array([f.upper for f in self.free])
        self.scale = np.array([f.scale for f in self.free])
        self.times = None
        self._prepare()
        self.n_evals = 0

    # ------------------------------------------------------------------ setup
    def _free(self, free: list[str], bounds: dict) -> list[Free]:
        label = self.targets.label
        out, seen = [], set()
        for i, name in enumerate(free):
            try:
                p = self.model.resolve_parameter(name)
            except ModelError as exc:
                raise CalibrationError(f"free[{i}]: {exc}") from None
            if p.py_name in seen:
                raise CalibrationError(f"free[{i}]: '{name}' is listed twice")
            seen.add(p.py_name)
            j = self.model.table.index[p.py_name]  # bounds from the model's parameter table
            lo, hi = float(self.model.table.lower[j]), float(self.model.table.upper[j])
            where = None
            for src, table in ((f"{label}: bounds", self.targets.bounds), ("bounds", bounds)):
                for k, v in table.items():
                    try:
                        same = self.model.resolve_parameter(k).py_name == p.py_name
                    except ModelError as exc:
                        raise CalibrationError(f"{src}['{k}']: {exc}") from None
                    if same:
                        try:
                            blo, bhi = (float(v[0]), float(v[1]))
                        except (TypeError, ValueError, IndexError):
                            raise CalibrationError(f"{src}['{k}']: expected (lower, upper), "
                                                   f"got {v!r}") from None
                        where = f"{src}['{k}']"
                        if not (blo < bhi):
                            raise CalibrationError(f"{where}: lower {blo:g} must be below upper "
                                                   f"{bhi:g}")
                        if blo < lo or bhi > hi:
                            raise CalibrationError(
                                f"{where}: [{blo:g}, {bhi:g}] goes outside the range of "
                                f"'{p.name}' in the parameter table [{lo:g}, {hi:g}] ({p.units})")
                        lo, hi = blo, bhi
            # start: the value the targets' scenarios give (all the same) else the default
            vals = {sc.parameters.get(p.py_name, p.default) for sc in self.scenarios.values()}
            start = vals.pop() if len(vals) == 1 else p.default
            if not (lo <= start <= hi):
                raise CalibrationError(
                    f"{where or 'bounds'}: [{lo:g}, {hi:g}] excludes the default {start:g} of "
                    f"'{p.name}' ({p.units}); widen the bounds or change the default")
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise CalibrationError(f"free[{i}]: '{p.name}' has no finite bounds in the "
                                       "parameter table; give bounds={'" + p.name + "': (lo, hi)}")
            prior = None
            for k, pr in self.targets.priors.items():
                if self.model.resolve_parameter(k).py_name == p.py_name:
                    prior = pr
            out.append(Free(p.name, p.py_name, p.units, float(start), float(lo), float(hi), prior))
        return out

    def _prepare(self):
        m = self.model
        t0, t1, sp = m.control["initial_time"], m.control["final_time"], m.control["saveper"]
        n = int(math.floor((t1 - t0) / sp + 1e-9))
        self.times = times = t0 + sp * np.arange(n + 1)
        self.vars: dict[str, list[str]] = {s: [] for s in self.targets.scenarios}
        self.rows: list[tuple] = []  # per target: (W_num, W_den or None, divisor)
        for t in self.targets:
            if t.kind == "parameter":
                self.rows.append((None, None, 1.0))
                continue
            for py in (t.py, t.py_den):
                if py and py not in self.vars[t.scenario]:
                    self.vars[t.scenario].append(py)
            if t.kind == "series":
                W = np.array([_interp_row(times, x) for x in t.times])
            elif t.time is not None:
                W = _interp_row(times, t.time)[None, :]
                if t.since is not None:  # a change: y(time) - y(since)
                    W = W - _interp_row(times, t.since)[None, :]
            else:
                W = _integral_row(times, t.start, t.end)[None, :]
                if t.kind in ("mean", "range"):
                    W = W / (t.end - t.start)
            self.rows.append((W, W if t.kind == "ratio" else None, 1.0))
        self.sizes = [t.n for t in self.targets]
        self.m = int(sum(self.sizes))
        self.slices = []
        i = 0
        for s in self.sizes:
            self.slices.append(slice(i, i + s))
            i += s
        self.sigma = [t.sigma for t in self.targets]

    # ------------------------------------------------------------------ evaluation
    def inside(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(X)
        return np.all((X >= self.lower) & (X <= self.upper) & np.isfinite(X), axis=1)

    def simulate(self, X: np.ndarray, variables: dict | None = None, progress: bool = False):
        """Run every scenario for the rows of X (N, k); return {scenario: Dataset}."""
        from ..ensemble import ensemble

        X = np.atleast_2d(np.asarray(X, dtype=float))
        samples = {f.py: X[:, j] for j, f in enumerate(self.free)}
        out = {}
        for name, sc in self.scenarios.items():
            if name not in self.vars:
                continue
            keys = (variables or {}).get(name, self.vars[name])
            want = list(dict.fromkeys(split(k)[0] for k in keys))  # an element's variable
            if sc.interventions:  # the compiled engine cannot run them: PySD, run by run
                from .runs import run_each

                out[name] = run_each(self.model, X, self.free, sc, want, self.times,
                                     self.rtol, self.atol)
                continue
            c = self.model.control
            distribute = self.cluster is not None and X.shape[0] >= CLUSTER_MIN_RUNS
            if sc.horizon == (c["initial_time"], c["final_time"]) and not distribute and \
                    sc.solver.get("time_step", c["time_step"]) == c["time_step"]:
                from .runs import run_batch  # the engine directly: no Dataset per call

                out[name] = run_batch(self.model, X, self.free, sc, want, self.times,
                                      self.method, self.rtol, self.atol)
                continue
            try:
                out[name] = ensemble(self.model, samples=samples, scenario=sc, method=self.method,
                                     rtol=self.rtol, atol=self.atol, variables=want,
                                     progress=progress,
                                     cluster=self.cluster if distribute else None)
            except ScenarioError as exc:
                raise CalibrationError(f"scenario '{name}': {exc}") from None
        for name, ds in out.items():
            keys = (variables or {}).get(name, self.vars[name])
            _add_elements(ds, keys)
        self.n_evals += X.shape[0] * len(out)
        return out

    def values_from(self, X: np.ndarray, runs: dict) -> list[np.ndarray]:
        """Model value of each target in the data's units: list of (N, n_i) arrays."""
        X = np.atleast_2d(X)
        N = X.shape[0]
        vals = []
        for t, (W, Wd, _) in zip(self.targets, self.rows):
            if t.kind == "parameter":
                if t.py in [f.py for f in self.free]:
                    v = X[:, [f.py for f in self.free].index(t.py)]
                else:
                    sc = self.scenarios[t.scenario]
                    v = np.full(N, sc.parameters.get(t.py, self.model.parameters[t.py].default))
                vals.append(v[:, None] / t.factor)
                continue
            ds = runs[t.scenario]
            Y = ds[t.py].values
            v = Y @ W.T
            if Wd is not None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    v = v / (ds[t.py_den].values @ Wd.T)
            vals.append(v / t.factor)
        return vals

    def residuals_from(self, vals: list[np.ndarray]) -> np.ndarray:
        N = vals[0].shape[0]
        R = np.empty((N, self.m))
        for t, v, sl, sig in zip(self.targets, vals, self.slices, self.sigma):
            if t.kind == "range":
                lo, hi = t.data
                r = np.where(v < lo, v - lo, np.where(v > hi, v - hi, 0.0))
            else:
                r = v - t.data[None, :]
            R[:, sl] = r / sig[None, :]
        return R

    def residuals(self, X: np.ndarray, fill: float | None = FAIL_RESIDUAL) -> np.ndarray:
        """(N, m) normalised residuals; failed runs get ``fill`` (NaN when ``fill`` is None)."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        R = self.residuals_from(self.values_from(X, self.simulate(X)))
        if fill is not None:
            R = np.where(np.isfinite(R), R, fill)
        return R

    def cost(self, X: np.ndarray) -> np.ndarray:
        """Sum of squared normalised residuals per row (inf for failed runs)."""
        R = self.residuals(X, fill=None)
        c = np.sum(R ** 2, axis=1)
        return np.where(np.isfinite(c), c, np.inf)

    def jacobian(self, x: np.ndarray, rel: float = 1e-4) -> np.ndarray:
        """(m, k) Jacobian of the residuals by central differences (one batch of 2k runs)."""
        x = np.asarray(x, dtype=float)
        h = rel * self.scale
        P = np.repeat(x[None, :], 2 * self.k, axis=0)
        for j in range(self.k):
            hp = min(h[j], self.upper[j] - x[j])
            hm = min(h[j], x[j] - self.lower[j])
            if hp <= 0 and hm <= 0:
                hp = hm = 0.0
            P[2 * j, j] += hp
            P[2 * j + 1, j] -= hm
        R = self.residuals(P)
        J = np.zeros((self.m, self.k))
        for j in range(self.k):
            d = P[2 * j, j] - P[2 * j + 1, j]
            if d > 0:
                J[:, j] = (R[2 * j] - R[2 * j + 1]) / d
        return J
