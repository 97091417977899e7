"""SMOOTH / DELAY / TREND / DELAY FIXED / SAMPLE IF TRUE on both backends, against hand-derived
Euler recursions (and, for LSODA, the continuous solution).

Regression: PySD keeps unsubscripted states of these functions as numpy arrays, which broke every
PySD-backend run of such a model (``copy() got an unexpected keyword argument 'data'``).
"""

from __future__ import annotations

import numpy as np
import pytest

import ambidex

DT, TAU = 0.25, 2.0
BODY = """
input = STEP(1, 1)
	~	widgets
	~	|
s1 = SMOOTH(input, 2)
	~	widgets
	~	|
s3 = SMOOTH3(input, 2)
	~	widgets
	~	|
d1 = DELAY1(input, 2)
	~	widgets
	~	|
d3 = DELAY3(input, 2)
	~	widgets
	~	|
dn = DELAY N(input, 2, 0, 3)
	~	widgets
	~	|
tr = TREND(input, 2, 0)
	~	1/Year
	~	|
"""
DISCRETE = """
df = DELAY FIXED(input, 2, 0)
	~	widgets
	~	|
held = SAMPLE IF TRUE(Time >= 2 :AND: Time < 2.1, Time, 0)
	~	Year
	~	|
"""


def _euler_reference(times):
    """Hand-written Euler recursions at DT for the series of BODY (Vensim's STEP: on when
    time + DT/2 > 1)."""
    n = len(times)
    u = (times + DT / 2 > 1).astype(float)
    s1 = np.zeros(n)
    x = np.zeros((n, 3))
    avg = np.zeros(n)
    for k in range(n - 1):
        s1[k + 1] = s1[k] + DT * (u[k] - s1[k]) / TAU
        prev = np.r_[u[k], x[k, :2]]
        x[k + 1] = x[k] + DT * (prev - x[k]) / (TAU / 3)
        avg[k + 1] = avg[k] + DT * (u[k] - avg[k]) / TAU
    with np.errstate(divide="ignore", invalid="ignore"):
        tr = np.where(np.abs(TAU * np.abs(avg)) < 1e-6, 0.0, (u - avg) / (TAU * np.abs(avg)))
    return {"s1": s1, "d1": s1, "s3": x[:, 2], "d3": x[:, 2], "dn": x[:, 2], "tr": tr}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("stateful")
    paths = {}
    for name, body in (("continuous", BODY), ("discrete", BODY + DISCRETE)):
        p = d / f"{name}.mdl"
        p.write_text("{UTF-8}\n" + body.strip() + f"""
INITIAL TIME = 0
	~	Year
	~	|
FINAL TIME = 8
	~	Year
	~	|
TIME STEP = {DT}
	~	Year
	~	|
SAVEPER = {DT}
	~	Year
	~	|
""")
        paths[name] = ambidex.load_model(p)
    return paths


@pytest.mark.parametrize("backend", ["pysd", "compiled"])
def test_smooth_delay_trend_euler_match_hand_recursions(models, backend):
    ds = ambidex.simulate(models["continuous"], method="euler", backend=backend).isel(scenario=0)
    ref = _euler_reference(ds["time"].values)
    for name, want in ref.items():
        np.testing.assert_allclose(ds[name].values, want, rtol=1e-9, atol=1e-12, err_msg=name)


def test_pysd_backend_adaptive_runs_smooth_and_delay(models):
    ds = ambidex.simulate(models["continuous"], method="LSODA", backend="pysd",
                          rtol=1e-8, atol=1e-10).isel(scenario=0)
    t = ds["time"].values
    on = 1 - DT / 2  # Vensim's STEP switches on once time + TIME STEP/2 > 1
    exact = np.where(t > on, 1 - np.exp(-(t - on) / TAU), 0.0)  # first-order lag of the step
    np.testing.assert_allclose(ds["s1"].values, exact, atol=2e-3)
    np.testing.assert_allclose(ds["d1"].values, exact, atol=2e-3)


def test_delay_fixed_and_sample_if_true_on_the_pysd_backend(models):
    ds = ambidex.simulate(models["discrete"], method="euler", backend="pysd").isel(scenario=0)
    t = ds["time"].values
    u = (t + DT / 2 > 1).astype(float)
    shifted = np.where(t >= TAU, np.interp(t - TAU, t, u), 0.0)  # the input, 2 years later
    np.testing.assert_allclose(ds["df"].values, shifted, atol=1e-12)
    np.testing.assert_allclose(ds["held"].values, np.where(t >= 2, 2.0, 0.0), atol=1e-12)
    ref = _euler_reference(t)
    np.testing.assert_allclose(ds["s3"].values, ref["s3"], rtol=1e-9, atol=1e-12)


def test_discrete_delays_refuse_adaptive_methods_by_name(models):
    with pytest.raises(ambidex.ScenarioError, match="DELAY FIXED.*'euler' or 'rk4'"):
        ambidex.simulate(models["discrete"], method="LSODA", backend="pysd")


@pytest.mark.parametrize("backend", ["compiled", "pysd"])
def test_pulse_train_fires_at_its_end_time_as_vensim_does(tmp_path, backend):
    """PULSE TRAIN(2, 0.5, 3, 8): pulses start at 2, 5 and 8; Vensim fires the one at END (8)
    (its XMILE export: TIME >= start AND TIME <= end AND (TIME - start) MOD interval < width);
    PySD alone stops before it."""
    p = tmp_path / "pt.mdl"
    p.write_text("{UTF-8}\npt = PULSE TRAIN(2, 0.5, 3, 8)\n\t~\t1\n\t~\t|\n"
                 "INITIAL TIME = 0\n\t~\tYear\n\t~\t|\nFINAL TIME = 10\n\t~\tYear\n\t~\t|\n"
                 "TIME STEP = 0.25\n\t~\tYear\n\t~\t|\nSAVEPER = 0.25\n\t~\tYear\n\t~\t|\n")
    ds = ambidex.simulate(p, method="euler", backend=backend).isel(scenario=0)
    t = ds["time"].values
    want = (((t >= 2) & (t < 2.5)) | ((t >= 5) & (t < 5.5)) | (t == 8)).astype(float)
    np.testing.assert_array_equal(ds["pt"].values, want)


def test_a_model_with_delay_fixed_defaults_to_euler_and_says_why(models):
    import json

    ds = ambidex.simulate(models["discrete"])
    used = json.loads(ds.attrs["solver"])[0]
    assert used["method"] == "euler" and "DELAY FIXED" in used["method_source"]
