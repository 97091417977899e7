"""ambidex: system-dynamics models of SMEs running a collaboration-based and a market-based
business model at once, joined by a cross-functional team that senses, seizes and transforms.

Public API::

    model = ambidex.load_model()                       # default: the dual business model
    scen = ambidex.load_scenario("fragmentation")       # by name from scenarios/, or a path
    ds = ambidex.simulate(model, scenarios=[...], params={...}, method="LSODA")
"""

from . import (
    calibrate,  # noqa: E402,F401  callable: ambidex.calibrate(model, targets, free=[...])
    check,  # noqa: E402,F401  callable: ambidex.check(model=None, checks_file=None) -> CheckReport
    sensitivity,  # noqa: E402,F401  callable: ambidex.sensitivity(model, spec) -> xarray.Dataset
)
from .ensemble import ensemble
from .errors import AmbidexError, ModelError, ScenarioError, SolverError
from .loops import loop_dominance  # noqa: E402,F401  ambidex.loop_dominance(model, scenario=None, samples=None)
from .model import Model, Parameter, Variable, load_model
from .scenario import Scenario, list_scenarios, load_scenario
from .simulate import simulate
from .solve import solve

__version__ = "0.1.0"

__all__ = [
    "AmbidexError", "ModelError", "ScenarioError", "SolverError",
    "Model", "Parameter", "Variable", "Scenario",
    "load_model", "load_scenario", "list_scenarios", "simulate", "ensemble", "solve",
    "sensitivity",
]
