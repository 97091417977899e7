"""ambidex: system-dynamics models of SMEs running a collaboration-based and a market-based
business model at once, joined by a cross-functional team that senses, seizes and transforms.

Public API::

    model = ambidex.load_model()                       # default: the dual business model
    scen = ambidex.load_scenario("fragmentation")       # by name from scenarios/, or a path
    ds = ambidex.simulate(model, scenarios=[...], params={...})
    ens = ambidex.ensemble(model, samples={...})
    ds = ambidex.solve(model, scenarios=[...], samples={...})   # dims (scenario, sample, time)
    fit = ambidex.calibrate(model, "scenarios/data/case_firm.toml")
    ds = ambidex.sensitivity(model, "scenarios/sensitivity/dual_model_sobol.toml")
    dom = ambidex.loop_dominance(model)
    report = ambidex.check(model)

Names load on first use (PEP 562), so ``import ambidex`` and ``ambidex --help`` do not import
PySD, numba, scipy or pandas.  ``ambidex.calibrate``, ``ambidex.sensitivity`` and
``ambidex.check`` are the functions; their subpackages are imported by full name
(``from ambidex.calibrate import load_targets``).
"""

from __future__ import annotations

import functools
import importlib
import sys
import types
import warnings

from .core.errors import AmbidexError, ModelError, ScenarioError, SolverError

__version__ = "0.1.0"

# PySD warns (with its own source path) for every model file without an encoding header before
# it parses it; it then reads UTF-8, which is what ambidex expects.  Not the user's problem.
warnings.filterwarnings("ignore", message="No encoding specified or detected", category=UserWarning)

# public name -> (module, attribute)
_LAZY = {
    "Model": ("ambidex.core.model", "Model"),
    "Parameter": ("ambidex.core.model", "Parameter"),
    "Variable": ("ambidex.core.model", "Variable"),
    "load_model": ("ambidex.core.model", "load_model"),
    "Scenario": ("ambidex.core.scenario", "Scenario"),
    "load_scenario": ("ambidex.core.scenario", "load_scenario"),
    "list_scenarios": ("ambidex.core.scenario", "list_scenarios"),
    "simulate": ("ambidex.simulate", "simulate"),
    "ensemble": ("ambidex.ensemble", "ensemble"),
    "solve": ("ambidex.solve", "solve"),
    "calibrate": ("ambidex.calibrate.core", "calibrate"),
    "sensitivity": ("ambidex.sensitivity.api", "run_sensitivity"),
    "check": ("ambidex.check", "run_checks"),
    "loop_dominance": ("ambidex.loops.dominance", "loop_dominance"),
}
# subpackages that share their name with a public function: the function wins
_SHADOWED = {"calibrate", "sensitivity", "check", "simulate", "ensemble", "solve"}

__all__ = ["AmbidexError", "ModelError", "ScenarioError", "SolverError", "__version__",
           *_LAZY]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'ambidex' has no attribute {name!r}")
    module, attr = _LAZY[name]
    value = getattr(importlib.import_module(module), attr)
    if name in _SUBPACKAGE_FUNCTIONS:
        value = _with_package_names(value, importlib.import_module(f"ambidex.{name}"))
    globals()[name] = value  # cached: later lookups are plain attribute reads
    return value


_SUBPACKAGE_FUNCTIONS = {"calibrate", "sensitivity", "check"}


def _with_package_names(func, package):
    """A copy of ``func`` (same code, signature and docstring) that also carries the
    subpackage's public names, so ``import ambidex.calibrate as cal; cal.load_targets`` keeps
    working although ``ambidex.calibrate`` is the function."""
    copy = types.FunctionType(func.__code__, func.__globals__, func.__name__, func.__defaults__,
                              func.__closure__)
    copy.__kwdefaults__ = func.__kwdefaults__
    functools.update_wrapper(copy, func, updated=())
    del copy.__wrapped__  # help() and inspect show this function itself
    for key in getattr(package, "__all__", None) or [k for k in vars(package) if not k.startswith("_")]:
        if hasattr(package, key) and not hasattr(copy, key):
            setattr(copy, key, getattr(package, key))
    return copy


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


class _Package(types.ModuleType):
    """The import system sets a subpackage as an attribute of its parent when it is first
    imported (``ambidex.calibrate`` the package); keep the public function of that name."""

    def __setattr__(self, name, value):
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
