"""The records a model is made of: :class:`Variable`, :class:`Parameter`, :class:`Stock`
(re-exported by :mod:`ambidex.core.model`, where they are documented for users), and the names of
the simulation control values."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .parameters import ParameterTable, outside

CONTROL_NAMES = ("initial_time", "final_time", "time_step", "saveper")


def normalise(name: str) -> str:
    """Key for matching names: case-insensitive, spaces/underscores/hyphens alike."""
    return re.sub(r"[\s_\-]+", " ", str(name)).strip().lower()


@dataclass(frozen=True)
class Variable:
    """One model variable.

    ``name`` is the name in the model file, ``py_name`` PySD's Python name (used as the data
    variable name in result datasets); ``kind`` is 'stock', 'flow', 'auxiliary' or 'constant';
    ``lower``/``upper`` come from the units range (``~ FTE [0,?]``) where given.
    """

    name: str
    py_name: str
    units: str
    doc: str
    kind: str
    sector: str = ""
    lower: float | None = None
    upper: float | None = None
    subscripts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Parameter:
    """A constant the user may override: unit, default, plausible bounds and documented source."""

    name: str
    py_name: str
    units: str
    default: float
    lower: float | None
    upper: float | None
    doc: str
    sector: str = ""

    def check(self, value: float, where: str) -> None:
        """Raise ``ValueError`` (message naming ``where``) if ``value`` is outside the bounds
        (the rule and wording of :class:`~ambidex.core.parameters.ParameterTable`)."""
        if outside(self.lower, self.upper, value):
            raise ValueError(ParameterTable.range_message(self, value, where))


@dataclass(frozen=True)
class Stock:
    """A stock with the variables flowing in and out of it (py names)."""

    name: str
    py_name: str
    inflows: tuple[str, ...]
    outflows: tuple[str, ...]
    physical: bool  # its declared range starts at 0: going negative is an error
