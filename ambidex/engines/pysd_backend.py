"""The PySD backend: a right-hand side f(t, y) and output evaluation from a loaded PySD model.

PySD integrates with Euler only.  Here its stateful objects are driven from outside: set the
time, set the stocks' states, clear the step caches, call ``ddt()``.  Fixed-step Euler on this
right-hand side reproduces ``model.run()`` exactly; any scipy solver can integrate it too.

DELAY FIXED and SAMPLE IF TRUE are not differential states: PySD advances them once per time
step.  They are kept out of the state vector and stepped by :meth:`PysdRunner.advance` (fixed-step
methods only).  PySD keeps unsubscripted states as floats or 0-d numpy arrays and subscripted ones
as xarray DataArrays; both are handled.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from ..core.errors import ModelError
from ..core.interventions import schedule

if TYPE_CHECKING:  # type hints only
    from ..core.model import Model
    from ..core.scenario import Scenario

DISCRETE = {"DelayFixed": "DELAY FIXED", "SampleIfTrue": "SAMPLE IF TRUE"}


def _pulse_through_end(original):
    """PySD's ``pulse`` with Vensim's PULSE TRAIN end: a pulse starting at ``end`` fires (PySD
    stops before it).  Vensim's own XMILE export writes PULSE TRAIN as ``TIME >= start AND
    TIME <= end AND (TIME - start) MOD interval < width``."""

    def pulse(time, start, repeat_time=0, width=None, magnitude=None, end=None):
        if end is not None and np.all(np.asarray(repeat_time) != 0):
            end = np.nextafter(end, np.inf)
        return original(time, start, repeat_time=repeat_time, width=width,
                        magnitude=magnitude, end=end)

    return pulse


def vensim_functions(pm) -> None:
    """Make the loaded PySD model ``pm`` compute the functions where PySD departs from Vensim
    as Vensim does (only this model's module is changed): PULSE TRAIN fires at its end."""
    module = pm.components._components
    original = getattr(module, "pulse", None)
    if original is not None and not getattr(original, "_ambidex", False):
        module.pulse = _pulse_through_end(original)
        module.pulse._ambidex = True


class PysdRunner:
    """One prepared run of ``model`` under a validated ``scenario``.

    ``y0`` is the initial state vector, ``rhs(t, y)`` its time derivative, ``outputs(t, y)`` the
    value of every model variable (py name -> float) at that time and state.
    """

    def __init__(self, model: Model, scenario: Scenario, time_step: float, saveper: float):
        self.model = model
        pm = model.new_pysd()
        vensim_functions(pm)
        self.pm = pm
        overrides: dict = dict(scenario.parameters)
        by_param: dict[str, list] = {}
        for iv in scenario.interventions:
            by_param.setdefault(iv.parameter, []).append(iv)
        defaults = model.defaults()
        for py, ivs in by_param.items():
            f = schedule(overrides.get(py, defaults[py]), ivs)
            overrides[py] = (lambda f=f: f(pm.time()))
        t0, t1 = scenario.horizon
        if t0 != model.control["initial_time"]:
            overrides["initial_time"] = t0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                pm._config_simulation(
                    overrides, None, None, "original", t1, time_step, saveper,
                    False, progress=False,
                )
            except NotImplementedError as exc:  # PySD's "Not implemented function 'x'"
                raise ModelError(f"model '{model.path.name}': the PySD engine cannot run it: "
                                 f"{exc}") from None
        self.t0 = float(pm.time())
        every = list(pm._dynamicstateful_elements)
        self.discrete = [el for el in every if type(el).__name__ in DISCRETE]
        self.elements = [el for el in every if type(el).__name__ not in DISCRETE]
        state = [el.state for el in self.elements]
        self.shapes = [np.shape(getattr(s, "values", s)) for s in state]
        self.sizes = [int(np.prod(s)) if s else 1 for s in self.shapes]
        self._templates = list(state)
        self.y0 = self._flatten(state)
        self.output_names = list(model.variables)

    def state_slice(self, stock_py_name: str) -> slice:
        """Where the stock ``stock_py_name`` sits in the state vector."""
        i = 0
        for el, size in zip(self.elements, self.sizes):
            if getattr(el, "py_name", "") == f"_integ_{stock_py_name}":
                return slice(i, i + size)
            i += size
        raise KeyError(stock_py_name)

    def _flatten(self, state) -> np.ndarray:
        return np.concatenate([np.ravel(getattr(s, "values", s)).astype(float) for s in state]) \
            if len(state) else np.zeros(0)

    def _set(self, t: float, y: np.ndarray) -> None:
        pm = self.pm
        pm.time.update(t)
        i = 0
        for el, tmpl, shape, size in zip(self.elements, self._templates, self.shapes, self.sizes):
            chunk = y[i:i + size]
            i += size
            if isinstance(tmpl, xr.DataArray):
                new = tmpl.copy(data=chunk.reshape(shape))
            elif shape:
                new = chunk.reshape(shape).copy()
            else:
                new = float(chunk[0])
            el.update(new)
        pm.clean_caches()

    def rhs(self, t: float, y: np.ndarray) -> np.ndarray:
        """d(state)/dt at time ``t`` (model time unit) and state ``y``."""
        self._set(t, y)
        return self._flatten([el.ddt() for el in self.elements])

    def advance(self, t: float, y: np.ndarray) -> None:
        """Step DELAY FIXED / SAMPLE IF TRUE from time ``t`` to the next TIME STEP (their inputs
        evaluated at ``t``, ``y``, as PySD's own Euler loop does)."""
        if self.discrete:
            self._set(t, y)
            for el in self.discrete:
                el.update(None)
            self.pm.clean_caches()

    def outputs(self, t: float, y: np.ndarray) -> dict:
        """Every model variable at time ``t`` and state ``y``: a float, or an
        ``xarray.DataArray`` (dims named after the subscript ranges) for subscripted ones."""
        self._set(t, y)
        comps = self.pm.components
        out = {}
        for py in list(self.output_names):
            try:
                v = getattr(comps, py)()
            except TypeError:  # a lookup or data function that takes an argument: no series
                self.output_names.remove(py)
                continue
            if isinstance(v, xr.DataArray) and v.dims:
                out[py] = v.astype(float)
            else:
                out[py] = float(np.asarray(getattr(v, "values", v)))
        return out
