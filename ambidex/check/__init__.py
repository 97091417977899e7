"""Standard system-dynamics validation tests a program can run (Sterman 2000 ch. 21;
Barlas 1996), each giving pass / warn / fail with evidence::

    report = ambidex.check()                      # the dual model and its .checks.toml
    report = ambidex.check("my.mdl", checks_file="my.checks.toml")
    report.passed, report.failures, report.to_json("checks.json"), report.to_dataset()

Categories (``only=`` / ``skip=`` select them):

* ``units`` — dimensional consistency of every equation (:mod:`.units`);
* ``parameters`` — units, documented source, plausible range, default inside (:mod:`.parameters`);
* ``structure`` — defined/used variables, named flows, mass balance, declared ranges (:mod:`.structure`);
* ``extremes`` — every parameter at 0, its bounds and ×10: finite, bounded (:mod:`.extremes`);
* ``battery`` — a Latin hypercube over every parameter's full declared range at once (2,048 runs on
  the compiled engine): finite, physical stocks >= 0, outputs within declared ranges (:mod:`.battery`);
* ``integration`` — time-step halving and method changes move key outputs < 1 % (:mod:`.integration`);
* ``reality`` — declared reality checks from a TOML file (:mod:`.reality`).

``ambidex.check`` is this subpackage and is callable: ``ambidex.check(...)`` is
:func:`run_checks`.  ``ambidex.check.pytest_plugin`` offers the ``sd_check`` fixture.
"""

from __future__ import annotations

import sys
import time
import types
from pathlib import Path

from .report import CATEGORIES, CheckReport, CheckResult

__all__ = ["run_checks", "check", "CheckReport", "CheckResult", "CATEGORIES", "default_checks_file"]


def default_checks_file(model_path) -> Path:
    """``<model stem>.checks.toml`` beside the model file."""
    p = Path(model_path)
    return p.with_name(p.stem + ".checks.toml")


def run_checks(model=None, checks_file=None, only=None, skip=None, tolerance: float = 0.01,
               extremes_factor: float = 10.0) -> CheckReport:
    """Run the validation tests on ``model`` (a :class:`~ambidex.Model`, a path, or None for the
    dual model) and return a :class:`CheckReport`.

    ``checks_file``: reality checks TOML (default ``<model>.checks.toml`` beside the model; none
    there: the reality category is skipped with a warning).  ``only`` / ``skip``: iterables of
    category names (see :data:`CATEGORIES`).  ``tolerance``: the relative change allowed in the
    integration tests.  A model that cannot be loaded gives a report with one failure (and the
    undefined names, when that is why).
    """
    from ..core.errors import AmbidexError
    from ..core.model import DEFAULT_MODEL, Model, load_model

    t0 = time.perf_counter()
    cats = [c for c in CATEGORIES if (only is None or c in set(only)) and c not in set(skip or ())]
    unknown = set(only or ()) | set(skip or ())
    unknown -= set(CATEGORIES)
    if unknown:
        raise ValueError(f"unknown check categories {sorted(unknown)}; choose from {', '.join(CATEGORIES)}")
    path = model.path if isinstance(model, Model) else Path(model) if model is not None else DEFAULT_MODEL
    report = CheckReport(model=str(path))
    try:
        m = model if isinstance(model, Model) else load_model(path)
    except AmbidexError as exc:
        from .structure import undefined

        try:
            found = undefined(path) if path.is_file() else []
        except Exception:
            found = []
        report.extend(found)
        report.add("structure", "structure.load", path.name, "fail", f"the model cannot be loaded: {exc}",
                   {"error": str(exc)})
        report.elapsed = time.perf_counter() - t0
        return report

    if "units" in cats:
        from .units import check_units
        report.extend(check_units(m))
    if "parameters" in cats:
        from .parameters import check_parameters
        report.extend(check_parameters(m))
    if "structure" in cats:
        from .structure import check_structure
        report.extend(check_structure(m))
    if "extremes" in cats:
        from .extremes import check_extremes
        report.extend(check_extremes(m, factor=extremes_factor))
    if "battery" in cats:
        from .battery import check_battery
        report.extend(check_battery(m))
    if "integration" in cats:
        from .integration import check_integration
        report.extend(check_integration(m, tolerance=tolerance))
    if "reality" in cats:
        from .reality import check_reality
        cf = Path(checks_file) if checks_file is not None else default_checks_file(m.path)
        report.checks_file = str(cf)
        if checks_file is None and not cf.is_file():
            report.add("reality", "reality.file", m.name, "warn",
                       f"no reality checks declared (no '{cf.name}' beside the model)", {"looked_for": str(cf)})
        else:
            report.extend(check_reality(m, cf))
    report.elapsed = time.perf_counter() - t0
    return report


check = run_checks


class _CallableModule(types.ModuleType):
    """Lets ``ambidex.check(...)`` run the checks while ``ambidex.check.<module>`` still works."""

    def __call__(self, model=None, checks_file=None, **kwargs) -> CheckReport:
        return run_checks(model, checks_file, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
