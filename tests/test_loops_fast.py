"""The fast loop analysis (issue #17: the first run on empty caches) gives what the plain one
gave: the same cycles in networkx's order, the same loop list, the same loop scores and the
same report summary, bit for bit.  The references below are the implementations it replaced
(networkx's own search, loops canonicalised and sorted by name, link-score products multiplied
by name, the summary summed over every loop), kept here as the independent check."""

from __future__ import annotations

import itertools
import random
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import ambidex
from ambidex import loop_summary
from ambidex.loops import find_loops, johnson
from ambidex.loops.graph import loop_subgraph
from ambidex.loops.ltm import _env, analyse, link_scores, live_scores, loop_scores

ROOT = Path(__file__).resolve().parents[1]
BASS = ROOT / "sd_models" / "reference" / "bass_diffusion.mdl"


# ------------------------------------------------------------------ the replaced implementations
def _reference_loops(g, max_loops, include=()):
    """(variables, polarity, links) of each loop as find_loops listed them before: networkx's
    simple_cycles on the graph renumbered in name order, each cycle started at its first stock
    by name (else its first node), sorted by length then names."""
    sub = loop_subgraph(g)
    order = sorted(sub)
    num = {n: i for i, n in enumerate(order)}
    h = nx.DiGraph()
    h.add_nodes_from(range(len(order)))
    h.add_edges_from(sorted((num[a], num[b]) for a, b in sub.edges))
    raw = [[order[i] for i in c] for c in itertools.islice(nx.simple_cycles(h), max_loops)]

    def canonical(cycle):
        stocks = [v for v in cycle if g.nodes[v].get("kind") == "stock"]
        k = cycle.index(min(stocks) if stocks else min(cycle))
        return tuple(cycle[k:] + cycle[:k])

    cycles = {canonical(c) for c in raw}
    cycles |= {canonical(list(c)) for c in include
               if all(sub.has_edge(a, b) for a, b in zip(c, c[1:] + c[:1]))}
    out = []
    for cyc in sorted(cycles, key=lambda c: (len(c), c)):
        edges = list(zip(cyc, cyc[1:] + cyc[:1]))
        pols = [sub.edges[e].get("polarity") for e in edges]
        pol = ("R" if sum(p < 0 for p in pols) % 2 == 0 else "B") \
            if all(p in (1, -1) for p in pols) else "U"
        out.append((cyc, pol, tuple(sub.edges[e].get("label", "?") for e in edges)))
    return out


def _reference_scores(loops, ls, n_t):
    """Loop scores multiplied link by link in each loop's order (0 for a loop with a link of no
    effect throughout), and relative scores over the loops of each partition that score."""
    score = np.zeros((len(loops), n_t))
    for i, lp in enumerate(loops):
        if any(not np.any(ls[e] != 0) for e in lp.edges):
            continue
        s = np.ones(n_t)
        for e in lp.edges:
            s = s * ls[e]
        score[i] = s
    rel = np.zeros_like(score)
    parts = np.array([lp.partition for lp in loops])
    live = np.any(score != 0, axis=1)
    for p in np.unique(parts):
        idx = np.flatnonzero((parts == p) & live)
        tot = np.abs(score[idx]).sum(axis=0)
        with np.errstate(all="ignore"):
            rel[idx] = np.where(tot > 0, score[idx] / np.where(tot > 0, tot, 1.0), 0.0)
    return score, rel


def _reference_summary(rel, ids):
    named = [i for i, x in enumerate(ids) if x]
    rest = [i for i, x in enumerate(ids) if not x]
    return (rel[named], rel[rest].sum(axis=0) if rest else np.zeros(rel.shape[1]),
            np.abs(rel).sum(axis=0))


