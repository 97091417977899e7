"""ambidex.solve: one path to the engines; one provenance schema; engines chosen by name.

The counting test instruments every integrator the package has (the compiled kernels' entry
``CompiledModel.run``, PySD's own ``Model.run``, the scipy/fixed-step integrators of
``ambidex.engines.solvers``) and fails if any analysis reaches one of them other than from inside an
``Engine.run`` called by ``solve``.
"""

from __future__ import annotations

import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest
from _data import TWO_STOCKS

import ambidex
from ambidex import engines
from ambidex.compiled.engine import CompiledModel
from ambidex.core.errors import ScenarioError
from ambidex.engines import solvers
from ambidex.solve import solve

ROOT = Path(__file__).resolve().parents[1]
BASS = ROOT / "sd_models" / "reference" / "bass_diffusion.mdl"
SPEC = ROOT / "scenarios" / "sensitivity" / "dual_model_sobol.toml"
TEACUP = ROOT / "tests" / "models" / "teacup.mdl"


def test_dims_and_values_equal_simulate_and_ensemble(model):
    s = {"selectivity": [0.2, 0.5]}
    ds = solve(model, ["baseline_dual", "fragmentation"], samples=s, solver="dopri5",
               outputs=["total_revenue", "cash"])
    assert ds.total_revenue.dims == ("scenario", "sample", "time")
    assert list(ds.scenario.values) == ["baseline_dual", "fragmentation"]
    np.testing.assert_array_equal(ds.selectivity.values, s["selectivity"])
    ens = ambidex.ensemble(model, s, scenario="fragmentation", variables=["total_revenue"])
    np.testing.assert_array_equal(ds.total_revenue.sel(scenario="fragmentation").values,
                                  ens.total_revenue.values)
    one = ambidex.simulate(model, "baseline_dual", params={"selectivity": 0.5}, method="dopri5",
                           variables=["cash"])
    np.testing.assert_array_equal(ds.cash.values[0, 1], one.cash.values[0])


def test_simulate_and_ensemble_share_one_provenance_schema(model):
    sim = ambidex.simulate(model, variables=["cash"])
    ens = ambidex.ensemble(model, {"selectivity": [0.3]}, variables=["cash"])
    assert set(ens.attrs) - set(sim.attrs) == {"chunk_size"}
    assert set(sim.attrs) <= set(ens.attrs)
    for ds in (sim, ens):
        assert ds.attrs["model_sha256"] == model.sha256 and ds.attrs["engine"] == "compiled"
        assert ds.attrs["method"] == "dopri5" and '"rtol": 1e-06' in ds.attrs["solver"]


def test_unknown_engine_is_one_clear_line(model):
    with pytest.raises(ScenarioError, match=r"engine 'jax' is not one of auto, compiled, pysd"):
        solve(model, engine="jax")
    with pytest.raises(ScenarioError, match=r"engine 'jax' is not one of compiled, pysd"):
        engines.get_engine("jax", model)


def test_parameter_table_is_index_aligned(model):
    tab = model.table
    P = tab.matrix({"selectivity": np.array([0.1, 0.9])}, base={"contract_length": 7.0})
    assert P.shape == (2, len(model.parameters))
    j = tab.index["selectivity"]
    assert P[:, j].tolist() == [0.1, 0.9] and (P[:, tab.index["contract_length"]] == 7).all()
    others = [i for i in range(len(tab)) if i not in (j, tab.index["contract_length"])]
    np.testing.assert_array_equal(P[0, others], tab.defaults[others])
    with pytest.raises(ValueError, match=r"x\[1\]: value 1.5 for parameter 'selectivity' is "
                                         r"outside its range \[0, 1\]"):
        tab.check_column("selectivity", np.array([0.5, 1.5]), "x")


# ------------------------------------------------------------------ nothing bypasses solve
@pytest.fixture
def counting(monkeypatch):
    """Counts Engine.run calls; records any integrator call made outside one."""
    state = {"inside": 0, "engine_runs": 0, "bypass": []}

    def wrap_engine(cls, name):
        orig = getattr(cls, name)

        def run(self, *a, **k):
            state["inside"] += 1
            state["engine_runs"] += 1
            try:
                return orig(self, *a, **k)
            finally:
                state["inside"] -= 1
        monkeypatch.setattr(cls, name, run)

    def guard(owner, name, label):
        orig = getattr(owner, name)

        def f(*a, **k):
            if not state["inside"]:
                state["bypass"].append(label)
            return orig(*a, **k)
        monkeypatch.setattr(owner, name, f)

    for name in engines.ENGINES:
        cls = engines.engine_class(name)
        for method in ("run", "state_at"):  # state_at: structure analyses (solve.state_at)
            if hasattr(cls, method):
                wrap_engine(cls, method)
    import pysd.py_backend.model as pysd_model
    guard(CompiledModel, "run", "CompiledModel.run")
    guard(pysd_model.Model, "run", "pysd Model.run")
    guard(solvers, "fixed_step", "solvers.fixed_step")
    guard(solvers, "adaptive", "solvers.adaptive")
    return state


def _small_sensitivity():
    data = tomllib.loads(SPEC.read_text())
    data["method"] = {"name": "morris", "samples": 2, "levels": 4}
    for k in ("uncertainty", "discovery"):
        data.pop(k, None)
    data["outputs"] = data["outputs"][:1]
    return data


@pytest.mark.parametrize("analysis", ["simulate", "ensemble", "loops", "check", "sensitivity",
                                      "calibrate", "structure", "cli", "workshop", "report"])
