"""The engine protocol: what :func:`ambidex.solve` asks of every way of integrating a model.

An engine is built for one :class:`~ambidex.core.model.Model` and runs N parameter sets at once::

    result = engine.run(P, times, outputs, solver, interventions=(), horizon=None)

``P`` is the (N, P) matrix of :class:`~ambidex.core.parameters.ParameterTable` (columns in the
table's order), ``times`` the save times (model time unit), ``outputs`` the Python names of the
variables to return (``None``: every unsubscripted variable), ``solver`` a :class:`Solver`,
``interventions`` validated scheduled changes, ``horizon`` (t0, t1) (None: the model's).  It
returns a :class:`RunResult` with one status per run: a failed run never raises, so one bad
sample cannot spoil an ensemble; :func:`ambidex.solve` decides whether to raise or mark.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Solver:
    """Integration settings: ``method`` (an engine's method name), ``rtol``/``atol`` (adaptive
    methods), ``time_step`` (fixed-step methods; model time unit; None: the model's TIME STEP),
    ``max_step`` (adaptive; None: unlimited, or TIME STEP where the model has STEP/PULSE/RAMP),
    ``max_steps`` (per run, compiled dopri5)."""

    method: str
    rtol: float = 1e-6
    atol: float = 1e-6
    time_step: float | None = None
    max_step: float | None = None
    max_steps: int = 200_000

    def record(self) -> dict:
        """The settings as a plain dict (for provenance)."""
        return {"method": self.method, "rtol": self.rtol, "atol": self.atol,
                "time_step": self.time_step, "max_step": self.max_step}


@dataclass
class RunResult:
    """Outputs of N runs: ``values`` (N, V, T) float64 in ``outputs`` order, ``time`` (T,),
    ``status`` (N,) int (0 = ok) and ``messages`` (N,) str ('' for a good run; else what failed
    and when, without the sample index), ``fail_time`` (N,) where known."""

    values: np.ndarray
    outputs: tuple[str, ...]
    time: np.ndarray
    status: np.ndarray
    messages: list[str] = field(default_factory=list)
    fail_time: np.ndarray | None = None  # (N,) model time a failed run stopped (NaN: ok)
    #: subscripted outputs: py name -> (dims, {dim: elements}, array (N, T, *sizes), partial)
    #: (``partial``: the model defines only some elements; the others stay NaN)
    subscripted: dict = field(default_factory=dict)

    @property
    def failed(self) -> np.ndarray:
        """Boolean mask (N,) of runs the engine reports as failed."""
        return self.status != 0


@dataclass
class StatePoint:
    """One run's full state at one time and its right-hand side there (for structure analysis).

    ``t`` model time; ``y`` (S,) every differential state the engine keeps (stocks and the
    internal states of delays and smooths; the compiled engine's also holds its DELAY FIXED /
    SAMPLE IF TRUE states, stepped once per TIME STEP; stock units); ``names`` (S,) the state
    each entry belongs to (pysd: PySD's stateful names, ``_integ_<stock>`` for a stock;
    compiled: its state names, a stock's model name); ``stocks`` stock py name -> slice of
    ``y``; ``rhs(y)`` d(state)/dt at ``t`` for any state ``y`` (stock units per time unit),
    everything else (parameters, scenario) held as the run had it."""

    t: float
    y: np.ndarray
    names: tuple[str, ...]
    stocks: dict[str, slice]
    rhs: Callable[[np.ndarray], np.ndarray]


@runtime_checkable
class Engine(Protocol):
    """One way of integrating a model (see the module docstring)."""

    name: str
    methods: tuple[str, ...]

    def unsupported(self, scenario, solver: Solver) -> str | None:
        """Why this engine cannot run ``scenario`` with ``solver`` (None: it can)."""

    def run(self, P: np.ndarray, times: np.ndarray, outputs, solver: Solver,
            interventions=(), horizon=None) -> RunResult:
        """Run every row of ``P``; see the module docstring."""


#: engines that can also hand out a run's state and right-hand side at a time (pysd, compiled):
#: ``state_at(p, t, solver, interventions=(), horizon=None) -> StatePoint`` for one parameter
#: row ``p`` (P,); :func:`ambidex.solve.state_at` is the one caller
