"""Engines behind one protocol (:class:`~ambidex.engines.base.Engine`), chosen by name.

``compiled``: the model compiled to numba kernels (:mod:`ambidex.compiled`): euler, rk4 and
per-run adaptive dopri5, N runs at once.  ``pysd``: PySD's own equations as a right-hand side
under scipy (LSODA, RK45, Radau, ...) or fixed-step euler/rk4: any model PySD translates, and
scheduled interventions.  Adding an engine is adding one module and one line in ``ENGINES``
(or :func:`register_engine`), in the way xarray's ``open_dataset(engine=...)`` works.
"""

from __future__ import annotations

from importlib import import_module

from ..core.errors import ScenarioError
from .base import Engine, RunResult, Solver, StatePoint

#: name -> "module:Class" (imported on first use, so a missing optional engine costs nothing)
ENGINES: dict[str, str] = {
    "compiled": "ambidex.engines.compiled:CompiledEngine",
    "pysd": "ambidex.engines.pysd:PysdEngine",
}


def register_engine(name: str, target: str | type) -> None:
    """Make ``name`` selectable: ``target`` is a class taking a Model, or ``"module:Class"``."""
    ENGINES[name] = target


def engine_class(name: str) -> type:
    """The engine class registered as ``name``; ScenarioError listing the known names."""
    target = ENGINES.get(name)
    if target is None:
        raise ScenarioError(f"engine {name!r} is not one of {', '.join(sorted(ENGINES))} "
                            "(the registered engines; see ambidex.engines.register_engine)")
    if isinstance(target, str):
        mod, cls = target.split(":")
        target = getattr(import_module(mod), cls)
    return target


def get_engine(name: str, model) -> Engine:
    """The engine ``name`` for ``model``, built once per model and cached on it."""
    cache = model.__dict__.setdefault("_engines", {})
    cls = engine_class(name)
    eng = cache.get(name)
    if eng is None or type(eng) is not cls:
        eng = cls(model)
        cache[name] = eng
    return eng


__all__ = ["Engine", "RunResult", "Solver", "StatePoint", "ENGINES", "register_engine", "engine_class",
           "get_engine"]
