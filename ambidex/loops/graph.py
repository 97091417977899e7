"""The causal graph of a model: one node per variable, one edge per dependency.

Built from PySD's AbstractModel (the translated model's expression trees), so it needs no
hand-drawn diagram and cannot drift from the equations.  An edge ``x -> z`` means that ``z``'s
equation references ``x`` at run time; the arguments that only set an initial value (the
initial value of an INTEG, INITIAL(), the initial part of ACTIVE INITIAL, SMOOTH, DELAY, TREND)
are not causal links during the run and are left out.  A stock's equation is its net flow, so a
stock's in-edges come from its inflows and outflows.
"""

from __future__ import annotations

import dataclasses

import networkx as nx

from ..core.model import as_model, normalise

#: fields of PySD's abstract structures that only set an initial value
INIT_FIELDS = {"initial", "initial_trend"}


def abstract_model(path):
    """PySD's AbstractModel of a Vensim or XMILE file (parsed once per file content, see
    :func:`ambidex.core.translate.abstract_model`)."""
    from ..core.translate import abstract_model as cached

    return cached(path)


def _references(node, out: set) -> None:
    """Collect the names referenced by an expression tree, skipping initial-value arguments
    and function names (a CallStructure's ``function``)."""
    from pysd.translators.structures import abstract_expressions as ae

    if isinstance(node, ae.ReferenceStructure):
        out.add(node.reference)
        return
    if isinstance(node, ae.CallStructure):
        # a call of a lookup table is a reference to the table: keep its name too, it is
        # dropped later unless it names a variable
        _references(node.function, out)
        for a in node.arguments:
            _references(a, out)
        return
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            if f.name in INIT_FIELDS:
                continue
            _references(getattr(node, f.name), out)
    elif isinstance(node, (list, tuple)):
        for x in node:
            _references(x, out)


def causal_graph(model=None) -> nx.DiGraph:
    """The variable-level causal graph of ``model`` (a :class:`Model` or a path).

    Nodes are PySD py names with attributes ``name`` (model name), ``kind`` ('stock', 'flow',
    'auxiliary', 'constant'), ``sector``, ``units``.  Edges ``x -> z`` carry ``flow``: +1 when
    ``x`` is an inflow of stock ``z``, -1 an outflow, 0 otherwise.  Lookup tables, TIME and the
    simulation control values are not nodes.
    """
    model = as_model(model)
    am = model.abstract
    g = nx.DiGraph(model=model.name)
    for py, var in model.variables.items():
        g.add_node(py, name=var.name, kind=var.kind, sector=var.sector, units=var.units)
    flows = {}
    for s in model.stocks:
        for f in s.inflows:
            flows[(model._index.get(normalise(f)), s.py_name)] = 1
        for f in s.outflows:
            flows[(model._index.get(normalise(f)), s.py_name)] = -1
    mains = [s for s in am.sections if s.type == "main"] or am.sections[:1]
    for section in mains:
        for el in section.elements:
            z = model._index.get(normalise(el.name))
            if z is None or z not in g:
                continue
            refs: set = set()
            for comp in el.components:
                _references(comp.ast, refs)
            for r in refs:
                x = model._index.get(normalise(r))
                if x is None or x not in g or x == z and model.variables[z].kind != "stock":
                    continue
                g.add_edge(x, z, flow=flows.get((x, z), 0))
    return g


def loop_subgraph(g: nx.DiGraph) -> nx.DiGraph:
    """The part of ``g`` that can carry feedback: strongly connected components with a cycle."""
    keep = set()
    for comp in nx.strongly_connected_components(g):
        if len(comp) > 1 or any(g.has_edge(n, n) for n in comp):
            keep |= comp
    return g.subgraph(keep).copy()


def partitions(g: nx.DiGraph) -> dict[str, int]:
    """Cycle partition (strongly connected component) index of every node that is in a loop."""
    out = {}
    sub = loop_subgraph(g)
    comps = sorted(nx.strongly_connected_components(sub), key=lambda c: sorted(c)[0])
    for i, comp in enumerate(comps):
        for n in comp:
            out[n] = i
    return out
