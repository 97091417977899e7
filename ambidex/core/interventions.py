"""Scheduled interventions: a parameter that changes at a time (step, ramp, pulse).

An intervention is a small immutable value; :func:`schedule` folds the interventions on one
parameter into a function of time, and :func:`breakpoints` lists the times at which an adaptive
solver must stop and restart so it never steps over a change.

Semantics (times in the model's time unit, values in the parameter's unit):

- ``step``:  from ``time`` on, the parameter is ``to``.
- ``ramp``:  from ``start`` to ``end`` it moves linearly from its level at ``start`` to ``to``,
  and stays at ``to`` afterwards.
- ``pulse``: for ``time <= t < time + width`` it is raised by ``height`` (Vensim's PULSE).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

KINDS = ("step", "ramp", "pulse")


@dataclass(frozen=True)
class Intervention:
    """One scheduled change of a parameter (py name in ``parameter``)."""

    parameter: str
    kind: str
    time: float
    to: float | None = None
    end: float | None = None
    height: float | None = None
    width: float | None = None

    def apply(self, base: Callable[[float], float]) -> Callable[[float], float]:
        """Return the schedule ``t -> value`` this intervention makes of ``base``."""
        if self.kind == "step":
            t0, to = self.time, self.to

            def f(t: float) -> float:
                return to if t >= t0 else base(t)

        elif self.kind == "ramp":
            t0, t1, to = self.time, self.end, self.to

            def f(t: float) -> float:
                if t < t0:
                    return base(t)
                start = base(t0)
                if t >= t1:
                    return to
                return start + (to - start) * (t - t0) / (t1 - t0)

        elif self.kind == "pulse":
            t0, t1, h = self.time, self.time + self.width, self.height

            def f(t: float) -> float:
                return base(t) + (h if t0 <= t < t1 else 0.0)

        else:  # validated at load time; kept for direct construction
            raise ValueError(f"unknown intervention kind '{self.kind}', allowed: {', '.join(KINDS)}")
        return f

    def times(self) -> tuple[float, ...]:
        """Times at which the schedule changes slope or jumps."""
        if self.kind == "ramp":
            return (self.time, self.end)
        if self.kind == "pulse":
            return (self.time, self.time + self.width)
        return (self.time,)


def schedule(default: float, interventions) -> Callable[[float], float]:
    """Fold ``interventions`` (in order) over a constant ``default`` into ``t -> value``."""

    def f(t: float) -> float:
        return default

    for iv in interventions:
        f = iv.apply(f)
    return f


def breakpoints(interventions, t0: float, t1: float) -> list[float]:
    """Sorted change times strictly inside (t0, t1)."""
    return sorted({t for iv in interventions for t in iv.times() if t0 < t < t1})
