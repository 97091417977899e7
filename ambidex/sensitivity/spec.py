"""Sensitivity specifications: which parameters vary how, which outputs are measured, which
method with how many samples and which seed.

A spec is a TOML file (see ``scenarios/sensitivity/dual_model_sobol.toml``) or a dict of the same
shape, or a dict in SALib's ``problem`` form (``num_vars``, ``names``, ``bounds``, optional
``dists``) with the other sections (``method``, ``outputs``, ``seed``) as extra keys::

    name = "dual_model_sobol"
    seed = 20240617
    scenario = "baseline_dual"          # optional base scenario (parameter overrides)
    [method]
    name = "sobol"                      # sobol | morris | fast | delta | pawn
    samples = 256                       # base sample size N (Sobol: a power of 2)
    [[parameters]]
    name = "selectivity"
    distribution = "uniform"            # uniform | normal | triangular | lognormal
    lower = 0.0                         # uniform: default the model's range
    upper = 1.0
    [[outputs]]
    variable = "ROA"
    statistic = "mean"                  # final | mean | at | max | min | trajectory
    start = 2017.0
    end = 2021.0

This module holds what a spec *is* (:class:`Spec`, :class:`ParamSpec`, :class:`OutputSpec` and
the allowed keys); :mod:`~ambidex.sensitivity.spec_parse` reads one from TOML, a dict or SALib's
form, :mod:`~ambidex.sensitivity.spec_check` checks it against its method and a model.  Every
mistake is a :class:`~ambidex.core.errors.ScenarioError` naming the file and the key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

METHODS = ("sobol", "morris", "fast", "delta", "pawn")
DISTRIBUTIONS = ("uniform", "normal", "triangular", "lognormal")
STATISTICS = ("final", "mean", "at", "max", "min", "trajectory")
TOP_KEYS = {"name", "description", "seed", "model", "scenario", "method", "parameters",
            "outputs", "solver", "uncertainty", "discovery"}
METHOD_KEYS = {
    "sobol": {"name", "samples", "second_order", "num_resamples", "conf_level"},
    "morris": {"name", "samples", "levels", "num_resamples", "conf_level"},
    "fast": {"name", "samples", "M", "num_resamples", "conf_level"},
    "delta": {"name", "samples", "num_resamples", "conf_level"},
    "pawn": {"name", "samples", "slices"},
}
PARAM_KEYS = {
    "uniform": ({"name"}, {"distribution", "lower", "upper"}),
    "normal": ({"name", "mean", "sd"}, {"distribution", "lower", "upper"}),
    "triangular": ({"name", "mode"}, {"distribution", "lower", "upper"}),
    "lognormal": ({"name", "mu", "sigma"}, {"distribution", "lower", "upper"}),
}
OUTPUT_KEYS = {"variable", "statistic", "name", "start", "end", "time", "every"}
SOLVER_KEYS = {"method", "rtol", "atol", "chunk_size"}
UNCERTAINTY_KEYS = {"samples", "percentiles", "variables"}
DISCOVERY_KEYS = {"method", "output", "threshold", "direction", "peel_alpha", "min_mass", "max_depth"}
#: unbounded distributions are cut at these quantiles unless lower/upper are given
TAIL = 1e-3


@dataclass(frozen=True)
class ParamSpec:
    """One varied parameter.  ``name`` as written (model name once resolved);
    ``lower``/``upper`` bound (uniform, triangular) or truncate (normal, lognormal)."""

    name: str
    distribution: str = "uniform"
    lower: float | None = None
    upper: float | None = None
    mean: float | None = None
    sd: float | None = None
    mode: float | None = None
    mu: float | None = None
    sigma: float | None = None
    key: str = ""  # where it was written, for messages

    def frozen(self):
        """A scipy frozen distribution (untruncated)."""
        from scipy import stats

        if self.distribution == "uniform":
            return stats.uniform(self.lower, self.upper - self.lower)
        if self.distribution == "normal":
            return stats.norm(self.mean, self.sd)
        if self.distribution == "triangular":
            w = self.upper - self.lower
            return stats.triang((self.mode - self.lower) / w, loc=self.lower, scale=w)
        return stats.lognorm(self.sigma, scale=math.exp(self.mu))

    def support(self) -> tuple[float, float]:
        """The interval samples fall in (after truncation at ``lower``/``upper`` or the
        0.1 %/99.9 % quantiles)."""
        if self.distribution in ("uniform", "triangular"):
            return self.lower, self.upper
        d = self.frozen()
        lo = self.lower if self.lower is not None else float(d.ppf(TAIL))
        hi = self.upper if self.upper is not None else float(d.ppf(1 - TAIL))
        return lo, hi

    def ppf(self, u):
        """Map unit-cube values ``u`` (SALib's samples in [0, 1]) to this distribution."""
        import numpy as np

        u = np.asarray(u, dtype=float)
        if self.distribution == "uniform":
            return self.lower + u * (self.upper - self.lower)
        d = self.frozen()
        lo, hi = self.support()
        flo, fhi = float(d.cdf(lo)), float(d.cdf(hi))
        return np.clip(d.ppf(flo + u * (fhi - flo)), lo, hi)


@dataclass(frozen=True)
class OutputSpec:
    """One measured output: ``statistic`` of ``variable`` (over ``start``..``end`` or at
    ``time``); ``trajectory`` keeps every ``every``-th year of the whole run."""

    variable: str
    statistic: str = "final"
    name: str = ""
    start: float | None = None
    end: float | None = None
    time: float | None = None
    every: float | None = None
    key: str = ""

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        if self.statistic == "mean":
            lo = "start" if self.start is None else f"{self.start:g}"
            hi = "end" if self.end is None else f"{self.end:g}"
            return f"{self.variable} mean {lo}-{hi}"
        if self.statistic == "at":
            return f"{self.variable} at {self.time:g}"
        if self.statistic == "trajectory":
            return self.variable
        return f"{self.variable} {self.statistic}"


@dataclass(frozen=True)
class Spec:
    """A checked sensitivity specification."""

    parameters: tuple[ParamSpec, ...]
    outputs: tuple[OutputSpec, ...] = ()
    method: str = "sobol"
    samples: int = 256
    options: dict = field(default_factory=dict)
    seed: int | None = None
    name: str = "sensitivity"
    description: str = ""
    model: str | None = None
    scenario: str | None = None
    solver: dict = field(default_factory=dict)
    uncertainty: dict | None = None
    discovery: dict | None = None
    label: str = "<spec>"
    path: Path | None = None

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def problem(self) -> dict:
        """SALib's ``problem`` dict in the unit cube (samples are mapped by :meth:`to_physical`)."""
        return {"num_vars": len(self.parameters), "names": self.names,
                "bounds": [[0.0, 1.0]] * len(self.parameters)}

    def physical_problem(self) -> dict:
        """SALib's ``problem`` dict with each parameter's sampled interval."""
        return {"num_vars": len(self.parameters), "names": self.names,
                "bounds": [list(p.support()) for p in self.parameters]}

    def to_physical(self, U):
        """Map a unit-cube sample matrix (rows: runs, columns: parameters) to values."""
        import numpy as np

        U = np.asarray(U, dtype=float)
        return np.column_stack([p.ppf(U[:, j]) for j, p in enumerate(self.parameters)]) \
            if U.size else U.reshape(0, len(self.parameters))

    @property
    def trajectory_outputs(self) -> tuple[OutputSpec, ...]:
        return tuple(o for o in self.outputs if o.statistic == "trajectory")

    @property
    def scalar_outputs(self) -> tuple[OutputSpec, ...]:
        return tuple(o for o in self.outputs if o.statistic != "trajectory")
