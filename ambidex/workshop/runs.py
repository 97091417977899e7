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

from ..scenario import scenario_from_dict
from ..simulate import simulate

# variables the views need (py names); exports simulate every variable
VIEW_VARIABLES = (
    "total_revenue", "collaboration_revenue", "market_revenue", "operating_margin", "roa",
    "relationship_trust", "tacit_knowledge", "codified_knowledge", "exploration_share",
    "exploitation_share", "myopia_index", "fragmentation_index", "polarization_index",
    "collaboration_share_of_revenue", "ambidexterity_balance", "cognitive_proximity",
    "team_capacity", "exclusive_revenue", "co_created_market_revenue", "legacy_market_revenue",
    "novelty_multiplier", "ambidexterity_combined",
)

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
    """Compile the engine (numba) and prime the PySD backend so the first slider move is fast."""
    run(model, {"name": "warm-up", "source": "workshop warm-up", "parameters": {}})
    model.compiled()
