"""Graph layouts for the report's diagrams, cached on disk.

The stock-to-stock structure and the named-loops diagram are laid out by networkx's
Kamada-Kawai layout: an L-BFGS-B minimisation through scipy (a second or more, plus importing
networkx and scipy.optimize) whose answer depends only on the graph.  :func:`kamada_kawai`
keeps the positions in ``<cache root>/layouts/<key>.json``, keyed by the node order, the edge
list, the layout's arguments and the networkx/scipy/numpy versions, so a report of an unchanged
model lays out nothing.  The positions read back are bitwise the computed ones (JSON keeps a
float's shortest repr).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from importlib import metadata

import numpy as np

LAYOUT_VERSION = 1


@functools.cache
def _versions() -> str:
    """The library versions a layout depends on (read once per process: three metadata
    lookups cost ~15 ms, on every report that reads its layouts from the cache)."""
    out = []
    for dist in ("networkx", "scipy", "numpy"):
        try:
            out.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            out.append(dist)
    return ",".join(out)


def _compute(nodes: list, edges: list, weight) -> dict:
    """``nx.kamada_kawai_layout`` with one BLAS thread: its L-BFGS-B works on vectors of two
    numbers per node, and OpenBLAS's idle thread pool waiting beside it cost 0.2-0.5 s of a cold
    report on a loaded 2-core machine (one thread: 10-20 ms; the same positions, tested)."""
    import networkx as nx
    import scipy.optimize  # noqa: F401 - loads scipy's BLAS, so that the limit reaches it
    from threadpoolctl import threadpool_limits

    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from(edges)
    with threadpool_limits(limits=1, user_api="blas"):
        return nx.kamada_kawai_layout(g.to_undirected(), weight=weight)


#: the layouts asked for and not cached while :func:`ambidex.layout_background.deferred` is
#: active (each ``(nodes, edges, weight)``); None: compute them in place
_PENDING: list | None = None


def layout_path(nodes: list[str], edges: list[tuple[str, str]], weight: str | None):
    """The cache file of this graph's layout (``<cache root>/layouts/<key>.json``)."""
    from .core.paths import cache_dir

    spec = json.dumps([LAYOUT_VERSION, _versions(), weight, list(nodes),
                       [list(e) for e in edges]], ensure_ascii=True)
    key = hashlib.sha256(spec.encode()).hexdigest()[:32]
    return cache_dir("layouts") / f"{key}.json"


def kamada_kawai(nodes: list[str], edges: list[tuple[str, str]],
                 weight: str | None = "weight") -> dict[str, np.ndarray] | None:
    """``nx.kamada_kawai_layout`` of the undirected view of the directed graph with ``nodes``
    (in this order) and ``edges`` (source, target; added in this order): node -> array (x, y)
    in node order.  From the disk cache when this graph was laid out before; else computed and
    stored -- or, while layouts are deferred (:func:`ambidex.layout_background.deferred`),
    noted for a background process and None returned."""
    path = layout_path(nodes, edges, weight)
    try:
        got = json.loads(path.read_text(encoding="utf-8"))
        if got["nodes"] == list(nodes):
            return {n: np.array(p) for n, p in zip(got["nodes"], got["pos"])}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if _PENDING is not None:
        _PENDING.append((list(nodes), [tuple(e) for e in edges], weight))
        return None
    return compute_into(path, nodes, edges, weight)


def compute_into(path, nodes: list[str], edges: list[tuple[str, str]], weight: str | None):
    """Lay the graph out (:func:`_compute`) and store the positions in ``path``, atomically;
    return them."""
    pos = _compute(nodes, edges, weight)
    try:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"nodes": list(pos), "pos": [[float(v) for v in p]
                                                               for p in pos.values()]}))
        os.replace(tmp, path)
    except OSError:  # a read-only cache: computed again next time
        pass
    return pos
