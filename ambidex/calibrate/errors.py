"""Errors and warnings of the calibration subpackage."""

from __future__ import annotations

from ..core.errors import ScenarioError


class CalibrationError(ScenarioError):
    """A targets file, a data file or a calibration request is wrong.

    A :class:`~ambidex.core.errors.ScenarioError` (hence an :class:`~ambidex.core.errors.AmbidexError`):
    the message names the file and the key (``case_firm.toml: targets.roa.units: ...``).
    """


class CalibrationWarning(UserWarning):
    """Something about a fit the user should know: e.g. a parameter the targets cannot identify."""
