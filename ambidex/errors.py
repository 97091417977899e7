"""Public import path kept for user code (``from ambidex.errors import ScenarioError``); the errors live in :mod:`ambidex.core.errors`."""
from .core.errors import (  # noqa: F401
    AmbidexError,
    ModelError,
    OutputError,
    ScenarioError,
    SolverError,
    UnsupportedFunctionError,
)
