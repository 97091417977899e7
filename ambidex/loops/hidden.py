"""The hidden stocks of SMOOTH, DELAY and TREND as nodes of the loop analysis.

A ``SMOOTH(x, T)`` is a first-order stock; ``DELAY3`` is a chain of three.  Loops That Matter
treats them as what they are: the compiled model's IR (:mod:`ambidex.core.ir.nodes`) holds each
as a hidden *state* slot with its derivative, so each becomes a stock node of the causal graph
(``~smooth1[0]:perceived stock``, shown as ``perceived stock (SMOOTH stock 1)``), the variable
that reads it gets its in-edges from the IR instead of PySD's call, and its trajectory is
rebuilt along the Euler run by the same recurrence the engines use:
``s(t + dt) = s(t) + dt * ds/dt(t)``.  A model written with the stocks spelt out scores the
same loops the same way (tests/test_loops.py).

The once-per-step states of DELAY FIXED and SAMPLE IF TRUE have no derivative: loop scores
refuse them by name.
"""

from __future__ import annotations

import re

import numpy as np

from ..core.errors import ModelError
from ..core.ir.nodes import InitEvaluator, walk_refs

_KIND = re.compile(r"^~(?P<fn>[a-z_]+?)(?P<n>\d*)\[(?P<i>\d+)\]:(?P<var>.*)$")


def _label(slot) -> str:
    """``'~delay3[1]:delayed'`` -> ``'delayed (DELAY3 stock 2)'``."""
    m = _KIND.match(slot.name)
    if not m:
        return slot.name.lstrip("~")
    fn = (m["fn"] + m["n"]).upper()
    return f"{m['var']} ({fn} stock {int(m['i']) + 1})"


def hidden_states(eq) -> list:
    """The hidden state slots of the model (SMOOTH, DELAY, TREND, ...; also the once-per-step
    ones of DELAY FIXED and SAMPLE IF TRUE, which :func:`trajectories` refuses by name)."""
    return [s for s in eq.tr.slots if s.kind == "state" and not s.user_stock
            and s.name.startswith("~")]


def _inputs(eq, ir) -> set:
    """Slots ``ir`` reads at run time that are graph nodes (variables or hidden stocks),
    looking through the hidden helper slots in between."""
    out, seen = set(), set()

    def walk(node):
        refs: set = set()
        walk_refs(node, "run", refs)
        for s in refs:
            if s in seen:
                continue
            seen.add(s)
            if s in eq._py_of:
                out.add(eq._py_of[s])
            elif s.kind == "aux" and s.ir is not None:
                walk(s.ir)
    walk(ir)
    return out


def expand(g, eq) -> list[str]:
    """Add the hidden stocks of ``eq``'s model to the causal graph ``g`` and to ``eq`` (in
    place); re-derive the in-edges of the variables that read them.  Returns the node names of
    the hidden stocks (empty for a model without any)."""
    states = hidden_states(eq)
    if not states:
        return []
    names = []
    for s in states:
        eq.slots[s.name] = s
        eq._py_of[s] = s.name
        names.append(s.name)
        g.add_node(s.name, name=_label(s), kind="stock", sector="", units="", hidden=True)
    hidden = set(states)
    for s in states:
        if s.next_ir is not None:
            continue  # a discrete state: no derivative; scores refuse it only if a loop needs it
        for x in _inputs(eq, s.ddt_ir):
            if x in g:
                g.add_edge(x, s.name, flow=0)
    for z in list(g.nodes):
        if z in names or z not in eq.slots:
            continue
        ir = eq.expr(z)
        if ir is None:
            continue
        if not _reads_hidden(eq, ir, hidden):
            continue
        keep = {x: dict(g.edges[x, z]) for x in g.predecessors(z)}
        for x in list(keep):
            g.remove_edge(x, z)
        for x in _inputs(eq, ir):
            if x in g and (x != z or g.nodes[z].get("kind") == "stock"):
                g.add_edge(x, z, **keep.get(x, {"flow": 0}))
    return names


def _reads_hidden(eq, ir, hidden: set) -> bool:
    seen = set()

    def walk(node) -> bool:
        refs: set = set()
        walk_refs(node, "run", refs)
        for s in refs:
            if s in hidden:
                return True
            if s in seen or s in eq._py_of:
                continue
            seen.add(s)
            if s.kind == "aux" and s.ir is not None and walk(s.ir):
                return True
        return False
    return walk(ir)


def trajectories(eq, names: list[str], env: dict, time) -> dict:
    """The hidden stocks' values at ``time`` (the Euler run at the model's TIME STEP, every
    step saved), rebuilt from the run ``env`` (py name -> array over ``time``): their initial
    values, then ``s += dt * ds/dt`` step by step.  Raises ModelError for a once-per-step
    state (DELAY FIXED, SAMPLE IF TRUE)."""
    if not names:
        return {}
    time = np.asarray(time, dtype=float)
    slots = [eq.slots[n] for n in names]
    for s in slots:
        if s.next_ir is not None or s.ddt_ir is None:
            raise ModelError(f"'{_label(s)}' of model '{eq.model.path.name}' steps once per "
                             "TIME STEP (DELAY FIXED, SAMPLE IF TRUE); loop scores need stocks "
                             "with a rate of change")
    n_t = time.size
    dt = float(np.diff(time).min()) if n_t > 1 else eq.dt
    if n_t > 1 and abs(dt - eq.dt) > 1e-9 * max(1.0, abs(eq.dt)):
        raise ModelError(f"loop scores of model '{eq.model.path.name}' with SMOOTH/DELAY need "
                         f"the run saved at every TIME STEP ({eq.dt:g}), got {dt:g}")
    at = {k: (np.asarray(v, dtype=float) if np.ndim(v) else v) for k, v in env.items()}
    start = {k: (v[0] if np.ndim(v) else v) for k, v in at.items()}
    init = InitEvaluator(float(time[0]), eq.dt, overrides={
        eq.slots[k]: float(v) for k, v in start.items() if k in eq.slots})
    init.ensure = eq.tr.ensure
    out = {n: np.empty(n_t) for n in names}
    cur = {n: float(init.eval(s.init_ir)) for n, s in zip(names, slots)}
    for k in range(n_t):
        for n in names:
            out[n][k] = cur[n]
        if k == n_t - 1:
            break
        e = {key: (v[k] if np.ndim(v) else v) for key, v in at.items()}
        e.update(cur)
        d = {n: float(eq._eval(s.ddt_ir, e, float(time[k]), {})) for n, s in zip(names, slots)}
        cur = {n: cur[n] + eq.dt * d[n] for n in names}
    return out
