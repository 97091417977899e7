"""Link polarity measured along a run: the sign of the partial derivative of each equation.

For an edge ``x -> z`` the equation of ``z`` (a stock: its net flow) is evaluated with ``x``
nudged up and down by a relative step at every saved time of a run, the others held; the sign of
the central difference is the link's polarity at that time.  A link whose sign differs between
times is flagged ``sign_changes`` (polarity label '±').  A link without any effect along the run
(a MIN/MAX limit that never binds, a factor that is 0) is flagged ``dormant`` and its sign is
probed off the run: ``x`` scaled by 0.01 ... 100 at every saved time, the other inputs as in
the run, then also with the other inputs that are 0 throughout the run (a switched-off
factor) set to 1; it is '0' only if that too shows no effect.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

LABEL = {1: "+", -1: "−", 0: "0"}
PROBE_FACTORS = (0.01, 0.1, 0.5, 2.0, 10.0, 100.0)


def _signs(d) -> tuple[bool, bool]:
    d = np.asarray(d)[np.isfinite(d)]
    scale = np.max(np.abs(d)) if d.size else 0.0
    sig = d[np.abs(d) > 1e-9 * scale] if scale > 0 else d[:0]
    return bool(np.any(sig > 0)), bool(np.any(sig < 0))


def link_polarities(g: nx.DiGraph, eq, env: dict, time, edges=None, rel_step: float = 1e-6) -> None:
    """Set edge attributes of ``g`` in place: ``polarity`` (+1, -1, or 0 when it changes sign
    or has no effect), ``sign_changes`` (bool), ``dormant`` (no effect along the run; sign
    probed off it) and ``label`` ('+', '−', '±', '0').

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
        pos, neg = _signs((up - dn) / (2 * h))
        data["dormant"] = not (pos or neg)
        if data["dormant"]:
            zeros = {y: 1.0 for y in g.predecessors(z)
                     if y != x and y in env and np.all(np.asarray(env[y]) == 0)}
            for base in ({}, zeros) if zeros else ({},):
                for f in PROBE_FACTORS:
                    xs = xv * f
                    h = rel_step * np.maximum(np.abs(xs), 1.0)
                    e = {**env, **base}
                    p2, n2 = _signs((eq.evaluate(z, {**e, x: xs + h}, time)
                                     - eq.evaluate(z, {**e, x: xs - h}, time)) / (2 * h))
                    pos, neg = pos or p2, neg or n2
                if pos or neg:
                    break
        data["sign_changes"] = pos and neg
        data["polarity"] = 0 if pos == neg else (1 if pos else -1)
        data["label"] = "±" if pos and neg else LABEL[data["polarity"]]
