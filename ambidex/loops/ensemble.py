"""Loop dominance across a parameter ensemble (kept for old imports): the code lives in
:mod:`ambidex.loops.ltm` beside the single-run analysis, so the two no longer import each
other (see docs/reference/architecture.md)."""

from .ltm import ensemble_scores

__all__ = ["ensemble_scores"]
