"""The data types of calibration targets: :class:`Target`, :class:`TargetSet`, :class:`Prior`.

The file format they are read from is described in :mod:`.targets`; one target table is parsed
by :mod:`.target_spec`; names, times and units are checked against a model by :mod:`.binding`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

KINDS = ("series", "value", "mean", "sum", "ratio", "share", "range", "parameter")
TOP_KEYS = {"name", "source", "description", "scenario", "free", "bounds", "priors", "targets",
            "fixed"}
COMMON = {"kind", "units", "se", "weight", "scale", "source", "scenario", "description"}
KEYS = {
    "series": COMMON | {"variable", "file", "time_column", "value_column", "se_column", "times",
                        "values"},
    "value": COMMON | {"variable", "time", "since", "value"},
    "mean": COMMON | {"variable", "start", "end", "value"},
    "sum": COMMON | {"variable", "start", "end", "value"},
    "ratio": COMMON | {"variable", "numerator", "denominator", "time", "start", "end", "value"},
    "range": COMMON | {"variable", "time", "since", "start", "end", "between"},
    "parameter": COMMON | {"parameter", "value"},
}
KEYS["share"] = KEYS["ratio"]
PRIOR_KEYS = {"normal": {"mean", "sd"}, "lognormal": {"median", "sigma"},
              "uniform": {"lower", "upper"}}


@dataclass
class Prior:
    """A prior on one free parameter (natural units): normal, lognormal or uniform."""

    dist: str
    a: float  # normal: mean; lognormal: median; uniform: lower
    b: float  # normal: sd; lognormal: sigma of log; uniform: upper

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.dist == "normal":
            return -0.5 * ((x - self.a) / self.b) ** 2
        if self.dist == "lognormal":
            with np.errstate(divide="ignore", invalid="ignore"):
                lx = np.where(x > 0, np.log(np.maximum(x, 1e-300)), np.nan)
                out = -0.5 * ((lx - math.log(self.a)) / self.b) ** 2 - lx
            return np.where(x > 0, out, -np.inf)
        return np.where((x >= self.a) & (x <= self.b), 0.0, -np.inf)


@dataclass
class Target:
    """One target.  ``data`` is in the data's units (``units``); a range has ``data = [a, b]``."""

    key: str
    kind: str
    label: str                   # "file.toml: targets.key" for messages
    scenario: str
    units: str = "Dmnl"
    source: str = ""
    variable: str | None = None  # as written; numerator for a ratio
    denominator: str | None = None
    parameter: str | None = None
    time: float | None = None
    since: float | None = None   # value/range: the change of the variable from ``since`` to ``time``
    start: float | None = None
    end: float | None = None
    times: np.ndarray | None = None
    data: np.ndarray = field(default_factory=lambda: np.zeros(0))
    se: np.ndarray | None = None
    weight: float = 1.0
    scale: float | None = None
    file: Path | None = None
    # filled by bind():
    vensim: str | None = None      # Vensim name of the variable (numerator)
    vensim_den: str | None = None
    py: str | None = None
    py_den: str | None = None
    model_units: str = ""
    factor: float = 1.0            # data units -> model units

    @property
    def n(self) -> int:
        return 1 if self.kind == "range" else int(self.data.size)

    @property
    def sigma(self) -> np.ndarray:
        """Scale dividing (model - data), in data units, one per element."""
        if self.se is not None:
            return np.broadcast_to(self.se, (self.n,)).astype(float)
        if self.kind == "range":
            lo, hi = self.data
            s = self.scale if self.scale is not None else (
                (hi - lo) / 2 if hi > lo else max(abs(hi), 1e-12))
            return np.full(1, s / math.sqrt(self.weight))
        if self.scale is not None:
            s = np.full(self.n, self.scale)
        elif self.kind == "series":
            rms = float(np.sqrt(np.mean(self.data ** 2)))
            s = np.full(self.n, rms if rms > 0 else 1.0)
        else:
            s = np.where(np.abs(self.data) > 0, np.abs(self.data), 1.0)
        return s / math.sqrt(self.weight)

    def describe(self) -> str:
        what = self.parameter or self.variable
        if self.denominator:
            what = f"{what} / {self.denominator}"
        if self.kind == "series":
            return f"{what} series ({self.n} points)"
        if self.since is not None:
            return f"change of {what} from {self.since:g} to {self.time:g}"
        if self.time is not None:
            return f"{what} at {self.time:g}"
        if self.start is not None:
            return f"{self.kind} of {what} over {self.start:g}-{self.end:g}"
        return f"{what}"


@dataclass
class TargetSet:
    """The targets of one file with its bounds, priors and default free parameters."""

    name: str
    source: str
    path: Path | None
    targets: list[Target]
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    priors: dict[str, Prior] = field(default_factory=dict)
    free: list[str] = field(default_factory=list)
    description: str = ""
    bound: bool = False
    fixed: dict[str, dict] = field(default_factory=dict)  # name -> {"value", "source"}

    def fixed_values(self) -> dict[str, float]:
        """{parameter name: value} of the ``[fixed]`` table."""
        return {k: v["value"] for k, v in self.fixed.items()}

    @property
    def label(self) -> str:
        return str(self.path) if self.path else f"<targets {self.name}>"

    @property
    def scenarios(self) -> list[str]:
        out: list[str] = []
        for t in self.targets:
            if t.scenario not in out:
                out.append(t.scenario)
        return out

    def __iter__(self):
        return iter(self.targets)

    def __len__(self):
        return len(self.targets)