def test_every_analysis_reaches_engines_only_through_solve(analysis, counting, model, write_mdl,
                                                           tmp_path):
    """The analyses, and the faces (CLI, workshop, report) on a second model, the teacup."""
    if analysis in ("cli", "workshop", "report"):
        _face(analysis, tmp_path)
    elif analysis == "simulate":
        ambidex.simulate(model, variables=["cash"])
        ambidex.simulate(model, "transition_2005", variables=["cash"])  # pysd engine
    elif analysis == "ensemble":
        ambidex.ensemble(model, {"selectivity": [0.2, 0.4]}, variables=["cash"])
    elif analysis == "loops":
        ambidex.loop_dominance(BASS, samples={"contact rate": [60.0, 100.0]})
    elif analysis == "check":
        ambidex.check(write_mdl("""
Stock = INTEG(inflow - outflow, 10)
	~	widget [0,?]
	~	a stock
	|
inflow = 1
	~	widget/Year [0, 5]
	~	constant inflow (assumption: a round number)
	|
outflow = Stock / residence time
	~	widget/Year
	~	first-order outflow
	|
residence time = 4
	~	Year [1, 10]
	~	average residence (assumption)
	|
"""))
    elif analysis == "sensitivity":
        ambidex.sensitivity(model, _small_sensitivity())
    elif analysis == "structure":
        from ambidex.structure import stock_influences

        assert len(stock_influences(model, t=2005.0)) > 0
    else:
        with warnings.catch_warnings():  # identifiability warnings are not this test's topic
            warnings.simplefilter("ignore")
            ambidex.calibrate(model, "case_firm", seed=0, n_starts=1, profile=False)
    assert counting["bypass"] == [], f"{analysis} drove an integrator outside solve"
    assert counting["engine_runs"] >= 1, f"{analysis} never reached an engine"


def _face(face: str, tmp_path: Path) -> None:
    if face == "cli":
        from typer.testing import CliRunner

        from ambidex.cli import app

        r = CliRunner().invoke(app, ["run", "--model", str(TEACUP), "--out", str(tmp_path)])
        assert r.exit_code == 0, r.output
    elif face == "workshop":
        from ambidex.workshop import runs
        from ambidex.workshop import state as ws

        runs._CACHE.clear()  # an earlier test may have run this very setting (cache hit)
        m = ambidex.load_model(TEACUP)
        st = ws.state_from_scenario(m, ambidex.Scenario(name="default", source="teacup"))
        st, _ = ws.set_levers(m, st, {"characteristic_time": 5.0})
        assert runs.run(m, ws.scenario_dict(m, st)).sizes["time"] > 1
    else:
        from ambidex.report import build_report

        m = ambidex.load_model(TEACUP)
        assert "Teacup Temperature" in build_report(ambidex.simulate(m), m)


# ------------------------------------------------------------------ structure through solve


def test_stock_influences_match_the_hand_derived_jacobian(write_mdl):
    """dX/dt = k1 Y - k2 X, dY/dt = -k3 X: the Jacobian is [[-k2, k1], [-k3, 0]].  Strength =
    d(net flow of target)/d(source) x |source| / max(|target|, |target's net flow|)."""
    from ambidex.structure import stock_influences

    m = ambidex.load_model(write_mdl(TWO_STOCKS, step=1.0, saveper=1.0))
    edges = stock_influences(m).set_index(["source", "target"])
    # at t = 0: X = 10, Y = 5, dX/dt = 1.5, dY/dt = -2
    assert dict(edges["sign"]) == {("X", "X"): -1, ("Y", "X"): 1, ("X", "Y"): -1}
    assert edges.loc[("X", "X"), "strength"] == pytest.approx(-0.1 * 10 / 10, rel=1e-6)
    assert edges.loc[("Y", "X"), "strength"] == pytest.approx(0.5 * 5 / 10, rel=1e-6)
    assert edges.loc[("X", "Y"), "strength"] == pytest.approx(-0.2 * 10 / 5, rel=1e-6)
    # at t = 1 after one Euler step of 1 year: X = 11.5, Y = 3, dX/dt = 0.35, dY/dt = -2.3
    later = stock_influences(m, t=1.0).set_index(["source", "target"])
    assert later.loc[("X", "Y"), "strength"] == pytest.approx(-0.2 * 11.5 / 3, rel=1e-6)
    assert later.loc[("Y", "X"), "strength"] == pytest.approx(0.5 * 3 / 11.5, rel=1e-6)


# ------------------------------------------------------------------ one IR per model
def test_the_model_builds_one_ir_that_the_engine_and_loop_scores_share(monkeypatch):
    """The compiled engine and the loop scores read ``Model.ir``; a loop-dominance analysis on a
    fresh model translates the AbstractModel into slots once, and adds no slot to it."""
    from ambidex.core.ir import translator as ctr
    from ambidex.loops.equations import Equations

    built = []
    orig = ctr.Translator.__init__

    def counting(self, *a, **k):
        built.append(1)
        orig(self, *a, **k)
    monkeypatch.setattr(ctr.Translator, "__init__", counting)
    m = ambidex.load_model(BASS)
    dom = ambidex.loop_dominance(m)
    assert len(built) == 1
    n_slots = len(m.ir.slots)
    assert m.compiled()._tr is m.ir and Equations(m).tr is m.ir
    assert len(m.ir.slots) == n_slots and len(built) == 1
    assert dom.sizes["loop"] > 0
