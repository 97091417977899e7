"""Feedback-loop analysis: causal graph, polarity, enumeration, Loops That Matter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ambidex
from ambidex.loops import causal_graph, dominance_periods, find_loops, loop_dominance
from ambidex.loops.ltm import analyse

ROOT = Path(__file__).resolve().parents[1]
BASS = ROOT / "sd_models" / "reference" / "bass_diffusion.mdl"
DUAL_LOOPS = ROOT / "sd_models" / "dual_business_model.loops.toml"


def _flow(name, eq, units="Unit/Year", doc="a flow"):
    return f"{name} = {eq}\n\t~\t{units}\n\t~\t{doc}\n\t|\n\n"


def _const(name, value, units="Dmnl", doc="a constant"):
    return f"{name} = {value}\n\t~\t{units}\n\t~\t{doc}\n\t|\n\n"


def _stock(name, flow, init, units="Unit", doc="a stock"):
    return f"{name} = INTEG({flow}, {init})\n\t~\t{units}\n\t~\t{doc}\n\t|\n\n"


@pytest.fixture(scope="module")
def bass():
    return loop_dominance(BASS)


@pytest.fixture(scope="module")
def bass_run():
    m = ambidex.load_model(BASS)
    return ambidex.simulate(m, method="euler", saveper=m.control["time_step"],
                            backend="pysd").isel(scenario=0)


def _loop(ds, *names):
    """Index of the loop whose variables are exactly ``names`` (model names, any order)."""
    want = {n.lower() for n in names}
    for i, chain in enumerate(ds["variables"].values):
        if {v.strip().lower() for v in str(chain).split("→")} == want:
            return i
    raise AssertionError(f"no loop {names} in {list(ds['variables'].values)}")


# ------------------------------------------------------------------ graph and enumeration
def test_bass_graph_marks_stocks_and_flows():
    g = causal_graph(BASS)
    assert g.nodes["adopters"]["kind"] == "stock"
    assert g.nodes["adoption_rate"]["kind"] == "flow"
    assert g.edges["adoption_rate", "adopters"]["flow"] == 1
    assert g.edges["adoption_rate", "potential_adopters"]["flow"] == -1
    assert g.has_edge("contact_rate", "adoption_from_word_of_mouth")
    # the initial value of a stock is no causal link during the run
    assert not g.has_edge("initial_adopters", "adopters")


def test_bass_loops_and_polarity(bass):
    pol = dict(zip(bass["variables"].values, bass["polarity"].values))
    wom = bass["variables"].values[_loop(bass, "Adopters", "adoption from word of mouth", "adoption rate")]
    sat = bass["variables"].values[_loop(bass, "Potential Adopters", "adoption from word of mouth",
                                         "adoption rate")]
    assert pol[wom] == "R" and pol[sat] == "B"
    assert wom.startswith("Adopters → ") and wom.endswith("→ Adopters")
    # advertising effectiveness is 0: the link has no effect along the run, its sign is probed
    adv = _loop(bass, "Potential Adopters", "adoption from advertising", "adoption rate")
    assert bass["polarity"].values[adv] == "B"
    np.testing.assert_array_equal(bass["loop_score"].values[adv], 0.0)
    assert "time_convention" in bass.attrs


# ------------------------------------------------------------------ LTM on the Bass model
def test_bass_relative_scores_equal_hand_derivation(bass, bass_run):
    # WOM = k A P.  Over a step, Δ_A WOM = k ΔA P(t-dt), Δ_P WOM = k A(t-dt) ΔP, ΔP = -ΔA, and
    # both loops share WOM -> adoption rate -> stock links of magnitude 1 (adoption rate is the
    # only flow of each stock, so |Δ flow / Δ net flow| = 1).  Hence the relative score of the
    # word-of-mouth loop is P(t-dt) / (P(t-dt) + A(t-dt)) = P(t-dt) / N, of the saturation loop
    # -A(t-dt) / N.
    r = _loop(bass, "Adopters", "adoption from word of mouth", "adoption rate")
    b = _loop(bass, "Potential Adopters", "adoption from word of mouth", "adoption rate")
    P = bass_run.potential_adopters.values
    A = bass_run.adopters.values
    rel = bass["relative_score"].values
    np.testing.assert_allclose(rel[r, 1:], P[:-1] / 1e6, rtol=1e-6)
    np.testing.assert_allclose(rel[b, 1:], -A[:-1] / 1e6, rtol=1e-5, atol=1e-12)
    np.testing.assert_array_equal(rel[:, 0], 0.0)


def test_bass_dominance_flips_at_inflection(bass, bass_run):
    t = bass_run.time.values
    dt = t[1] - t[0]
    A = bass_run.adopters.values
    r = _loop(bass, "Adopters", "adoption from word of mouth", "adoption rate")
    b = _loop(bass, "Potential Adopters", "adoption from word of mouth", "adoption rate")
    rel = bass["relative_score"].values
    dom = bass["dominant"].values
    early = (t > 0) & (t < 5)
    late = t > 15
    assert dom[r, early].all() and not dom[b, early].any()
    assert dom[b, late].all() and not dom[r, late].any()
    flip = t[np.argmax((np.abs(rel[b]) > np.abs(rel[r])) & (t > 0))]
    half = t[np.argmax(A >= 5e5)]                                   # Adopters = N / 2
    inflection = t[np.argmax(bass_run.adoption_rate.values)]        # adoption rate peaks
    assert abs(flip - half) <= 2 * dt + 1e-9, (flip, half)
    assert abs(flip - inflection) <= 2 * dt + 1e-9, (flip, inflection)
    periods = dominance_periods(bass)
    assert len(periods) == 2
    assert "Adopters → adoption from word of mouth" in periods[0]["label"]
    assert "Potential Adopters → adoption from word of mouth" in periods[1]["label"]
    assert periods[1]["start"] == pytest.approx(flip)


# ------------------------------------------------------------------ a two-stock model by hand
TWO_STOCK = (
    _stock("X", "inflow x - drain x", 1) + _stock("Y", "-outflow y - drain y", 0)
    + _flow("inflow x", "a * Y") + _flow("drain x", "c * X")
    + _flow("outflow y", "b * X") + _flow("drain y", "d * Y")
    + _const("a", 1, "1/Year") + _const("b", 1, "1/Year")
    + _const("c", 0.1, "1/Year") + _const("d", 0.2, "1/Year")
)


def _two_stock_scores(dX, dY, a=1.0, b=1.0, c=0.1, d=0.2):
    """Hand derivation for the damped linear oscillator
        X' = in_x - drain_x = aY - cX,   Y' = -out_y - drain_y = -bX - dY.
    Links from a stock into a flow that depends on it alone score sign(coefficient) = +1.
    Flow -> stock scores are ±|Δflow / Δnet flow| with
        Δin_x = aΔY, Δdrain_x = cΔX, Δnet_X = aΔY - cΔX,
        Δout_y = bΔX, Δdrain_y = dΔY, Δnet_Y = -(bΔX + dΔY).
    Main loop X -> out_y -> Y -> in_x -> X (one outflow, one inflow: balancing):
        (+1)(-|bΔX / Δnet_Y|)(+1)(+|aΔY / Δnet_X|)
    Minor loops X -> drain_x -> X: -|cΔX / Δnet_X|;  Y -> drain_y -> Y: -|dΔY / Δnet_Y|."""
    nX, nY = a * dY - c * dX, -(b * dX + d * dY)
    main = -abs(b * dX / nY) * abs(a * dY / nX)
    return main, -abs(c * dX / nX), -abs(d * dY / nY)


def test_two_stock_loop_scores_by_hand(write_mdl):
    p = write_mdl(TWO_STOCK, name="oscillator.mdl", final=20, step=0.125)
    ds = loop_dominance(p)
    assert ds.sizes["loop"] == 3
    main = _loop(ds, "X", "outflow y", "Y", "inflow x")
    mx, my = _loop(ds, "X", "drain x"), _loop(ds, "Y", "drain y")
    assert set(ds["polarity"].values) == {"B"}
    # first step (t = dt = 0.125) from X0 = 1, Y0 = 0:
    #   ΔX = dt (aY0 - cX0) = -0.0125,  ΔY = dt (-bX0 - dY0) = -0.125
    #   Δnet_X = aΔY - cΔX = -0.12375,  Δnet_Y = -(bΔX + dΔY) = 0.0375
    #   main = -(0.0125 / 0.0375) (0.125 / 0.12375) = -0.336700336...
    #   X drain = -0.00125 / 0.12375 = -0.0101010...,  Y drain = -0.025 / 0.0375 = -0.6666...
    ls = ds["loop_score"].values
    assert ls[main, 1] == pytest.approx(-(0.0125 / 0.0375) * (0.125 / 0.12375), rel=1e-9)
    assert ls[main, 1] == pytest.approx(-0.3367003367, rel=1e-9)
    assert ls[mx, 1] == pytest.approx(-0.0101010101, rel=1e-8)
    assert ls[my, 1] == pytest.approx(-2 / 3, rel=1e-9)
    total = 0.3367003367 + 0.0101010101 + 2 / 3
    assert ds["relative_score"].values[main, 1] == pytest.approx(-0.3367003367 / total, rel=1e-8)
    # and at every later step, from the trajectory
    m = ambidex.load_model(p)
    run = ambidex.simulate(m, method="euler", saveper=0.125, backend="pysd").isel(scenario=0)
    dX, dY = np.diff(run.x.values), np.diff(run.y.values)
    with np.errstate(all="ignore"):
        want = _two_stock_scores(dX, dY)
    ok = np.abs(dX) > 1e-12
    for i, w in zip((main, mx, my), want):
        np.testing.assert_allclose(ls[i, 1:][ok], w[ok], rtol=1e-7, atol=1e-12)


# ------------------------------------------------------------------ edge cases
def test_model_without_loops(write_mdl):
    p = write_mdl(_stock("Tank", "fill", 0) + _flow("fill", "fill rate") + _const("fill rate", 2, "Unit/Year"),
                  name="noloop.mdl")
    with pytest.warns(UserWarning, match="has no feedback loops"):
        ds = loop_dominance(p)
    assert ds.sizes["loop"] == 0
    assert "has no feedback loops" in ds.attrs["message"]
    assert dominance_periods(ds) == []


def test_many_cycles_bounded(write_mdl):
    # six stocks, each fed by a flow that reads every stock: the stock graph is complete with
    # self-loops, 415 simple cycles in all
    n = 6
    body = ""
    for i in range(n):
        body += _stock(f"S{i}", f"f{i}", 1) + _flow(f"f{i}", "0.01 * (" + " + ".join(f"S{j}" for j in range(n)) + ")")
    p = write_mdl(body, name="dense.mdl", final=1, step=0.25)
    g = causal_graph(p)
    assert len(find_loops(g)) == 415
    with pytest.warns(UserWarning, match="max_loops=100"):
        loops = find_loops(g, max_loops=100)
    assert len(loops) == 100 and loops.truncated and "max_loops=100" in loops.message
    short = find_loops(g, length_bound=2)
    assert not short.truncated and max(lp.length for lp in short) <= 2 and len(short) == 6
    with pytest.warns(UserWarning, match="max_loops=50"):
        ds = loop_dominance(p, max_loops=50)
    assert ds.sizes["loop"] == 50 and ds.attrs["loops_truncated"] == 1


_ENUMERATE = """
import json, sys
import networkx as nx
from ambidex.loops import find_loops
names = ["stock", "flow", "alpha", "beta", "gamma", "delta", "eps", "zeta", "eta"]
g = nx.DiGraph(model="dense")
for n in names:
    g.add_node(n, kind="stock" if n == "stock" else "aux")
