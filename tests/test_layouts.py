"""The report's graph layouts: networkx's Kamada-Kawai (run with one BLAS thread), cached on
disk, the same bits as networkx called directly."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
from threadpoolctl import threadpool_info

from ambidex import layouts

NODES = [f"n{i}" for i in range(9)]
EDGES = [("n0", "n1"), ("n1", "n2"), ("n2", "n0"), ("n2", "n3"), ("n3", "n4"), ("n4", "n5"),
         ("n5", "n3"), ("n5", "n6"), ("n6", "n7"), ("n7", "n8"), ("n8", "n6"), ("n1", "n7")]


def _direct(weight):
    """networkx itself, on the undirected view, with the BLAS threads as they are."""
    g = nx.DiGraph()
    g.add_nodes_from(NODES)
    g.add_edges_from(EDGES)
    return nx.kamada_kawai_layout(g.to_undirected(), weight=weight)


def _threads():
    return [(i["filepath"], i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]


@pytest.mark.parametrize("weight", [None, "weight"])
def test_positions_are_networkx_bitwise_and_cached(tmp_path, monkeypatch, weight):
    monkeypatch.setenv("AMBIDEX_CACHE", str(tmp_path))
    want = _direct(weight)
    before = _threads()
    got = layouts.kamada_kawai(NODES, EDGES, weight=weight)
    assert _threads() == before  # the one-thread limit is undone
    assert list(got) == NODES
    for n in NODES:
        np.testing.assert_array_equal(got[n], want[n])
    (f,) = (tmp_path / "layouts").glob("*.json")
    assert json.loads(f.read_text())["nodes"] == NODES
    monkeypatch.setattr(layouts, "_compute", lambda *a: pytest.fail("laid out again"))
    again = layouts.kamada_kawai(NODES, EDGES, weight=weight)  # from the cache: same bits
    for n in NODES:
        np.testing.assert_array_equal(again[n], want[n])


def test_the_layout_runs_with_one_blas_thread(tmp_path, monkeypatch):
    seen = []
    real = nx.kamada_kawai_layout

    def spy(*a, **k):
        seen.append({n for _, n in _threads()})
        return real(*a, **k)

    monkeypatch.setattr(nx, "kamada_kawai_layout", spy)
    layouts._compute(NODES, EDGES, None)
    assert seen == [{1}]
