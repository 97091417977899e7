"""Loops That Matter on subscripted models: one node per element.

``Population[North]`` and ``Population[South]`` are separate stocks with separate loops (a
migration loop runs through both), so the causal graph of a model with subscripts is built
from the compiled model's IR (:mod:`ambidex.core.ir.nodes`), where every element is a scalar slot
with its own expression: node ``'population[North]'`` (py name and elements), shown as
``Population[North]``.  The hidden stocks of SMOOTH/DELAY/TREND are nodes as well
(:mod:`.hidden`).  :func:`flat_env` turns a run's subscripted outputs (dims time and the
subscript ranges) into one array per element under the same node names.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from .hidden import _inputs, _label, hidden_states


def node_name(py: str, subs: tuple) -> str:
    """``('population', ('North',))`` -> ``'population[North]'``; no subscripts: the py name."""
    return py + (f"[{','.join(subs)}]" if subs else "")


def element_graph(model, eq) -> tuple[nx.DiGraph, list[str]]:
    """The element-level causal graph of ``model`` and the node names of its hidden stocks;
    ``eq`` (an :class:`~ambidex.loops.equations.Equations`) is re-keyed by node name in place,
    so ``eq.evaluate(node, env, time)`` evaluates one element's equation."""
    g = nx.DiGraph(model=model.name)
    eq.slots.clear()
    eq._py_of.clear()
    for info in eq.tr.scope.elements.values():
        if info.is_lookup:
            continue
        var = model.variables.get(info.py)
        for tup, s in info.slots.items():
            if s.kind == "control":
                continue
            n = node_name(info.py, tuple(tup))
            eq.slots[n] = s
            eq._py_of[s] = n
            g.add_node(n, name=s.name, kind=var.kind if var else "auxiliary",
                       sector=var.sector if var else "", units=var.units if var else "")
    hidden = [s for s in hidden_states(eq) if s not in eq._py_of]
    for s in hidden:
        eq.slots[s.name] = s
        eq._py_of[s] = s.name
        g.add_node(s.name, name=_label(s), kind="stock", sector="", units="", hidden=True)
    for n, s in eq.slots.items():
        ir = s.ddt_ir if s.kind == "state" else s.ir
        if ir is None or s.next_ir is not None:
            continue
        for x in _inputs(eq, ir):
            if x != n or g.nodes[n]["kind"] == "stock":
                g.add_edge(x, n, flow=0)
    return g, [s.name for s in hidden]


def flat_env(ds) -> dict:
    """``{node: array over time}`` of a single run's Dataset (dims time and, for subscripted
    variables, their subscript ranges): one array per element, named as :func:`node_name`."""
    out = {}
    for v in ds.data_vars:
        da = ds[v]
        if da.ndim <= 1:
            out[v] = np.asarray(da.values, dtype=float)
            continue
        da = da.transpose("time", ...)
        extra = da.dims[1:]
        coords = [[str(c) for c in da[d].values] for d in extra]
        vals = np.asarray(da.values, dtype=float)
        for idx in np.ndindex(*vals.shape[1:]):
            out[node_name(v, tuple(coords[k][i] for k, i in enumerate(idx)))] = vals[(slice(None), *idx)]
    return out
