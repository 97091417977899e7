"""``simulate``: one run per scenario, a thin wrapper over :func:`ambidex.solve`.

``simulate(model, scenarios, params, method)`` returns one ``xarray.Dataset`` with dims
``scenario`` and ``time`` (``solve``'s result without its one-sample ``sample`` dim); a failed
run raises :class:`~ambidex.core.errors.SolverError` naming the scenario, the variable and the time.
"""

from __future__ import annotations

from collections.abc import Iterable

import xarray as xr

from .core.grid import save_times as _save_times  # noqa: F401  (kept for old imports)
from .solve import DEFAULT_METHOD as _DEFAULTS
from .solve import as_model, method_choice, run, solve  # noqa: F401  (old imports)

DEFAULT_METHOD = _DEFAULTS["pysd"]
BACKENDS = ("auto", "pysd", "compiled")
DEFAULT_RTOL = DEFAULT_ATOL = 1e-6


def simulate(model=None, scenarios=None, params: dict | None = None, method: str | None = None,
             rtol: float | None = None, atol: float | None = None, time_step: float | None = None,
             saveper: float | None = None, variables: Iterable[str] | None = None,
             backend: str = "auto") -> xr.Dataset:
    """Simulate ``scenarios`` (names, paths or :class:`Scenario`; default: model defaults).

    ``params`` (name -> value) override parameters in every scenario; ``method`` is one of
    LSODA, RK45, RK23, DOP853, Radau, BDF (scipy, PySD backend), dopri5 or bs3 (per-run
    adaptive Dormand-Prince 5(4) or Bogacki-Shampine 3(2), compiled backend), euler, rk4, and overrides the scenarios' own (default: the scenario's,
    else the model file's saved method, else the engine's default); ``backend`` is "auto"
    (default: the compiled engine where the model compiles, the scenario has no scheduled
    interventions and the method allows; the adaptive default is then dopri5), "pysd" or
    "compiled"; ``time_step`` (model time unit) is the Euler/RK4 step, default the model's TIME
    STEP; ``saveper`` the output interval, default the model's SAVEPER.  ``variables`` limits the
    output to these names.

    Returns an ``xarray.Dataset`` with dims (scenario, time); each model variable is a data
    variable named by its Python name with attrs ``units``, ``description`` and ``long_name``;
    dataset attrs are the provenance schema of :func:`ambidex.core.assembly.provenance`.
    """
    model = as_model(model)
    keep = None if variables is None else [model.resolve(v) for v in variables]
    solver = {"method": method, "rtol": rtol, "atol": atol, "time_step": time_step}
    # every variable is computed anyway: ask for all (one compiled module), keep the requested
    sol = run(model, scenarios, solver=solver, saveat=saveper, engine=backend, params=params)
    return sol.dataset(sample_dim=False, keep=keep)
