"""Behaviour of the compiled batched backend (ambidex.compiled)."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from _data import require

from ambidex.compiled import compile_model
from ambidex.core.errors import ModelError, UnsupportedFunctionError

SUITE = Path(__file__).resolve().parent / "data" / "sdxorg-test-models"  # shipped (MIT), tests/data/README.md
TEACUP = SUITE / "samples" / "teacup" / "teacup.mdl"

CONTROL = """
********************************************************
\t.Control
********************************************************~
\t\tSimulation Control Parameters
\t|
FINAL TIME  = {final}
\t~\tMonth
\t~\tThe final time for the simulation.
\t|
INITIAL TIME  = 0
\t~\tMonth
\t~\tThe initial time for the simulation.
\t|
SAVEPER  = {saveper}
\t~\tMonth [0,?]
\t~\tThe frequency with which output is stored.
\t|
TIME STEP  = {dt}
\t~\tMonth [0,?]
\t~\tThe time step for the simulation.
\t|
"""


def write_mdl(tmp_path: Path, name: str, equations: str, final=10, dt=0.125, saveper=0.5):
    """A Vensim model from ``equations`` (one 'lhs = rhs' per line) with control variables."""
    body = "{UTF-8}\n"
    for line in equations.strip().splitlines():
        body += f"{line.strip()}\n\t~\t\n\t~\t\n\t|\n\n"
    path = tmp_path / name
    path.write_text(body + CONTROL.format(final=final, dt=dt, saveper=saveper))
    return path


def needs_suite():
    require(SUITE, "the SDXorg conformance suite")


# ------------------------------------------------------------------ PySD agreement (Euler)
PYSD_MODELS = ["samples/teacup/teacup.mdl", "tests/smooth/test_smooth.mdl",
               "tests/subscripted_smooth/test_subscripted_smooth.mdl",
               "tests/lookups/test_lookups.mdl", "tests/macro_stock/test_macro_stock.mdl",
               "tests/trend/test_trend.mdl",
               "tests/subscript_mapping_simple/test_subscript_mapping_simple.mdl",
               "tests/active_initial/test_active_initial.mdl", "tests/time/test_time.mdl"]


@pytest.mark.parametrize("rel", PYSD_MODELS)
def test_euler_matches_pysd(rel, tmp_path):
    needs_suite()
    import pysd

    src = SUITE / rel
    for f in src.parent.iterdir():  # PySD writes a .py next to the model: work on a copy
        if f.is_file():
            shutil.copy(f, tmp_path / f.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = pysd.read_vensim(str(tmp_path / src.name)).run()
    cm = compile_model(tmp_path / src.name)
    res = cm.run(method="euler")
    np.testing.assert_allclose(res.time, df.index.values, rtol=0, atol=1e-9)
    compared = 0
    for col in df.columns:
        if col not in res:
            continue
        want = df[col].values.astype(float)
        got = res[col][0]
        np.testing.assert_allclose(got, want, rtol=0,
                                   atol=1e-9 * np.max(np.abs(want)) + 1e-12, err_msg=col)
        compared += 1
    assert compared >= 3


KITCHEN_SINK = """
DimA: a1, a2, a3
SubA: a2, a3
DimB: b1, b2
DimC: c1, c2
Input = 1 + STEP(2, 1.5) + PULSE TRAIN(2, 0.5, 3, 8.2) + RAMP(0.3, 4, 7)
Delay time = 2
D1 = DELAY1(Input, Delay time)
D1I = DELAY1I(Input, Delay time, 3)
D3 = DELAY3(Input, Delay time)
D3I = DELAY3I(Input, Delay time, 0.5)
D3short = DELAY3(Input, 0.2)
S3I = SMOOTH3I(Input, 1.5, 4)
SI = SMOOTHI(Input, 1.5, 4)
Tr = TREND(Input, 3, 0.1)
Init val = INITIAL(Input * 2)
Mod val = MODULO(Time, 1.5) + INTEGER(Time / 0.7) + QUANTUM(Time, 0.4)
Lk = WITH LOOKUP(Time, ([(0,0)-(10,10)],(0,0),(2,3),(5,1),(10,4)))
Tbl((0,1),(3,2),(6,0.5))
Tbl use = Tbl(Time) + Tbl(Time + 100) + Tbl(-5)
Logic = IF THEN ELSE(Time > 2 :AND: Time < 6 :OR: Input >= 3, 1, 0) + IF THEN ELSE(:NOT: (Time > 5), 10, 20)
Math = ABS(-Time) + EXP(-Time/10) + LN(1 + Time) + SQRT(Time) + SIN(Time) + COS(Time) + TAN(Time/10) + ARCTAN(Time) + MIN(Time, 3) + MAX(Time, 3) + Time ^ 1.5 - -2 ^ 2 + XIDZ(1, Time - Time, 7) + ZIDZ(Time, 2)
Cube[DimA, DimB, DimC] = Weights[DimA] * 10 + Bvals[DimB] + Cvals[DimC] * Time
Weights[DimA] = 1, 2, 3
Bvals[DimB] = 0.1, 0.2
Cvals[DimC] = 0.01, 0.02
Total = SUM(Cube[DimA!, DimB!, DimC!])
Prod sub[DimB] = PROD(Weights[DimA!]) * Bvals[DimB]
Vmax sub[DimA] = VMAX(Cube[DimA, DimB!, c1]) - VMIN(Cube[DimA, b1, DimC!])
Sub only[SubA] = Weights[SubA] * 2
Stock3[DimA, DimB] = INTEG(Weights[DimA] * Bvals[DimB] - Stock3[DimA, DimB] / 5, Weights[DimA])
Ai = ACTIVE INITIAL(Stock3[a1, b1] * 2, 100)
Pos of dim[DimA] = DimA
"""


def test_kitchen_sink_matches_pysd(tmp_path):
    """Every supported function in one model: compiled Euler == PySD to 1e-9 relative."""
    import pysd

    mdl = write_mdl(tmp_path, "sink.mdl", KITCHEN_SINK, final=10, dt=0.125, saveper=0.25)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = pysd.read_vensim(str(mdl)).run()
    cm = compile_model(mdl)
    res = cm.run()
    assert set(df.columns) <= set(res), set(df.columns) - set(res)
    for col in df.columns:
        if col == "D3short":
            continue  # PySD lowers a DELAY3's order when 3*dt > delay time; Vensim does not
        want = df[col].values.astype(float)
        np.testing.assert_allclose(res[col][0], want, rtol=0,
                                   atol=1e-9 * np.max(np.abs(want)) + 1e-12, err_msg=col)
    assert "Cube[a3,b2,c1]" in res and len(df.columns) > 50
    # DELAY3(Input, 0.2) at dt 0.125 keeps its full order, as Vensim does (SDEverywhere's
    # delay.mdl against Vensim); hand-written Euler recursion of three stages of 0.2/3 each,
    # compared at the save points (every second step)
    full = cm.run(return_vars=["Input", "D3short"], t_eval=np.arange(0, 10.001, 0.125))
    u, x = full["Input"][0], np.full(3, full["Input"][0][0])
    want = [x[2]]
    for k in range(len(u) - 1):
        x = x + 0.125 * (np.r_[u[k], x[:2]] - x) / (0.2 / 3)
        want.append(x[2])
    np.testing.assert_allclose(full["D3short"][0], want, rtol=1e-9)
    # the same model runs adaptively, each run on its own
    ada = cm.run({"Delay time": [1.0, 2.0, 4.0]}, method="dopri5", rtol=1e-7)
    assert np.all(ada.status == 0)
    rk4 = cm.run(method="rk4")
    for k in cm.variable_names:
        if k.startswith("Stock3"):  # smooth in time: RK4 and DOPRI5 agree closely
            np.testing.assert_allclose(ada[k][1], rk4[k][0], rtol=1e-7, err_msg=k)
    for k in ("D1", "D3", "S3I", "Tr"):  # discontinuous inputs: RK4 is only O(dt) there
        np.testing.assert_allclose(ada[k][1], rk4[k][0], rtol=0, atol=0.1, err_msg=k)


# ------------------------------------------------------------------ batching
@pytest.mark.parametrize("method", ["euler", "rk4", "dopri5", "bs3"])
def test_batched_equals_one_by_one(method):
    needs_suite()
    cm = compile_model(TEACUP)
    taus = np.array([0.7, 3.0, 10.0, 25.0, 60.0])
    rooms = np.array([10.0, 20.0, 70.0, 75.0, 0.0])
    batch = cm.run({"Characteristic Time": taus, "room_temperature": rooms}, method=method,
                   parallel=True)
    assert batch["Teacup Temperature"].shape == (5, batch.time.size)
    for i in range(5):
        one = cm.run({"Characteristic Time": taus[i], "Room Temperature": rooms[i]},
                     method=method, parallel=False)
        for k in batch:
            np.testing.assert_array_equal(batch[k][i], one[k][0], err_msg=k)
    assert np.all(batch.status == 0)


# ------------------------------------------------------------------ accuracy of dopri5
def test_teacup_dopri5_matches_analytic():
    needs_suite()
    cm = compile_model(TEACUP)
    taus = np.array([2.0, 10.0, 40.0])
    res = cm.run({"Characteristic Time": taus}, method="dopri5", rtol=1e-8, atol=1e-10)
    t = res.time
    exact = 70 + (180 - 70) * np.exp(-t[None, :] / taus[:, None])
    np.testing.assert_allclose(res["Teacup Temperature"], exact, rtol=1e-7, atol=0)
    # dense output makes the cost independent of the 241 output points
    assert np.all(res.nfev < 241 * 6)


def test_oscillator_dopri5_matches_analytic(tmp_path):
    mdl = write_mdl(tmp_path, "sho.mdl", """
        Position = INTEG(Velocity, 1)
        Velocity = INTEG(-omega * omega * Position, 0)
        omega = 2
        Energy = Position * Position + Velocity * Velocity / (omega * omega)
    """, final=20, dt=0.0625, saveper=0.25)
    cm = compile_model(mdl)
    assert set(cm.user_stock_names) == {"Position", "Velocity"}
    omegas = np.array([0.5, 1.0, 2.0, 3.0])
    res = cm.run({"omega": omegas}, method="dopri5", rtol=1e-8, atol=1e-10)
    t = res.time[None, :]
    w = omegas[:, None]
    np.testing.assert_allclose(res["Position"], np.cos(w * t), rtol=0, atol=2e-7)
    np.testing.assert_allclose(res["Velocity"], -w * np.sin(w * t), rtol=0, atol=2e-7 * 3)
    np.testing.assert_allclose(res["Energy"], 1.0, rtol=0, atol=1e-6)


def test_heterogeneous_ensemble_per_run_error_control():
    needs_suite()
    from scipy.integrate import solve_ivp

    cm = compile_model(TEACUP)
    taus = np.geomspace(0.5, 50.0, 24)
    rtol = 1e-6
    res = cm.run({"Characteristic Time": taus}, method="dopri5", rtol=rtol, atol=1e-9)
    got = res["Teacup Temperature"]
    for i, tau in enumerate(taus):
        ref = solve_ivp(lambda t, y, tau=tau: -(y - 70.0) / tau, (0.0, 30.0), [180.0], method="DOP853",
                        rtol=1e-10, atol=1e-12, t_eval=res.time).y[0]
        assert np.max(np.abs(got[i] - ref)) <= 20 * rtol * np.max(np.abs(ref)), tau
    # each run chose its own steps: the stiffest run needs the most evaluations
    assert res.nfev[0] > 2 * res.nfev[-1]
    assert len(set(res.nfev.tolist())) > 3


def test_dopri5_lands_on_step_and_pulse(tmp_path):
    mdl = write_mdl(tmp_path, "steps.mdl", """
        Level = INTEG(STEP(height, 3.3) + PULSE(6, 1.5) + RAMP(0.5, 7, 8), 0)
        height = 2
    """, final=10, dt=0.125, saveper=0.125)
    cm = compile_model(mdl)
    res = cm.run({"height": [1.0, 2.0]}, method="dopri5", rtol=1e-9, atol=1e-12)
    t = res.time
    dt = 0.125
    for i, h in enumerate([1.0, 2.0]):
        ts = 3.3 - dt / 2  # PySD/Vensim STEP switches once time + TIME STEP/2 > start
        lvl = h * np.clip(t - ts, 0, None)
        lvl += np.clip(t - (6 - 1e-6), 0, 1.5 + 1e-6)  # on for start-1e-6 <= t < start+width
        r = np.clip(t, 7, 8) - 7
        lvl += 0.5 * r * r / 2 + 0.5 * np.clip(t - 8, 0, None)
        np.testing.assert_allclose(res["Level"][i], lvl, rtol=0, atol=1e-7)


# ------------------------------------------------------------------ failures per run
def test_nan_in_one_sample_is_reported_and_isolated(tmp_path):
    mdl = write_mdl(tmp_path, "sq.mdl", """
        Stock = INTEG(Flow, 1)
        Flow = SQRT(a) * Stock / 10
        a = 4
    """)
    cm = compile_model(mdl)
    a = np.array([1.0, 4.0, -1.0, 9.0])
    for method in ("euler", "rk4", "dopri5"):
        res = cm.run({"a": a}, method=method)
        assert res.failed.tolist() == [2]
        assert res.status.tolist() == [0, 0, 1, 0]
        assert "sample 2" in res.failure_messages()[0]
        assert np.isnan(res["Flow"][2]).all()
        for i in (0, 1, 3):
            single = cm.run({"a": a[i]}, method=method)
            np.testing.assert_array_equal(res["Stock"][i], single["Stock"][0])
            assert np.isfinite(res["Stock"][i]).all()
    with pytest.raises(Exception, match="sample 2"):
        res.raise_on_failure()


# ------------------------------------------------------------------ errors
def test_unsupported_forecast(tmp_path):
    mdl = write_mdl(tmp_path, "fc.mdl", """
        Out = FORECAST(In, 2, 1)
        In = 1
    """)
    with pytest.raises(UnsupportedFunctionError, match="FORECAST") as exc:
        compile_model(mdl)
    assert exc.value.function == "FORECAST"
    assert exc.value.variable == "Out"


def test_unsupported_get_xls_data(tmp_path):
    mdl = write_mdl(tmp_path, "gx.mdl", """
        Demand := GET XLS DATA('data.xlsx', 'Sheet1', 'A', 'B2')
        Stock = INTEG(Demand, 0)
    """)
    with pytest.raises(UnsupportedFunctionError, match="GET XLS DATA") as exc:
        compile_model(mdl)
    assert exc.value.variable == "Demand"


def test_parameter_errors():
    needs_suite()
    cm = compile_model(TEACUP)
    with pytest.raises(ModelError, match="unknown parameter 'Characteristic Tme'.*did you mean"):
        cm.run({"Characteristic Tme": 3.0})
    with pytest.raises(ModelError, match="disagree on the number of runs"):
        cm.run({"Characteristic Time": np.ones(3), "Room Temperature": np.ones(4)})
    with pytest.raises(ModelError, match="disagree on the number of runs"):
        cm.run({"Characteristic Time": np.ones(3)}, n=5)
    with pytest.raises(ModelError, match="shape"):
        cm.run({"Characteristic Time": np.ones((2, 2, 2))})
    with pytest.raises(ModelError, match="not a constant"):
        cm.run({"Heat Loss to Room": 1.0})
    with pytest.raises(ModelError, match="unknown variable"):
        cm.run(return_vars=["Nope"])
    with pytest.raises(ModelError, match="unknown method"):
        cm.run(method="rk45")
    with pytest.raises(ModelError, match="not on the TIME STEP grid"):
        cm.run(t_eval=[0.0, 0.3])


def test_attributes_and_names():
    needs_suite()
    cm = compile_model(TEACUP)
    assert cm.stock_names == ["Teacup Temperature"] == cm.user_stock_names
    assert set(cm.param_names) == {"Characteristic Time", "Room Temperature"}
    assert cm.param_py_names["Characteristic Time"] == "characteristic_time"
    assert cm.defaults == {"Characteristic Time": 10.0, "Room Temperature": 70.0}
    assert (cm.initial_time, cm.final_time, cm.time_step, cm.saveper) == (0, 30, 0.125, 0.125)
    assert "Heat Loss to Room" in cm.variable_names
    assert cm.units["Teacup Temperature"].startswith("Degrees")
    res = cm.run({"characteristic_time": [5.0, 10.0]}, return_vars=["teacup_temperature"])
    assert list(res) == ["Teacup Temperature"]
    assert res["Teacup Temperature"].shape == (2, 241)


def test_subscripted_params_and_hidden_states():
    needs_suite()
    cm = compile_model(SUITE / "tests/subscripted_smooth/test_subscripted_smooth.mdl")
    assert "Initial value subscript[Lemon]" in cm.param_names
    assert any(s.startswith("~smooth3") for s in cm.stock_names)
    assert not any(s.startswith("~") for s in cm.user_stock_names)
    vals = np.array([[1.0, 2, 3, 4, 5], [5.0, 4, 3, 2, 1]])
    res = cm.run({"Initial value subscript": vals})
    np.testing.assert_array_equal(res["SmoothI output[Macoun,Lime]"][:, 0], [2.0, 4.0])
    with pytest.raises(ModelError, match="5 elements"):
        cm.run({"Initial value subscript": np.ones((2, 3))})


def test_structural_parameters_are_fixed(tmp_path):
    mdl = write_mdl(tmp_path, "sn.mdl", """
        S = SMOOTH N(In, 2, 0, ord)
        ord = 3
        In = 1
        horizon = 12
    """, final="horizon")
    cm = compile_model(mdl)
    assert set(cm.structural_params) == {"ord", "horizon"} and cm.final_time == 12
    assert len(cm.stock_names) == 3 and cm.user_stock_names == []
    with pytest.raises(ModelError, match="'ord' fixes the structure"):
        cm.run({"ord": [3, 4]})
    res = cm.run({"ord": [3, 3]}, method="dopri5", t_eval=[0.0, 2.0, 12.0], rtol=1e-9)
    # third-order smooth of a unit step, smoothing time 2 (each stage 2/3)
    x = res.time / (2 / 3)
    exact = 1 - np.exp(-x) * (1 + x + x * x / 2)
    np.testing.assert_allclose(res["S"], np.vstack([exact, exact]), rtol=0, atol=1e-8)


# ------------------------------------------------------------------ specialised outputs
def test_requested_outputs_are_bitwise_equal_to_the_full_run(tmp_path):
    """``return_vars`` compiles an output function for just those variables (and what they
    depend on); their values must be the full-output run's, bit for bit, for every method."""
    mdl = write_mdl(tmp_path, "spec.mdl", """
        Stock = INTEG(Inflow - Outflow, 10)
        Other = INTEG(Stock * rate - Other / 4, 1)
        Inflow = growth * Stock * (1 - Stock / cap) + STEP(2, 3)
        Outflow = Stock / life
        Ratio = Other / (Stock + 1)
        Report = SMOOTH(Ratio * Inflow, 2) + LN(cap)
        Unused = EXP(Other / 100)
        growth = 0.3
        cap = 50
        life = 8
        rate = 0.05
    """, final=20, dt=0.125, saveper=0.25)
    cm = compile_model(mdl)
    params = {"growth": np.linspace(0.1, 0.6, 5), "life": np.linspace(4.0, 12.0, 5)}
    subsets = {("Report", "Stock"): ["Report", "Stock"], ("ratio",): ["Ratio"],
               ("Outflow", "growth", "Outflow"): ["Outflow", "growth"], (): []}
    for method in ("euler", "rk4", "dopri5"):
        full = cm.run(params, method=method)
        for rv, keys in subsets.items():
            part = cm.run(params, method=method, return_vars=list(rv))
            assert list(part) == keys
            for k, a in part.items():
                assert a.tobytes() == full[k].tobytes(), (method, rv, k)
            np.testing.assert_array_equal(part.status, full.status)
            np.testing.assert_array_equal(part.nfev, full.nfev)
            np.testing.assert_array_equal(part.time, full.time)
    # one generated module for every request: the outputs are chosen at run time by a plan
    # that computes only what the requested outputs depend on
    mod = cm._mod
    cm.run(params, method="dopri5", return_vars=["Ratio"])
    assert cm._mod is mod
    from ambidex.compiled.codegen import out_order
    aux = [s.name for s in out_order(cm._tr, cm._outputs)]
    need = cm._plan(cm._out_targets(["ratio"]))[:len(aux)]
    computed = {a for a, f in zip(aux, need) if f}
    assert "Unused" in aux and "Unused" not in computed  # 'Unused' is not computed for Ratio
    assert computed == {"Ratio"}  # Other / (Stock + 1): states only
