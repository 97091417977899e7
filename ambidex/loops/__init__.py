"""Feedback-loop analysis: causal graph, link and loop polarity, bounded loop enumeration,
loop names, and loop dominance by Loops That Matter (also across a parameter ensemble).

>>> ds = ambidex.loop_dominance("sd_models/reference/bass_diffusion.mdl")
>>> ds.relative_score.sel(time=5)           # dims loop, time; coords variables, polarity, name
"""

from .cycles import Loop, LoopList, find_loops
from .dominance import dominance, loop_dominance
from .graph import causal_graph
from .ltm import analyse
from .naming import match_named_loops, read_named_loops
from .report import dominance_periods, dominance_windows, write_loops_report

__all__ = ["Loop", "LoopList", "analyse", "causal_graph", "dominance", "dominance_periods", "find_loops",
           "dominance_windows", "loop_dominance", "match_named_loops", "read_named_loops",
           "write_loops_report"]
