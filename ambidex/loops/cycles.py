"""Feedback loops: bounded enumeration of the simple cycles of the causal graph."""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field

import networkx as nx

from .graph import loop_subgraph

DEFAULT_MAX_LOOPS = 20_000


@dataclass
class Loop:
    """One feedback loop.

    ``variables``: py names in causal order, starting at a stock where the loop has one (the
    first variable follows the last); ``polarity``: 'R' (reinforcing: an even number of
    negative links), 'B' (balancing) or 'U' (undetermined: a link changes sign or has no
    effect along the run); ``partition``: index of the cycle partition (strongly connected
    component) holding it; ``name``/``named_id``: from the model's loops TOML when matched.
    """

    id: str
    variables: tuple[str, ...]
    polarity: str = "U"
    partition: int = 0
    name: str = ""
    named_id: str = ""
    links: tuple[str, ...] = field(default=())  # link polarity labels along the loop

    @property
    def length(self) -> int:
        return len(self.variables)

    @property
    def edges(self) -> list[tuple[str, str]]:
        v = self.variables
        return [(v[i], v[(i + 1) % len(v)]) for i in range(len(v))]

    def chain(self, g: nx.DiGraph | None = None) -> str:
        """The loop as 'A → b → c → A' (model names when ``g`` is given)."""
        names = [g.nodes[v].get("name", v) if g is not None else v for v in self.variables]
        return " → ".join(names + names[:1])

    @property
    def label(self) -> str:
        return f"{self.named_id} {self.name}".strip() or self.id


class LoopList(list):
    """A list of :class:`Loop` with ``truncated`` (enumeration stopped at ``max_loops``) and
    ``message`` (why, or that there are no loops)."""

    truncated: bool = False
    message: str = ""


def _canonical(cycle: list[str], g: nx.DiGraph) -> tuple[str, ...]:
    stocks = [v for v in cycle if g.nodes[v].get("kind") == "stock"]
    start = min(stocks) if stocks else min(cycle)
    k = cycle.index(start)
    return tuple(cycle[k:] + cycle[:k])


def find_loops(g: nx.DiGraph, length_bound: int | None = None,
               max_loops: int = DEFAULT_MAX_LOOPS, include=()) -> LoopList:
    """Enumerate the feedback loops of the causal graph ``g`` (networkx ``simple_cycles``).

    ``length_bound``: longest loop (number of variables) looked for; ``max_loops``: stop after
    this many, with ``truncated`` set, a message naming both limits and a ``UserWarning``.
    Loop polarity comes from the edges' ``polarity`` attribute (see
    :func:`~ambidex.loops.polarity.link_polarities`) when present.  Loops are numbered L1, L2,
    ... by length, then by variables.  ``include``: cycles (py names in causal order, e.g. the
    model's named loops) always kept when they are cycles of ``g``, even where the bounded
    enumeration stops before reaching them (a model can have millions of loops).
    """
    sub = loop_subgraph(g)
    out = LoopList()
    if sub.number_of_nodes() == 0:
        out.message = (f"model '{g.graph.get('model', '?')}' has no feedback loops: no variable "
                       f"depends, directly or indirectly, on itself")
        return out
    comps = sorted(nx.strongly_connected_components(sub), key=lambda c: sorted(c)[0])
    part = {n: i for i, c in enumerate(comps) for n in c}
    cycles, out.truncated = _cycles(sub, g, length_bound, max_loops)
    extra = {_canonical(list(c), g) for c in include
             if c and all(sub.has_edge(a, b) for a, b in zip(c, tuple(c[1:]) + tuple(c[:1])))}
    extra -= set(cycles)
    if extra:
        cycles = sorted(set(cycles) | extra, key=lambda c: (len(c), c))
    if out.truncated:
        out.message = (f"loop enumeration stopped at max_loops={max_loops} loops"
                       f"{'' if length_bound is None else f' of at most {length_bound} variables'}; "
                       f"the model has more: relative loop scores are relative to the loops "
                       f"found. Raise max_loops or lower length_bound.")
        warnings.warn(out.message, stacklevel=2)
    pol = {(x, z): d.get("polarity") for x, z, d in sub.edges(data=True)}
    lab = {(x, z): d.get("label", "?") for x, z, d in sub.edges(data=True)}
    for i, cyc in enumerate(cycles, 1):
        loop = Loop(id=f"L{i}", variables=cyc, partition=part[cyc[0]])
        edges = list(zip(cyc, cyc[1:] + cyc[:1]))
        pols = [pol[e] for e in edges]
        loop.links = tuple(lab[e] for e in edges)
        if all(p in (1, -1) for p in pols):
            loop.polarity = "R" if sum(p < 0 for p in pols) % 2 == 0 else "B"
        out.append(loop)
    if not out.message:
        out.message = f"{len(out)} feedback loops in {len(comps)} cycle partition(s)"
    return out


def _cycles(sub: nx.DiGraph, g: nx.DiGraph, length_bound, max_loops: int):
    """(canonical cycles sorted by length then variables, truncated) of the loop subgraph.

    Enumerating the dual model's 12 k loops takes seconds, so the result is cached on disk
    (``<cache_root>/loops/<key>.pkl``) keyed by the subgraph's edges, the stocks among its
    nodes (they fix where a loop starts), ``length_bound``, ``max_loops`` and networkx's
    version: the same structure gives the same loops without enumerating them again.
    """
    import hashlib
    import os
    import pickle

    from ..core.translate import cache_root

    stocks = sorted(n for n in sub if g.nodes[n].get("kind") == "stock")
    ident = repr((sorted(sub.edges), stocks, length_bound, max_loops, nx.__version__, 2))
    key = hashlib.sha256(ident.encode()).hexdigest()[:24]
    path = cache_root() / "loops" / f"{key}.pkl"
    try:
        return pickle.loads(path.read_bytes())
    except Exception:  # not cached yet (or unreadable): enumerate
        pass
    raw = list(itertools.islice(_deterministic_cycles(sub, length_bound), max_loops + 1))
    truncated = len(raw) > max_loops
    raw = raw[:max_loops]
    cycles = sorted((_canonical(c, g) for c in raw), key=lambda c: (len(c), c))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps((cycles, truncated), protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
    except OSError:  # read-only cache: still correct, just not reused
        pass
    return cycles, truncated


def _deterministic_cycles(sub: nx.DiGraph, length_bound):
    """networkx's ``simple_cycles`` of ``sub`` in an order fixed by the graph alone.

    networkx starts each strongly connected component at ``next(iter(component))``, a set of
    node names whose order follows Python's string hash (``PYTHONHASHSEED``), and a subgraph
    copy lists its nodes in set order too; so when ``max_loops`` cuts the enumeration short, two
    processes could keep different loops.  The nodes are renumbered 0..n-1 in sorted name order
    (integers hash to themselves) with edges added in sorted order, which fixes the walk.
    """
    order = sorted(sub)
    num = {n: i for i, n in enumerate(order)}
    h = nx.DiGraph()
    h.add_nodes_from(range(len(order)))
    h.add_edges_from(sorted((num[a], num[b]) for a, b in sub.edges))
    for cyc in nx.simple_cycles(h, length_bound=length_bound):
        yield [order[i] for i in cyc]
