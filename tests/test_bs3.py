"""Method ``bs3``: Bogacki-Shampine 3(2) with per-run step control in the compiled engine,
checked against closed forms, a DOP853 reference, scipy's RK23 (the same pair) and its own
breakpoints."""

from __future__ import annotations

import numpy as np
import pytest
from test_compiled_engine import TEACUP, needs_suite, write_mdl

import ambidex
from ambidex.compiled import compile_model


def test_teacup_matches_analytic_and_tightens_with_rtol():
    needs_suite()
    cm = compile_model(TEACUP)
    taus = np.array([2.0, 10.0, 40.0])
    errs, fevs = [], []
    for rtol in (1e-5, 1e-7, 1e-9):
        res = cm.run({"Characteristic Time": taus}, method="bs3", rtol=rtol, atol=rtol * 1e-2)
        exact = 70 + (180 - 70) * np.exp(-res.time[None, :] / taus[:, None])
        errs.append(np.max(np.abs(res["Teacup Temperature"] - exact) / exact))
        fevs.append(res.nfev.sum())
        assert np.all(res.status == 0)
    assert errs[0] < 1e-4 and errs[2] < 1e-7, errs
    assert errs[0] > errs[1] > errs[2] and fevs[0] < fevs[1] < fevs[2]
    # third order: 100x tighter costs about 100^(1/3) = 4.6x the evaluations
    assert 2.5 < fevs[2] / fevs[1] < 8.0


def test_oscillator_and_dense_output_between_steps(tmp_path):
    mdl = write_mdl(tmp_path, "sho.mdl", """
        Position = INTEG(Velocity, 1)
        Velocity = INTEG(-omega * omega * Position, 0)
        omega = 2
    """, final=20, dt=0.0625, saveper=0.25)
    cm = compile_model(mdl)
    omegas = np.array([0.5, 1.0, 3.0])
    te = np.linspace(0.0, 20.0, 977)           # save times that are not step ends
    res = cm.run({"omega": omegas}, method="bs3", rtol=1e-7, atol=1e-9, t_eval=te)
    w, t = omegas[:, None], res.time[None, :]
    np.testing.assert_allclose(res["Position"], np.cos(w * t), rtol=0, atol=1e-4)
    np.testing.assert_allclose(res["Velocity"], -w * np.sin(w * t), rtol=0, atol=3e-4)
    # the Hermite output between steps does not change the steps: 977 or 2 save times,
    # the same evaluations and the same values where both save
    two = cm.run({"omega": omegas}, method="bs3", rtol=1e-7, atol=1e-9, t_eval=[0.0, 20.0])
    np.testing.assert_array_equal(res.nfev, two.nfev)
    np.testing.assert_array_equal(res["Position"][:, -1], two["Position"][:, -1])


def test_per_run_error_within_tolerance_of_dop853():
    needs_suite()
    from scipy.integrate import solve_ivp

    cm = compile_model(TEACUP)
    taus = np.geomspace(0.5, 50.0, 16)
    rtol = 1e-6
    res = cm.run({"Characteristic Time": taus}, method="bs3", rtol=rtol, atol=1e-9)
    for i, tau in enumerate(taus):
        ref = solve_ivp(lambda t, y, tau=tau: -(y - 70.0) / tau, (0.0, 30.0), [180.0],
                        method="DOP853", rtol=1e-10, atol=1e-12, t_eval=res.time).y[0]
        got = res["Teacup Temperature"][i]
        assert np.max(np.abs(got - ref)) <= 20 * rtol * np.max(np.abs(ref)), tau
    assert res.nfev[0] > 2 * res.nfev[-1]      # each run its own steps


def test_lands_on_step_and_pulse(tmp_path):
    mdl = write_mdl(tmp_path, "steps.mdl", """
        Level = INTEG(STEP(height, 3.3) + PULSE(6, 1.5), 0)
        height = 2
    """, final=10, dt=0.125, saveper=0.125)
    cm = compile_model(mdl)
    res = cm.run({"height": [1.0, 2.0]}, method="bs3", rtol=1e-9, atol=1e-12)
    t = res.time
    for i, h in enumerate([1.0, 2.0]):
        lvl = h * np.clip(t - (3.3 - 0.125 / 2), 0, None)
        lvl += np.clip(t - (6 - 1e-6), 0, 1.5 + 1e-6)
        np.testing.assert_allclose(res["Level"][i], lvl, rtol=0, atol=1e-7)


def test_same_pair_as_scipy_rk23_on_the_pysd_engine(tmp_path):
    """Engine 'pysd' runs method bs3 as scipy's RK23 (the same pair, its own step control):
    the two agree to the tolerance."""
    mdl = write_mdl(tmp_path, "logistic.mdl", """
        Population = INTEG(births, 10)
        births = r * Population * (1 - Population / capacity)
        r = 0.7
        capacity = 1000
    """, final=20, dt=0.125, saveper=0.5)
    m = ambidex.load_model(mdl)
    a = ambidex.simulate(m, method="bs3", rtol=1e-8, atol=1e-8, backend="compiled")
    b = ambidex.simulate(m, method="bs3", rtol=1e-8, atol=1e-8, backend="pysd")
    t = a.time.values
    exact = 1000 / (1 + (1000 / 10 - 1) * np.exp(-0.7 * t))
    for ds in (a, b):
        np.testing.assert_allclose(ds["population"].values.ravel(), exact, rtol=2e-6)


def test_ensemble_takes_bs3_and_refuses_unknown_methods(tmp_path):
    mdl = write_mdl(tmp_path, "decay.mdl", """
        Stock = INTEG(-Stock / tau, 100)
        tau = 4
    """, final=8, dt=0.25, saveper=1)
    ds = ambidex.ensemble(mdl, {"tau": [2.0, 4.0]}, method="bs3", rtol=1e-9, atol=1e-9)
    exact = 100 * np.exp(-ds.time.values[None, :] / np.array([[2.0], [4.0]]))
    np.testing.assert_allclose(ds["stock"].values, exact, rtol=1e-6)
    assert ds.attrs["method"] == "bs3"
    with pytest.raises(ambidex.ScenarioError, match="bs3"):
        ambidex.ensemble(mdl, {"tau": [2.0]}, method="bs4")
