"""Loop dominance across a parameter ensemble (kept for old imports): the code lives in
:mod:`ambidex.loops.dominance`."""

from .dominance import LoopScores, ensemble_scores

__all__ = ["LoopScores", "ensemble_scores"]
