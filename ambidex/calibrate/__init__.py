"""Calibration of ambidex models against case data.

The subpackage is callable: ``ambidex.calibrate(model, targets, free=[...], method=...)`` is
:func:`~ambidex.calibrate.core.calibrate`.

- :mod:`.targets` — target files (TOML: series, value at a date, mean/sum over a period,
  ratio/share, range, soft parameter targets), with units converted by :mod:`.units` (pint)
- :mod:`.objective` — the :class:`Problem`: free parameters, bounds, batched residuals through
  :func:`ambidex.ensemble`
- :mod:`.estimators` — bounded least squares (multi-start), differential evolution, emcee MCMC
- :mod:`.diagnostics` — per-target fit, Theil U^M/U^S/U^C, MAPE, R², standard errors,
  correlations, identifiability warnings
- :mod:`.outputs` — xarray Dataset (netCDF), plotly HTML fit report, calibrated scenario TOML
"""

import sys as _sys
import types as _types

from .core import CalibrationResult, calibrate
from .errors import CalibrationError, CalibrationWarning
from .objective import Problem
from .targets import Target, TargetSet, load_targets
from .units import factor as unit_factor

__all__ = ["calibrate", "CalibrationResult", "CalibrationError", "CalibrationWarning",
           "Problem", "Target", "TargetSet", "load_targets", "unit_factor"]


class _CallableModule(_types.ModuleType):
    """Lets ``ambidex.calibrate(...)`` call :func:`calibrate` while the subpackage stays importable."""

    def __call__(self, *args, **kwargs):
        return calibrate(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
