"""Feedback loops: bounded enumeration of the simple cycles of the causal graph."""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from . import johnson
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


def find_loops(g: nx.DiGraph, length_bound: int | None = None,
               max_loops: int = DEFAULT_MAX_LOOPS, include=()) -> LoopList:
    """Enumerate the feedback loops of the causal graph ``g`` (Johnson's search in networkx's
    order, :mod:`ambidex.loops.johnson`).

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
    order = sorted(sub)  # node numbers follow the names, so comparing numbers compares names
    num = {n: i for i, n in enumerate(order)}
    groups, out.truncated = _cycles(sub, g, length_bound, max_loops)
    rank = np.array(_ranks(order, g))
    for c in include:
        if c and all(sub.has_edge(a, b) for a, b in zip(c, tuple(c[1:]) + tuple(c[:1]))):
            groups = _with_cycle(groups, _rotated(np.array([[num[v] for v in c]]), rank))
    if out.truncated:
        out.message = (f"loop enumeration stopped at max_loops={max_loops} loops"
                       f"{'' if length_bound is None else f' of at most {length_bound} variables'}; "
                       f"the model has more: relative loop scores are relative to the loops "
                       f"found. Raise max_loops or lower length_bound.")
        warnings.warn(out.message, stacklevel=2)
    for i, (names, links, polarity) in enumerate(_described(groups, order, sub), 1):
        out.append(Loop(id=f"L{i}", variables=names, polarity=polarity,
                        partition=part[names[0]], links=links))
    if not out.message:
        out.message = f"{len(out)} feedback loops in {len(comps)} cycle partition(s)"
    return out


def _described(groups: list, order: list, sub: nx.DiGraph):
    """``(variables, link labels, polarity)`` of each cycle of ``groups`` (arrays of cycles of
    one length, node numbers = positions in ``order``), a length at a time: polarity 'R' for an even number of links of
    polarity -1, 'B' for an odd number, 'U' when a link's polarity is not +1 or -1."""
    n = len(order)
    num = {v: i for i, v in enumerate(order)}
    pol = np.zeros(n * n, dtype=np.int8)  # 0: not +1 or -1
    lab = np.empty(n * n, dtype=object)
    for x, z, d in sub.edges(data=True):
        code = num[x] * n + num[z]
        pol[code] = {1: 1, -1: -1}.get(d.get("polarity"), 0)
        lab[code] = d.get("label", "?")
    names = np.array(order, dtype=object)
    for cyc in groups:
        codes = cyc * n + np.roll(cyc, -1, axis=1)
        p = pol[codes]
        polarity = np.where((p == 0).any(axis=1), "U",
                            np.where((p < 0).sum(axis=1) % 2 == 0, "R", "B"))
        yield from zip(map(tuple, names[cyc].tolist()), map(tuple, lab[codes].tolist()),
                       polarity.tolist())


def _ranks(order: list, g: nx.DiGraph) -> list:
    """Sort key of each node number for where a loop starts: its stocks first (by name), then
    the rest (by name)."""
    n = len(order)
    return [i if g.nodes[v].get("kind") == "stock" else n + i for i, v in enumerate(order)]


def _rotated(cyc: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Each row of ``cyc`` (cycles of one length, node numbers) started at its first stock by
    name, else at its first node by name (``rank`` from :func:`_ranks`)."""
    k = np.argmin(rank[cyc], axis=1)
    cols = (k[:, None] + np.arange(cyc.shape[1])) % cyc.shape[1]
    return np.take_along_axis(cyc, cols, axis=1)


def _sorted_groups(cycles, rank: np.ndarray) -> list:
    """``cycles`` (lists of node numbers), each :func:`_rotated` to its start, as one array per
    length, shortest first, the rows of each in lexicographic order: loops by length, then by
    variables (numbers follow the names)."""
    by_len: dict = {}
    for c in cycles:
        by_len.setdefault(len(c), []).append(c)
    return [_lexsorted(_rotated(np.fromiter(itertools.chain.from_iterable(by_len[length]),
                                            dtype=np.int64).reshape(-1, length), rank))
            for length in sorted(by_len)]


def _lexsorted(cyc: np.ndarray) -> np.ndarray:
    return cyc[np.lexsort(cyc.T[::-1])]  # the last key is the primary one


def _with_cycle(groups: list, row: np.ndarray) -> list:
    """``groups`` with the canonical cycle ``row`` (shape (1, length)) in its place, unless
    it is there already."""
    for i, cyc in enumerate(groups):
        if cyc.shape[1] == row.shape[1]:
            if not (cyc == row).all(axis=1).any():
                groups[i] = _lexsorted(np.vstack([cyc, row]))
            return groups
    return sorted(groups + [row], key=lambda c: c.shape[1])


def _cycles(sub: nx.DiGraph, g: nx.DiGraph, length_bound, max_loops: int):
    """(canonical cycles, truncated) of the loop subgraph: the cycles as :func:`_sorted_groups`
    gives them, node numbers = positions of the names in ``sorted(sub)``.

    Enumerating the dual model's 20 k loops takes about a second, so the result is cached on
    disk (``<cache_root>/loops/<key>.pkl``) keyed by the subgraph's edges, the stocks among its
    nodes (they fix where a loop starts), ``length_bound``, ``max_loops`` and networkx's
    version: the same structure gives the same loops without enumerating them again.
    """
    import hashlib
    import os
    import pickle

    from ..core.translate import cache_root

    stocks = sorted(n for n in sub if g.nodes[n].get("kind") == "stock")
    ident = repr((sorted(sub.edges), stocks, length_bound, max_loops, nx.__version__, 3))
    key = hashlib.sha256(ident.encode()).hexdigest()[:24]
    path = cache_root() / "loops" / f"{key}.pkl"
    try:
        return pickle.loads(path.read_bytes())
    except Exception:  # not cached yet (or unreadable): enumerate
        pass
    raw = list(itertools.islice(_deterministic_cycles(sub, length_bound), max_loops + 1))
    truncated = len(raw) > max_loops
    rank = np.array(_ranks(sorted(sub), g))
    groups = _sorted_groups(raw[:max_loops], rank)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps((groups, truncated), protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
    except OSError:  # read-only cache: still correct, just not reused
        pass
    return groups, truncated


def _deterministic_cycles(sub: nx.DiGraph, length_bound):
    """networkx's ``simple_cycles`` of ``sub`` in an order fixed by the graph alone, as lists of
    node numbers (positions in ``sorted(sub)``).

    networkx starts each strongly connected component at ``next(iter(component))``, a set of
    node names whose order follows Python's string hash (``PYTHONHASHSEED``), and a subgraph
    copy lists its nodes in set order too; so when ``max_loops`` cuts the enumeration short, two
    processes could keep different loops.  The nodes are renumbered 0..n-1 in sorted name order
    (integers hash to themselves) with edges added in sorted order, which fixes the walk.
    Without a length bound the walk is :func:`ambidex.loops.johnson.simple_cycles` (networkx's
    order, less overhead); with one, networkx's own bounded search.
    """
    order = sorted(sub)
    num = {n: i for i, n in enumerate(order)}
    h = nx.DiGraph()
    h.add_nodes_from(range(len(order)))
    h.add_edges_from(sorted((num[a], num[b]) for a, b in sub.edges))
    if length_bound is None:
        return johnson.simple_cycles(h)
    return nx.simple_cycles(h, length_bound=length_bound)
