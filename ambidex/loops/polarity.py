"""Link polarity measured along a run: the sign of the partial derivative of each equation.

For an edge ``x -> z`` the equation of ``z`` (a stock: its net flow) is evaluated with ``x``
nudged up and down by a relative step at every saved time of a run, the others held; the sign of
the central difference is the link's polarity at that time.  A link whose sign differs between
times is flagged ``sign_changes`` (polarity label '±'); one without any effect along the run is
'0'.
"""

from __future__ import annotations

import numpy as np
import networkx as nx

LABEL = {1: "+", -1: "−", 0: "0"}


def link_polarities(g: nx.DiGraph, eq, env: dict, time, edges=None, rel_step: float = 1e-6) -> None:
    """Set edge attributes of ``g`` in place: ``polarity`` (+1, -1, or 0 when it changes sign
    or has no effect), ``sign_changes`` (bool) and ``label`` ('+', '−', '±', '0').

    ``eq`` is an :class:`~ambidex.loops.equations.Equations`, ``env`` the run (py name ->
    array over ``time``); ``edges`` limits the work to these edges (default: all).
    """
    time = np.asarray(time, dtype=float)
    for x, z in (edges if edges is not None else list(g.edges)):
        data = g.edges[x, z]
        if g.nodes[z].get("kind") == "constant":
            continue
        xv = np.asarray(env.get(x, eq.slot(x).value), dtype=float) * np.ones_like(time)
        h = rel_step * np.maximum(np.abs(xv), 1.0)
        up = eq.evaluate(z, {**env, x: xv + h}, time)
        dn = eq.evaluate(z, {**env, x: xv - h}, time)
        d = (up - dn) / (2 * h)
        d = d[np.isfinite(d)]
        scale = np.max(np.abs(d)) if d.size else 0.0
        sig = d[np.abs(d) > 1e-9 * scale] if scale > 0 else d[:0]
        pos, neg = bool(np.any(sig > 0)), bool(np.any(sig < 0))
        data["sign_changes"] = pos and neg
        data["polarity"] = 0 if pos == neg else (1 if pos else -1)
        data["label"] = "±" if pos and neg else LABEL[data["polarity"]]