for a in names:
    for b in names:
        if a != b:
            g.add_edge(a, b)
import warnings
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    loops = find_loops(g, max_loops=40)
json.dump([list(lp.variables) for lp in loops], sys.stdout)
"""


def test_capped_loop_list_does_not_depend_on_the_hash_seed(tmp_path):
    """A complete graph of 9 named variables has about 10^5 loops, so ``max_loops=40`` keeps a
    subset; which one must follow from the graph, not from the string-hash seed of the process
    (networkx starts each component at a set element).  Two processes, two seeds, own caches."""
    import json
    import os
    import subprocess
    import sys

    got = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed, AMBIDEX_CACHE=str(tmp_path / seed),
                   PYTHONPATH=str(Path(__file__).resolve().parents[1]))
        out = subprocess.run([sys.executable, "-c", _ENUMERATE], env=env, check=True, cwd=tmp_path,
                             capture_output=True, text=True, timeout=120).stdout
        got.append(json.loads(out))
    assert len(got[0]) == 40 and got[0] == got[1]


# ------------------------------------------------------------------ the dual model
def test_dual_model_named_loops_found_with_polarity(model):
    assert DUAL_LOOPS.is_file(), f"{DUAL_LOOPS} is missing"
    st, _ = analyse(model)
    named = st.named
    assert named is not None and named.loops
    assert named.missing == [], f"named loops not found: {named.missing}"
    assert named.polarity_mismatches == []
    for n in named.loops:
        assert n.loop.polarity == n.polarity, n.id


# ------------------------------------------------------------------ agreement with pysimlin
@pytest.mark.parametrize("which", ["bass", "oscillator"])
def test_agrees_with_pysimlin(which, write_mdl):
    # pysimlin is a pinned test extra (pyproject [test]): a missing or failing pysimlin is a
    # failure here, not a skip, so the cross-check can never pass silently
    import simlin

    from ambidex.core.model import normalise
    path = BASS if which == "bass" else write_mdl(TWO_STOCK, name="oscillator.mdl", final=20, step=0.125)
    ds = loop_dominance(path)
    run = simlin.load(str(path)).run(analyze_loops=True)
    assert run.loops and run.loops[0].behavior_time_series is not None, \
        f"pysimlin {getattr(simlin, '__version__', '?')} gave no LTM scores for {path.name}"
    mine = {frozenset(normalise(v) for v in str(c).split("→")): i
            for i, c in enumerate(ds["variables"].values)}
    assert len(run.loops) == ds.sizes["loop"]
    sim = getattr(run, "_sim", None)
    for lp in run.loops:
        i = mine[frozenset(normalise(v) for v in lp.variables)]
        theirs = np.asarray(lp.behavior_time_series, dtype=float)
        assert theirs.shape == ds["relative_score"].values[i].shape
        np.testing.assert_allclose(ds["relative_score"].values[i], theirs, rtol=1e-9, atol=1e-12)
        if sim is not None and hasattr(sim, "get_loop_score"):
            raw = np.asarray(sim.get_loop_score(lp.id), dtype=float)
            np.testing.assert_allclose(ds["loop_score"].values[i], raw, rtol=1e-9, atol=1e-12)
        if str(lp.polarity) in ("R", "B"):
            assert ds["polarity"].values[i] == str(lp.polarity), lp.variables


# ------------------------------------------------------------------ ensemble, names, figures, CLI
def test_ensemble_bands_and_dominance_share():
    rates = np.array([60.0, 100.0, 140.0])
    ds = ambidex.loop_dominance(BASS, samples={"contact rate": rates})
    assert ds["relative_score"].dims == ("sample", "loop", "time")
    np.testing.assert_array_equal(ds["param_contact_rate"].values, rates)
    r = _loop(ds, "Adopters", "adoption from word of mouth", "adoption rate")
    share = ds["dominance_share"].sel(time=[1.0, 9.0, 19.0]).values[r]
    # faster word of mouth saturates earlier: the flip is near ln(N) / (c i), 15.4, 9.2 and
    # 6.6 years for c = 60, 100, 140, so at t = 9 the two slower samples are still dominated
    # by word of mouth; all are at t = 1, none at t = 19
    np.testing.assert_allclose(share, [1.0, 2 / 3, 0.0])
    q = ds["relative_score_quantile"]
    assert (q.sel(quantile=0.05) <= q.sel(quantile=0.95) + 1e-12).all()
    # each sample equals its single run
    single = ambidex.loop_dominance(BASS)
    np.testing.assert_allclose(ds["relative_score"].sel(sample=1).values, single["relative_score"].values)
    with pytest.raises(ambidex.ModelError, match="contact rat"):
        ambidex.loop_dominance(BASS, samples={"contact rat": rates})


def test_named_loops_toml(write_mdl, tmp_path):
    p = write_mdl(TWO_STOCK, name="osc.mdl", final=2, step=0.125)
    p.with_suffix(".loops.toml").write_text(
        '[[loop]]\nid = "B1"\nname = "oscillation"\npolarity = "B"\n'
        'variables = ["X", "outflow y", "Y", "inflow x"]\n\n'
        '[[loop]]\nid = "B2"\nname = "through both stocks, given by stocks only"\npolarity = "B"\n'
        'variables = ["Y", "X"]\n\n'
        '[[loop]]\nid = "R9"\nname = "not in the model"\npolarity = "R"\n'
        'variables = ["X", "drain y"]\n')
    st, _ = analyse(p)
    named = {n.id: n for n in st.named.loops}
    assert named["B1"].exact and named["B1"].loop.length == 4
    assert not named["B2"].exact and named["B2"].loop is named["B1"].loop
    assert st.named.missing == ["R9"]
    ds = loop_dominance(p)
    i = _loop(ds, "X", "outflow y", "Y", "inflow x")
    assert ds["named_id"].values[i] == "B1" and ds["name"].values[i] == "oscillation"
    assert ds.attrs["named_loops_missing"] == "R9"
    p.with_suffix(".loops.toml").write_text('[[loop]]\nid = "B1"\nvariables = ["X", "no such thing"]\n')
    with pytest.raises(ambidex.ModelError, match="no such thing"):
        analyse(p)
    p.with_suffix(".loops.toml").write_text('[[loop]\nid = "B1"\n')
    with pytest.raises(ambidex.ModelError, match=r"osc\.loops\.toml: malformed TOML"):
        analyse(p)


def test_figures_and_report(tmp_path):
    from ambidex.loops import write_loops_report
    from ambidex.loops.figures import cld_figure, dominance_bands_figure, relative_scores_figure

    st, run = analyse(BASS)
    fig = cld_figure(st)
    menu = fig.layout.updatemenus[0]
    assert len(menu.buttons) == 1 + len(st.loops)       # 'all links' + one per loop
    colours = {tr.name: tr.line.color for tr in fig.data}
    assert colours["positive link"] != colours["negative link"]
    ds = loop_dominance(BASS)
    rel = relative_scores_figure(ds)
    assert {tr.stackgroup for tr in rel.data} == {"pos", "neg"}
    ens = ambidex.loop_dominance(BASS, samples={"adoption fraction": [0.01, 0.02]})
    bands = dominance_bands_figure(ens)
    assert len(bands.data) == 3 * ens.sizes["loop"]
    path, ds2, periods = write_loops_report(BASS, out_dir=tmp_path)
    assert path.is_file() and path.stat().st_size > 100_000 and "Causal-loop diagram" in path.read_text()
    assert len(periods) == 2


def test_dual_model_diagram_sectors(model):
    from ambidex.loops.figures import SECTOR_BOXES, layout
    g = causal_graph(model)
    pos = layout(g)
    x = {s: [] for s in SECTOR_BOXES}
    for n, d in g.nodes(data=True):
        x.setdefault(d["sector"], []).append(pos[n][0])
    collab = max(x["Collaboration based business model"])
    market = min(x["Market based business model"])
    boundary = x["Boundary element"]
    assert collab < min(boundary) and max(boundary) < market


def test_cli_loops(tmp_path):
    from typer.testing import CliRunner

    from ambidex.cli import app

    r = CliRunner().invoke(app, ["loops", "--model", str(BASS), "--out", str(tmp_path), "--period", "5"])
    assert r.exit_code == 0, r.output
    assert "Dominant loop per period" in r.output and "Adopters" in r.output
    assert (tmp_path / "loops_bass_diffusion_default.html").is_file()
    r = CliRunner().invoke(app, ["loops", "--model", str(tmp_path / "missing.mdl"), "--out", str(tmp_path)])
    assert r.exit_code == 2


def test_xmile_twin_gives_the_same_loop_scores(model):
    xmile = ROOT / "sd_models" / "dual_business_model.xmile"
    a = loop_dominance(model, length_bound=6)
    b = loop_dominance(xmile, length_bound=6)
    assert a.sizes["loop"] > 10
    assert list(a["variables"].values) == list(b["variables"].values)
    np.testing.assert_allclose(a["relative_score"].values, b["relative_score"].values, atol=1e-9)
