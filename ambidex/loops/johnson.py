"""Johnson's simple-cycle search on a compact integer graph, in networkx's order.

``networkx.simple_cycles`` spends most of its time in per-step overhead (a neighbourhood cache
over subgraph views, sets of blocked nodes, a ``defaultdict`` of sets); the dual model's first
20 000 loops take about a second that way.  :func:`simple_cycles` runs the same algorithm on
lists indexed by node number and yields the same cycles in the same order (the driver below is
networkx 3.x's ``_directed_cycle_search`` line for line, the search its
``_johnson_cycle_search``), so a capped enumeration keeps exactly the loops networkx would have
kept.  ``tests/test_loops_fast.py`` checks the equality against networkx itself.
"""

from __future__ import annotations

import networkx as nx


def simple_cycles(h: nx.DiGraph):
    """The simple cycles of ``h`` (nodes 0..n-1), as lists of node numbers, in the order of
    ``networkx.simple_cycles(h)`` without a length bound: the self-loops first, then the
    cycles of the graph without them, one strongly connected component at a time."""
    yield from ([v] for v, hv in h.adj.items() if v in hv)
    g = nx.DiGraph((u, v) for u, hu in h.adj.items() for v in hu if v != u)  # as networkx
    n = max(h, default=-1) + 1
    scc = nx.strongly_connected_components
    components = [c for c in scc(g) if len(c) >= 2]
    while components:
        c = components.pop()
        gc = g.subgraph(c)
        v = next(iter(c))
        adj = [[w for w in g.succ[u] if w in c] if u in c else [] for u in range(n)]
        yield from _search(adj, v)
        g.remove_node(v)  # delete v after searching, as networkx does
        components.extend(c for c in scc(gc) if len(c) >= 2)


def _search(adj: list, start: int):
    """Johnson's search for the cycles through ``start`` in ``adj`` (successor lists), the
    iterative form networkx uses, with the blocked set and the B sets as lists."""
    blocked = [False] * len(adj)
    bsets: list = [None] * len(adj)
    path = [start]
    blocked[start] = True
    stack = [iter(adj[start])]
    closed = [False]
    while stack:
        for w in stack[-1]:
            if w == start:
                yield path[:]
                closed[-1] = True
            elif not blocked[w]:
                path.append(w)
                closed.append(False)
                stack.append(iter(adj[w]))
                blocked[w] = True
                break
        else:  # no more neighbours
            stack.pop()
            v = path.pop()
            if closed.pop():
                if closed:
                    closed[-1] = True
                unblock = {v}
                while unblock:
                    u = unblock.pop()
                    if blocked[u]:
                        blocked[u] = False
                        bu = bsets[u]
                        if bu:
                            unblock.update(bu)
                            bu.clear()
            else:
                for w in adj[v]:
                    if bsets[w] is None:
                        bsets[w] = {v}
                    else:
                        bsets[w].add(v)
