"""Simulating workshop scenarios through :func:`ambidex.simulate`, with a small result cache.

The cache is a pure memo of ``simulate`` keyed by the scenario's content (no per-user state):
two participants asking for the same levers share the result.  A lock serialises runs because
the PySD backend (used for interventions) is not thread-safe and the Dash server is threaded.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict

import xarray as xr

from ..core.scenario import scenario_from_dict
from ..simulate import simulate

#: ``variables`` default of :func:`run`: the views' variables from the model's profile (its
#: ``[[workshop]]`` outcomes plus ``[workshop_extra]``); ``None`` simulates every variable
VIEW_VARIABLES = "view"


def view_variables(model) -> list[str]:
    """Py names the workshop's views need, from the model's profile."""
    from ..core.profile import load_profile

    prof = load_profile(model)
    out = [it[0] for it in prof.workshop]
    return list(dict.fromkeys(out + list(prof.workshop_extra)))

_LOCK = threading.RLock()
_CACHE: OrderedDict = OrderedDict()
CACHE_SIZE = 256


def _key(model, scen: dict, variables) -> str:
    return json.dumps([model.sha256, scen, list(variables) if variables else None], sort_keys=True)


def run(model, scen: dict, variables=VIEW_VARIABLES) -> xr.Dataset:
    """Simulate one scenario dict (shaped like a TOML file); the scenario dim is its name."""
    key = _key(model, scen, variables)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
        sc = scenario_from_dict(scen)
        if variables == VIEW_VARIABLES:
            variables = view_variables(model)
        vs = [v for v in variables if v in model.variables] if variables else None
        ds = simulate(model, [sc], variables=vs)
        _CACHE[key] = ds
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
        return ds


def combine(datasets: list[xr.Dataset]) -> xr.Dataset:
    """Stack single-scenario datasets along ``scenario`` (outer join on time)."""
    if len(datasets) == 1:
        return datasets[0]
    return xr.concat(datasets, dim="scenario", join="outer", combine_attrs="drop_conflicts")


def warm_up(model) -> None:
    """One run of the model's defaults through ``simulate``, so the engine it uses is compiled
    (or PySD primed) before the first slider move (the page's script builds the browser's
    model from the compiled one meanwhile, :func:`ambidex.workshop.page_script`)."""
    run(model, {"name": "warm-up", "source": "workshop warm-up", "parameters": {}})
