"""Errors raised by ambidex.

Every error a user can cause (a bad file, an unknown name, an out-of-range value, a model that
does not translate, a solver failure) is an :class:`AmbidexError` whose message names the file,
the key or variable, and what was allowed.  The CLI turns any of them into one line on stderr and
a non-zero exit code.
"""

from __future__ import annotations


class AmbidexError(Exception):
    """Base class of every error ambidex raises on purpose."""

    exit_code = 2


class ModelError(AmbidexError):
    """A model file is missing, cannot be translated, or is used with an unknown name."""


class ScenarioError(AmbidexError):
    """A scenario file is malformed or names what the model does not have."""


class SolverError(AmbidexError):
    """The integration failed, produced NaN/inf, or drove a physical stock negative."""


class UnsupportedFunctionError(ModelError):
    """The compiled backend meets a function it cannot compile.

    The message names the function and the variable using it and says that
    ``backend="pysd"`` runs the model.
    """

    def __init__(self, function: str, variable: str | None = None, model: str | None = None):
        self.function = function
        self.variable = variable
        self.model = model
        where = f" in variable '{variable}'" if variable else ""
        src = f" of model '{model}'" if model else ""
        super().__init__(
            f"the compiled backend does not support the function '{function}'{where}{src}; "
            "run this model with backend=\"pysd\" instead"
        )


class OutputError(AmbidexError):
    """An output path cannot be written (a file where a folder is needed, a folder where a file
    is needed, no permission) -- found before any computing starts."""