def _same_bits(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.array_equal(a.view(np.uint64), b.view(np.uint64))


# ------------------------------------------------------------------ the search
def _random_graph(rng, n, p, self_loops):
    h = nx.DiGraph()
    h.add_nodes_from(range(n))
    h.add_edges_from(sorted((a, b) for a in range(n) for b in range(n)
                            if (a != b or self_loops) and rng.random() < p))
    return h


@pytest.mark.parametrize("seed", range(12))
def test_search_yields_networkx_cycles_in_networkx_order(seed):
    rng = random.Random(seed)
    h = _random_graph(rng, rng.randint(2, 12), rng.uniform(0.1, 0.5), self_loops=seed % 3 == 0)
    assert list(johnson.simple_cycles(h.copy())) == list(nx.simple_cycles(h.copy()))


def test_search_on_a_graph_with_more_cycles_than_kept():
    h = _random_graph(random.Random(7), 14, 0.45, self_loops=True)
    want = list(itertools.islice(nx.simple_cycles(h.copy()), 5000))
    assert len(want) == 5000  # the cap cuts the search short, so the order matters
    assert list(itertools.islice(johnson.simple_cycles(h.copy()), 5000)) == want


# ------------------------------------------------------------------ loops, scores, summary
@pytest.fixture(scope="module")
def dual():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the dual model's loops are capped at max_loops
        st, run = analyse(ambidex.load_model())
    return st, run


def _loops_as_before(st, max_loops=20_000):
    from ambidex.loops.naming import named_loops_path, read_named_loops

    path = named_loops_path(st.model)
    include = [n.variables for n in read_named_loops(path, st.model).loops] if path else ()
    return _reference_loops(st.graph, max_loops, include)


def test_dual_model_loop_list_is_the_one_listed_before(dual):
    st, _ = dual
    assert st.loops.truncated and len(st.loops) > 20_000  # capped, plus the named loops
    got = [(lp.variables, lp.polarity, lp.links) for lp in st.loops]
    assert got == _loops_as_before(st)
    assert [lp.id for lp in st.loops] == [f"L{i}" for i in range(1, len(st.loops) + 1)]


def test_capped_dense_graph_loop_list_is_the_one_listed_before(tmp_path, monkeypatch):
    monkeypatch.setenv("AMBIDEX_CACHE", str(tmp_path))
    names = ["stock", "flow", "alpha", "beta", "gamma", "delta", "eps", "zeta", "eta"]
    g = nx.DiGraph(model="dense")
    for n in names:
        g.add_node(n, kind="stock" if n in ("stock", "gamma") else "aux")
    for a, b in itertools.permutations(names, 2):
        g.add_edge(a, b, polarity=-1 if (names.index(a) * 7 + names.index(b)) % 3 == 0 else 1,
                   label="+")
    g.add_edge("eta", "eta", polarity=1, label="+")
    g.edges["alpha", "beta"]["polarity"] = 0  # a link of both signs: its loops are 'U'
    include = [("zeta", "eta", "delta", "eps")]
    with pytest.warns(UserWarning, match="max_loops=700"):
        loops = find_loops(g, max_loops=700, include=include)
    assert [(lp.variables, lp.polarity, lp.links) for lp in loops] == \
        _reference_loops(g, 700, include)
    assert {lp.polarity for lp in loops} == {"R", "B", "U"}


def test_bass_loop_list_is_the_one_listed_before():
    st, _ = analyse(ambidex.load_model(BASS))
    assert len(st.loops) >= 2 and {lp.polarity for lp in st.loops} == {"R", "B"}
    assert [(lp.variables, lp.polarity, lp.links) for lp in st.loops] == \
        _reference_loops(st.graph, 20_000)


@pytest.mark.parametrize("which", ["dual", "bass"])
def test_loop_scores_and_summary_are_bit_identical_to_before(which, dual):
    st, run = dual if which == "dual" else analyse(ambidex.load_model(BASS))
    time = run.time.values
    env = st.env(_env(run), time)
    edges = sorted({e for lp in st.loops for e in lp.edges})
    want_score, want_rel = _reference_scores(st.loops, link_scores(st, env, time, edges),
                                             len(time))
    score, rel = loop_scores(st, env, time)
    assert _same_bits(score, want_score) and _same_bits(rel, want_rel)
    rows, s_rows, r_rows = live_scores(st, env, time)
    assert list(rows) == list(np.flatnonzero(np.any(want_score != 0, axis=1)))
    ids = [lp.named_id for lp in st.loops]
    s = loop_summary.live_summary(rows, r_rows, ids, [lp.name for lp in st.loops], time, {}, {})
    named, unnamed, total = _reference_summary(want_rel, ids)
    assert _same_bits(s["relative_score"].values, named)
    assert _same_bits(s["unnamed_sum"].values, unnamed)
    assert _same_bits(s["abs_total"].values, total)
    if which == "dual":
        assert 0 < len(rows) < 100 and np.abs(named).max() > 0.1  # few live loops, named among them


@pytest.mark.parametrize("n_t", [2, 9, 561])
def test_summary_from_live_rows_equals_the_sum_over_all_rows(n_t):
    """Rows of +0.0 left out change nothing, signed zeros and all."""
    rng = np.random.default_rng(n_t)
    rel = np.zeros((40, n_t))
    rel[[2, 5, 6, 30]] = rng.normal(size=(4, n_t))
    rel[5, :1] = -0.0
    rel[7] = -0.0                     # a row of negative zeros counts as a live row
    rel[30, 1] = -rel[6, 1] - rel[5, 1] - rel[2, 1]  # a sum that cancels
    ids = [""] * 40
    ids[5], ids[9] = "R1", "B1"       # a named loop that never scores
    for r in (rel, rel * 0.0, -np.abs(rel) * 0.0, np.where(rel > 0, rel, 0.0)):
        rows = np.flatnonzero(np.any((r != 0) | np.signbit(r), axis=1))
        s = loop_summary.live_summary(rows, r[rows], ids, ids, np.arange(n_t), {}, {})
        named, unnamed, total = _reference_summary(r, ids)
        assert _same_bits(s["relative_score"].values, named)
        assert _same_bits(s["unnamed_sum"].values, unnamed)
        assert _same_bits(s["abs_total"].values, total)
