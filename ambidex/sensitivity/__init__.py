"""Scripted sensitivity analysis: sample -> evaluate -> analyze (SALib), Monte Carlo uncertainty
bands, scenario discovery (PRIM / CART), an HTML report, optional Dask distribution.

::

    import ambidex
    model = ambidex.load_model()
    ds = ambidex.sensitivity(model, "scenarios/sensitivity/dual_model_sobol.toml")
    ds.ST.sel(output="ROA mean 2017-2021")

    # any Python function over a sample matrix, spec as SALib's problem dict
    ds = ambidex.sensitivity(f, {"names": ["a", "b"], "bounds": [[0, 1], [0, 1]],
                                 "method": {"name": "sobol", "samples": 1024}, "seed": 1})

Pieces: :func:`load_spec`, :func:`sample`, :func:`evaluate`, :func:`analyze`,
:func:`uncertainty_bands`, :func:`discover`, :func:`build_report`, :func:`write_results`.
"""

from __future__ import annotations

import sys
import types

from .analysis import analyze
from .api import analyze_function, run_sensitivity, summary_frame, write_results
from .evaluate import evaluate
from .methods import n_runs, sample
from .spec import OutputSpec, ParamSpec, Spec
from .spec_parse import load_spec

sensitivity = run_sensitivity


def __getattr__(name):  # heavy parts load on first use
    if name in ("uncertainty_bands",):
        from .uncertainty import uncertainty_bands
        return uncertainty_bands
    if name == "discover":
        from .discovery import discover
        return discover
    if name == "build_report":
        from .report import build_report
        return build_report
    if name == "ModelEvaluator":
        from .model_eval import ModelEvaluator
        return ModelEvaluator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _CallableModule(types.ModuleType):
    """``ambidex.sensitivity(model, spec)`` works whether the name is this module or the
    function."""

    def __call__(self, *args, **kwargs):
        return run_sensitivity(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["sensitivity", "run_sensitivity", "analyze_function", "load_spec", "sample",
           "evaluate", "analyze", "n_runs", "write_results", "summary_frame", "Spec", "ParamSpec", "OutputSpec",
           "uncertainty_bands", "discover", "build_report", "ModelEvaluator"]
