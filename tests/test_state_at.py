"""``solve.state_at`` on the compiled engine: a run's state at a time and its right-hand side,
checked against hand-derived values (a linear two-stock model, the teacup), against the compiled
engine's own Euler run (bitwise) and against the PySD engine on the dual model (a peer: to
tolerance)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _data import TWO_STOCKS

import ambidex
from ambidex.core.errors import ScenarioError
from ambidex.core.scenario import Scenario
from ambidex.solve import state_at

TEACUP = Path(__file__).parent / "models" / "teacup.mdl"

A = np.array([[-0.1, 0.5], [-0.2, 0.0]])


def _xy(point):
    return np.array([point.y[point.stocks["x"]][0], point.y[point.stocks["y"]][0]])


def test_linear_model_state_and_rhs_by_hand(write_mdl):
    m = ambidex.load_model(write_mdl(TWO_STOCKS, step=0.5, saveper=0.5))
    p0 = state_at(m, engine="compiled")
    assert p0.t == 0.0 and list(_xy(p0)) == [10.0, 5.0]
    assert set(p0.stocks) == {"x", "y"} and len(p0.names) == len(p0.y) == 2
    ix, iy = p0.stocks["x"].start, p0.stocks["y"].start
    for y in (p0.y, np.array([3.0, -7.0]), np.array([0.0, 0.0])):
        d = p0.rhs(y)
        assert d[[ix, iy]] == pytest.approx(A @ y[[ix, iy]], rel=1e-15, abs=1e-15)
    # two hand Euler steps of 0.5: (10, 5) -> (10.75, 4) -> (11.3375, 2.925)
    y1 = np.array([10.0, 5.0]) + 0.5 * (A @ [10.0, 5.0])
    y2 = y1 + 0.5 * (A @ y1)
    p1 = state_at(m, t=1.0, engine="compiled")
    assert p1.t == 1.0 and _xy(p1) == pytest.approx(y2, rel=1e-15)
    # a time between grid points is rounded up to the grid (as PySD's run sees it)
    assert state_at(m, t=0.6, engine="compiled").t == 1.0
    with pytest.raises(ScenarioError, match="after the final time"):
        state_at(m, t=11.0, engine="compiled")


def test_teacup_rhs_is_newtons_cooling_law():
    m = ambidex.load_model(TEACUP)
    point = state_at(m, engine="compiled")
    sl = point.stocks["teacup_temperature"]
    assert point.y[sl][0] == 180.0
    for temp in (180.0, 70.0, 20.0):
        y = point.y.copy()
        y[sl] = temp
        assert point.rhs(y)[sl][0] == pytest.approx(-(temp - 70.0) / 10.0, rel=1e-15)
    # a parameter of the scenario reaches the right-hand side
    sc = Scenario(name="slow", parameters={"characteristic_time": 20.0})
    assert state_at(m, sc, engine="compiled").rhs(point.y)[sl][0] == pytest.approx(-5.5)


def test_state_is_bitwise_the_engines_euler_run(model):
    """The compiled state_at steps the generated functions as the Euler kernel does: the stocks
    at a save time are the bits the compiled engine's euler run saves there."""
    times = [2001.0, 2010.0, 2025.0]
    ds = ambidex.solve(model, solver="euler", engine="compiled", saveat=np.array(times))
    for t in times:
        point = state_at(model, t=t, engine="compiled")
        assert point.t == t
        for py, sl in point.stocks.items():
            got = point.y[sl][0]
            want = float(ds[py].sel(time=t).values.squeeze())
            assert got == want, (py, t, got, want)


def test_compiled_and_pysd_state_points_agree_on_the_dual_model(model):
    """Peers, not truth: the same stocks, the same state and net flows to rounding (the two
    evaluate the equations in different operation orders, and the PySD engine's grid is
    t0 + n dt where the compiled one accumulates dt)."""
    for t in (None, 2005.0, 2012.3):
        a = state_at(model, t=t, engine="compiled")
        b = state_at(model, t=t, engine="pysd")
        assert a.t == pytest.approx(b.t, abs=1e-9) and set(a.stocks) == set(b.stocks)
        assert len(a.stocks) == len(model.stocks)
        da, db = a.rhs(a.y), b.rhs(b.y)
        for py in a.stocks:
            assert a.y[a.stocks[py]] == pytest.approx(b.y[b.stocks[py]], rel=1e-12, abs=1e-12)
            assert da[a.stocks[py]] == pytest.approx(db[b.stocks[py]], rel=1e-9, abs=1e-12), py


def test_influences_are_the_same_on_either_engine(model, monkeypatch):
    import importlib

    st = importlib.import_module("ambidex.structure")
    got = {}
    for eng in ("compiled", "pysd"):
        monkeypatch.setattr(st, "state_at", lambda *a, e=eng, **k: state_at(*a, engine=e, **k))
        got[eng] = st.stock_influences(model)
    a, b = got["compiled"], got["pysd"]
    # the same rows in the same (model stock) order, the same signs; strengths are finite
    # differences of relative step 1e-6: equal to ~1e-8 relative
    assert len(a) > 50
    assert a[["source", "target", "sign"]].equals(b[["source", "target", "sign"]])
    np.testing.assert_allclose(a.strength, b.strength, rtol=1e-6)


def test_auto_picks_compiled_for_euler_and_pysd_otherwise(model):
    compiled_names = state_at(model).names  # the compiled model's state names
    assert "Team Capacity" in compiled_names
    assert "_integ_team_capacity" in state_at(model, solver="rk4").names
    pysd_names = state_at(model, Scenario(name="cut", horizon=(2000.0, 2010.0))).names
    assert "_integ_team_capacity" in pysd_names  # another horizon: only PySD runs it
    with pytest.raises(ScenarioError, match="'euler', not 'rk4'"):
        state_at(model, solver="rk4", engine="compiled")


DELAYED = """
S = INTEG(inflow - S / 4, 2)
	~	widget
	~	a stock
	|
inflow = DELAY FIXED(signal, 1, 0.5)
	~	widget/Year
	~	the signal one year late (0.5 before)
	|
signal = 1 + Time / 2 + S / 10
	~	widget/Year
	~	input
	|
"""


def test_delay_fixed_states_step_as_the_kernel_does(write_mdl):
    """DELAY FIXED steps once per TIME STEP (``_disc``): until t = 1 the inflow is its initial
    0.5 and S stays 2 (0.5 - 2/4 = 0); at t = 1 it is signal(0) = 1 + 0 + 2/10, so
    dS/dt = 1.2 - 0.5.  Later states are bitwise the engine's euler run and PySD's."""
    m = ambidex.load_model(write_mdl(DELAYED, final=5, step=0.25))
    at = {t: state_at(m, t=t, engine="compiled") for t in (0.5, 1.0, 1.75, 3.0)}
    sl = at[0.5].stocks["s"]
    assert at[0.5].y[sl][0] == 2.0 and at[0.5].rhs(at[0.5].y)[sl][0] == 0.0
    assert at[1.0].y[sl][0] == 2.0 and at[1.0].rhs(at[1.0].y)[sl][0] == pytest.approx(0.7)
    ds = ambidex.solve(m, solver="euler", engine="compiled")
    for t, point in at.items():
        assert point.y[sl][0] == float(ds["s"].sel(time=t).values.squeeze())
        peer = state_at(m, t=t, engine="pysd")
        assert point.y[sl][0] == pytest.approx(peer.y[peer.stocks["s"]][0], rel=1e-12)
        assert point.rhs(point.y)[sl][0] == pytest.approx(peer.rhs(peer.y)[peer.stocks["s"]][0],
                                                          rel=1e-12)
