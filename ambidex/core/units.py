"""The one pint registry of ambidex.

Every unit ambidex reads goes through :func:`registry`: pint's own definitions (SI and the
usual time units) plus the units SME models use (``EUR``, ``FTE``, ``customer``, ``project``,
``product``, ``KU``, ``Dmnl``, Vensim's capitalised time units).  Two readers share it:
calibration converts data units to model units with pint's meanings
(:mod:`ambidex.calibrate.units`); the dimensional-consistency check
(:mod:`ambidex.check.units`) keeps Vensim's rule that every unit name is a symbol of its own
and defines its names, prefixed ``u_``, in the same registry with :func:`define_once`.
"""

from __future__ import annotations

import threading
from functools import lru_cache

#: units the models use, on top of pint's own
DEFINITIONS = [
    "EUR = [currency] = euro",
    "USD = [currency_usd]",
    "FTE = [staff]",
    "customer = [customer] = customers",
    "project = [project] = projects",
    "product = [product] = products",
    "KU = [knowledge]",
    "Dmnl = [] = dmnl",
    "fraction = [] ",
    "Year = year = Years = years",
    "Quarter = 0.25 * year = Quarters",
    "Month = month",
    "Week = week",
    "Day = day",
    "Hour = hour = Hours",
    "Minute = minute = Minutes",
    "Second = second = Seconds",
]

_LOCK = threading.Lock()
_DEFINED: set[str] = set()


@lru_cache(maxsize=1)
def registry():
    """The shared ``pint.UnitRegistry`` (built once per process, ~0.3 s) with
    :data:`DEFINITIONS` added."""
    import pint

    ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    for d in DEFINITIONS:
        try:
            ureg.define(d)
        except Exception:  # already defined in a pint version: keep pint's
            pass
    return ureg


def define_once(name: str, definition: str) -> None:
    """Add ``definition`` (pint syntax, defining ``name``) to the registry unless ``name`` was
    added before by this function (a second definition would be a redefinition)."""
    with _LOCK:
        if name in _DEFINED:
            return
        registry().define(definition)
        _DEFINED.add(name)
