"""DELAY FIXED, DELAY MATERIAL, SAMPLE IF TRUE, NPV and SINTEG on the compiled engine, each
against an independent reference: Vensim's own output (the SDEverywhere fixtures of the
real-model corpus, and Vensim's NPV run published with SDEverywhere's ``models/npv``) or numbers
derived by hand from Vensim's documented definition.  Fixed-step results agree to 1e-6 of the
series' scale.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from _data import require

import ambidex
from ambidex.compiled import compile_model
from ambidex.errors import UnsupportedFunctionError

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "realmodels-dev"
TOL = 1e-6


def _mdl(tmp_path, body, final=10, step=1.0, name="m.mdl"):
    path = tmp_path / name
    path.write_text("{UTF-8}\n" + body.strip() + f"\n~~|\nINITIAL TIME = 0 ~~|\n"
                    f"FINAL TIME = {final} ~~|\nTIME STEP = {step} ~~|\nSAVEPER = {step} ~~|\n")
    return path


def _run(path, method="euler", backend="compiled"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ambidex.simulate(path, method=method, backend=backend).isel(scenario=0)


def _close(got, want):
    got, want = np.asarray(got, float), np.asarray(want, float)
    err = np.max(np.abs(got - want)) / (np.max(np.abs(want)) + 1e-12)
    assert err <= TOL, f"relative error {err:.2e}: got {got}, want {want}"


# ------------------------------------------------------------------ DELAY FIXED
@pytest.mark.parametrize("name", ["delayfixed", "delayfixed2"])
def test_delay_fixed_matches_vensim(name):
    """SDEverywhere's delayfixed models (subscripted input, delay 0 read as one TIME STEP, an
    initial value that is another variable) against Vensim's run of them."""
    from ambidex.references import against

    folder = CORPUS / "test" / "sdeverywhere" / "models" / name
    require(folder, "the real-model corpus", shared=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = against(folder / f"{name}.mdl", folder / f"{name}.dat", backend="compiled")
    assert not rep["missing"]
    assert max(rep["errors"].values()) <= TOL, rep["worst"]


@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_delay_fixed_is_the_input_n_steps_ago(tmp_path, method):
    """DELAY FIXED(10 TIME, 1.5, -1) at TIME STEP 0.5: three steps behind, -1 before; a delay of
    1.2 rounds to 2 steps (PySD's and Vensim's rounding); RK4 steps it the same way."""
    path = _mdl(tmp_path, """
        late = DELAY FIXED(10 * Time, 1.5, -1) ~~|
        rounded = DELAY FIXED(10 * Time, 1.2, -1)
    """, final=5, step=0.5)
    ds = _run(path, method)
    t = ds["time"].values
    _close(ds["late"].values, np.where(t >= 1.5, 10 * (t - 1.5), -1.0))
    _close(ds["rounded"].values, np.where(t >= 1.0, 10 * (t - 1.0), -1.0))


def test_delay_fixed_refuses_dopri5_by_name(tmp_path):
    path = _mdl(tmp_path, "late = DELAY FIXED(Time, 2, 0)")
    with pytest.raises(ambidex.AmbidexError, match=r"DELAY FIXED \(in 'late'\); it steps once "
                                                   r"per TIME STEP.*'euler' or 'rk4'"):
        _run(path, "dopri5")


# ------------------------------------------------------------------ DELAY MATERIAL
def test_delay_material_with_a_constant_delay_is_a_fixed_delay(tmp_path):
    """Vensim: 'the same as DELAY FIXED except that delay time can be a variable'."""
    path = _mdl(tmp_path, """
        d = 2 ~~|
        shipped = DELAY MATERIAL(Time * Time, d, 7, 0)
    """, final=6)
    ds = _run(path)
    t = ds["time"].values
    _close(ds["shipped"].values, np.where(t >= 2, (t - 2) ** 2, 7.0))


def test_delay_material_with_a_varying_delay_is_refused_by_name(tmp_path):
    path = _mdl(tmp_path, "shipped = DELAY MATERIAL(1, 2 + Time, 0, 0)")
    with pytest.raises(UnsupportedFunctionError, match="DELAY MATERIAL with a delay time that "
                                                       "changes during the run") as exc:
        compile_model(path)
    assert exc.value.variable == "shipped"


# ------------------------------------------------------------------ SAMPLE IF TRUE
@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_sample_if_true(tmp_path, method):
    """SDEverywhere's sample model (Vensim's run: a = 0 until 5, then 5, then 10 at 10; F holds
    its initial 1 until TIME = 5 and 2 after), with a flow that samples a stock."""
    path = _mdl(tmp_path, """
        a = SAMPLE IF TRUE(MODULO(Time, 5) = 0, Time, 0) ~~|
        F = SAMPLE IF TRUE(Time = 5, 2, IF THEN ELSE(switch = 1, 1, 0)) ~~|
        switch = 1 ~~|
        S = INTEG(1, 3) ~~|
        held = SAMPLE IF TRUE(Time >= 2 :AND: Time < 3, S, -1)
    """)
    ds = _run(path, method)
    t = ds["time"].values
    _close(ds["a"].values, 5 * np.floor(t / 5))
    _close(ds["f"].values, np.where(t >= 5, 2.0, 1.0))
    _close(ds["held"].values, np.where(t >= 2, 5.0, -1.0))  # S = 3 + t sampled at t = 2


# ------------------------------------------------------------------ NPV
NPV_MODEL = """
investment = 100 ~~|
start time = 12 ~~|
revenue = 3 ~~|
interest rate = 10 ~~|
stream = -investment / TIME STEP * PULSE(start time, TIME STEP) + STEP(revenue, start time) ~~|
discount rate = interest rate / 12 / 100 ~~|
NPV vs initial time = NPV(stream, discount rate, 0, 1)
"""
# Vensim's run of SDEverywhere's models/npv/npv.mdl (npv.dat), at the times shown
VENSIM_NPV = {0: 0.0, 11: 0.0, 12: -87.8056, 13: -85.1124, 30: -42.588, 49: -1.647,
              50: 0.334138, 75: 44.8771, 100: 81.0743}


def test_npv_matches_vensim_and_its_closed_form(tmp_path):
    """NPV of -97 at month 12 then 3 a month, 10 %/year monthly: Vensim's numbers; and the
    closed form sum_{i<=k} stream_i * DT * q^i, q = 1 / (1 + r DT)."""
    path = _mdl(tmp_path, NPV_MODEL, final=100)
    ds = _run(path)
    t = ds["time"].values
    got = ds["npv_vs_initial_time"].values
    ref_t = np.array(sorted(VENSIM_NPV))
    _close(got[np.searchsorted(t, ref_t)], [VENSIM_NPV[k] for k in ref_t])
    r = 10 / 12 / 100
    stream = np.where(t == 12, -97.0, np.where(t > 12, 3.0, 0.0))
    closed = np.cumsum(stream * (1 / (1 + r)) ** t)
    np.testing.assert_allclose(got, closed, rtol=1e-12, atol=1e-9)


def test_npv_with_a_factor_and_an_initial_value(tmp_path):
    """NPV(2, 0.1, 5, 3) at DT 0.5: 3 * (5 + sum_{i<=k} 2 * 0.5 * q^i), q = 1 / 1.05."""
    path = _mdl(tmp_path, "v = NPV(2, 0.1, 5, 3)", final=4, step=0.5)
    ds = _run(path)
    k = np.arange(len(ds["time"]))
    want = 3 * (5 + np.cumsum(np.full(len(k), 2 * 0.5) * (1 / 1.05) ** k))
    np.testing.assert_allclose(ds["v"].values, want, rtol=1e-12)


# ------------------------------------------------------------------ SINTEG
def test_sinteg_applies_min_max_quantum_and_spec(tmp_path):
    """Vensim's rules, by hand at DT 1: never below min / above max, a multiple of quant,
    ``spec`` when within ``thresh`` of it; all :NA: is INTEG."""
    path = _mdl(tmp_path, """
        falling = SINTEG(-2, 5, 0, :NA:, :NA:, :NA:, :NA:) ~~|
        counted = SINTEG(1.3, 0, :NA:, :NA:, 1, :NA:, :NA:) ~~|
        snapped = SINTEG(1.8, 0, :NA:, 10, :NA:, 4, 0.5) ~~|
        plain = SINTEG(Time, 1, :NA:, :NA:, :NA:, :NA:, :NA:) ~~|
        level = INTEG(Time, 1)
    """, final=7)
    ds = _run(path)
    t = ds["time"].values
    _close(ds["falling"].values, np.maximum(5 - 2 * t, 0))
    _close(ds["counted"].values, t)  # 1.3 -> 1, 2.3 -> 2, ... (nearest multiple of 1)
    # 1.8, 3.6 -> 4 (within 0.5), 5.8, 7.6, 9.4, 11.2 -> 10, 10
    _close(ds["snapped"].values, [0, 1.8, 4, 5.8, 7.6, 9.4, 10, 10])
    np.testing.assert_array_equal(ds["plain"].values, ds["level"].values)


# ------------------------------------------------------------------ fallbacks, by name
def test_a_failure_after_leaving_the_compiled_engine_names_why_and_the_methods(tmp_path):
    """FORECAST sends the model to PySD; when dopri5 (scipy's RK45 there) then fails, the one
    line says which function forced the move and which methods that engine has."""
    path = _mdl(tmp_path, """
        x = SQRT(2 - Time) ~~|
        fc = FORECAST(x, 2, 1) ~~|
        s = INTEG(x, 0)
    """, final=4)
    with pytest.raises(ambidex.SolverError) as exc:
        _run(path, "dopri5", backend="auto")
    msg = str(exc.value)
    assert "\n" not in msg
    assert "on engine 'pysd' (the compiled engine does not support FORECAST (in 'fc'); its " \
           "methods: LSODA, RK45, RK23, DOP853, Radau, BDF, euler, rk4, dopri5, bs3)" in msg


def test_a_model_only_the_compiled_engine_builds_says_why_dopri5_cannot_run(tmp_path):
    """PySD cannot build a mapping to a subrange; with DELAY FIXED, dopri5 has nowhere to go:
    the compiled engine's reason, not PySD's."""
    path = _mdl(tmp_path, """
        DimA: A1, A2, A3 ~~|
        SubA: A1, A2 ~~|
        DimB: B1, B2 -> (DimA: SubA, A3) ~~|
        b[DimB] = 1, 2 ~~|
        a[DimA] = DELAY FIXED(b[DimB] * Time, 1, 0)
    """, final=3)
    with pytest.raises(ambidex.ScenarioError, match=r"uses DELAY FIXED \(in 'a'\); it steps once "
                                                    r"per TIME STEP, so method 'dopri5' cannot "
                                                    r"run it; use method 'euler' or 'rk4'"):
        _run(path, "dopri5", backend="auto")
    ds = _run(path, "euler", backend="auto")
    t = ds["time"].values
    _close(ds["a"].values[:, 2], np.where(t >= 1, 2 * (t - 1), 0.0))  # A3 <- B2 = 2


def test_a_compiled_only_model_with_delay_fixed_defaults_to_euler(tmp_path):
    """No method given: the model's DELAY FIXED steps once per TIME STEP, so Euler, and the
    provenance says why (the compiled form tells, as PySD cannot build the model)."""
    import json

    path = _mdl(tmp_path, """
        DimA: A1, A2, A3 ~~|
        SubA: A1, A2 ~~|
        DimB: B1, B2 -> (DimA: SubA, A3) ~~|
        b[DimB] = 1, 2 ~~|
        a[DimA] = DELAY FIXED(b[DimB] * Time, 1, 0)
    """, final=3)
    ds = _run(path, None, backend="auto")
    used = json.loads(ds.attrs["solver"])[0]
    assert used["method"] == "euler" and "DELAY FIXED" in used["method_source"]


def test_a_function_neither_engine_has_names_both_reasons_in_one_line(tmp_path):
    """Stella's EXPRND: the compiled engine lacks it, so the run goes to PySD, whose
    translation stubs it out; the error says both, in one line."""
    p = tmp_path / "m.stmx"
    p.write_text('<?xml version="1.0" encoding="utf-8"?>\n<xmile version="1.0" '
                 'xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"><header><name>m</name>'
                 '</header><sim_specs method="Euler"><start>0</start><stop>2</stop><dt>1</dt>'
                 '</sim_specs><model><variables><aux name="noise"><eqn>EXPRND(1)</eqn></aux>'
                 '</variables></model></xmile>\n')
    with pytest.raises(ambidex.ModelError) as err:
        ambidex.simulate(p)
    msg = str(err.value)
    assert "\n" not in msg
    assert "Not implemented function 'exprnd'" in msg
    assert "compiled engine does not support EXPRND (in 'noise')" in msg


def test_lookup_invert_on_the_compiled_engine(tmp_path):
    """LOOKUP INVERT(table, y): the x where the (monotonic) table reaches y; hand-derived on
    (0, 0), (10, 20), (20, 30): y = 5 -> 2.5, y = 25 -> 15."""
    p = tmp_path / "inv.mdl"
    p.write_text("{UTF-8}\ntb((0,0),(10,20),(20,30)) ~~|\nlow = LOOKUP INVERT(tb, 5) ~~|\n"
                 "high = LOOKUP INVERT(tb, 5 + 20 * STEP(1, 1)) ~~|\n"
                 "INITIAL TIME = 0 ~~|\nFINAL TIME = 2 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = 1 ~~|\n")
    ds = ambidex.simulate(p, method="euler").isel(scenario=0)
    assert ds.attrs["backend"] == "compiled"
    np.testing.assert_allclose(ds["low"].values, 2.5)
    np.testing.assert_allclose(ds["high"].values, [2.5, 15.0, 15.0])


def test_a_pysd_failure_after_the_fallback_is_one_line_naming_both(tmp_path):
    """VECTOR REORDER: the compiled engine lacks it and PySD's own run fails (a TypeError):
    one ModelError line naming the model, PySD's error and why the run went there."""
    p = tmp_path / "reorder.mdl"
    p.write_text("{UTF-8}\nDimA: A1, A2, A3 ~~|\nv[DimA] = 3, 1, 2 ~~|\no[DimA] = 2, 0, 1 ~~|\n"
                 "y[DimA] = VECTOR REORDER(v[DimA], o[DimA]) ~~|\n"
                 "INITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = 1 ~~|\n")
    with pytest.raises(ambidex.ModelError) as err:
        ambidex.simulate(p)
    msg = str(err.value)
    assert "\n" not in msg and "'reorder.mdl'" in msg and "TypeError" in msg
    assert "compiled engine does not support VECTOR REORDER (in 'y')" in msg
