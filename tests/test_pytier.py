"""Tiered execution (ambidex.compiled.pytier): until numba's machine code for a kernel exists,
a few serial runs execute the generated Python itself; results must be bitwise those of the
compiled engine (same IEEE operations in the same order, no fast-math, powers through libm's
``pow`` or written as products in both tiers: ambidex.compiled._libm)."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
from test_compiled_engine import KITCHEN_SINK, write_mdl

import ambidex
from ambidex.compiled import compile_model, pytier, warmup
from ambidex.core.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tiered(monkeypatch):
    """Tiers on, every kernel treated as absent from numba's cache, no background process."""
    monkeypatch.setenv("AMBIDEX_TIERED", "1")
    monkeypatch.setenv("AMBIDEX_BACKGROUND_COMPILE", "0")
    monkeypatch.setattr(pytier, "cached_on_disk", lambda fn: False)


def assert_bitwise(a, b, what=""):
    """The same float64 values: equal, NaN where NaN, and the same sign of zero."""
    a, b = np.asarray(a), np.asarray(b)
    np.testing.assert_array_equal(a, b, err_msg=str(what))
    np.testing.assert_array_equal(np.signbit(a), np.signbit(b), err_msg=f"{what}: sign")


def _fresh(cm):
    cm._py, cm._tier_s = None, 0.0
    return cm


def _same(cm, monkeypatch, params, method):
    _fresh(cm)
    interp = cm.run(params, method=method)
    assert cm._tier_s > 0  # the interpreted kernels ran
    monkeypatch.setenv("AMBIDEX_TIERED", "0")
    comp = cm.run(params, method=method)
    assert list(interp) == list(comp)
    for k in comp:
        assert_bitwise(interp[k], comp[k], k)
    np.testing.assert_array_equal(interp.nfev, comp.nfev)
    np.testing.assert_array_equal(interp.status, comp.status)


def test_dual_model_interpreted_equals_compiled(tiered, monkeypatch):
    levers = {"selectivity": [0.2, 0.7], "contract_length": [2.0, 4.0]}
    _same(ambidex.load_model().compiled(), monkeypatch, levers, "dopri5")


@pytest.mark.slow
def test_every_shipped_scenario_interpreted_equals_compiled(tiered, monkeypatch):
    # what `ambidex run NAME` (interpreted) and ambidex.simulate (compiled) give, every scenario
    monkeypatch.setattr(pytier, "BUDGET_S", math.inf)
    m = ambidex.load_model()
    cm = m.compiled()
    for path in ambidex.list_scenarios(ROOT / "scenarios"):
        sc = load_scenario(path)
        monkeypatch.setenv("AMBIDEX_TIERED", "1")
        before = cm._tier_s
        interp = ambidex.simulate(m, [sc])
        assert cm._tier_s > before or sc.interventions  # those run on PySD's engine
        monkeypatch.setenv("AMBIDEX_TIERED", "0")
        comp = ambidex.simulate(m, [sc])
        assert list(interp.data_vars) == list(comp.data_vars)
        for k in comp.data_vars:
            a, b = interp[k].values, comp[k].values
            if a.dtype.kind == "f":
                assert_bitwise(a, b, f"{sc.name}: {k}")
            else:
                np.testing.assert_array_equal(a, b, err_msg=f"{sc.name}: {k}")


POWERS = """
    x = 1.1 + 0.7 * SIN(Time) + Time / 50
    sq = x ^ 2
    pw = POWER(x, 2)
    half = x ^ 0.5
    inv = x ^ -1
    two = 2 ^ x
    eight = 8 ^ x
    neg = -2 ^ 2
    chain = 2 ^ 3 ^ x / x
    Stock = INTEG(sq + pw + half + inv + two + eight + neg + chain, 0)
"""


def test_powers_are_libm_pow_or_a_product_in_both_tiers(tmp_path, tiered, monkeypatch):
    # numba left to itself turns x ^ 2 into x * x, x ^ -1 into 1 / x, x ^ 0.5 into sqrt and
    # 2 ^ x, 8 ^ x into exp2 (each off by one bit from libm's pow now and then); Python's
    # ** is libm's pow.  Generated code squares as x * x and calls libm's pow for the rest.
    cm = compile_model(write_mdl(tmp_path, "pow.mdl", POWERS, final=100, dt=0.0625,
                                 saveper=0.0625))
    _same(cm, monkeypatch, {}, "euler")  # ends with AMBIDEX_TIERED=0: compiled below
    res = cm.run(method="euler")
    x = res["x"][0]
    pw = np.vectorize(math.pow)
    expect = {"sq": x * x, "pw": x * x, "half": pw(x, 0.5), "inv": pw(x, -1.0),
              "two": pw(2.0, x), "eight": pw(8.0, x), "neg": np.full_like(x, -4.0),
              "chain": pw(2.0, pw(3.0, x)) / x}  # right-associative, as Python's **
    for k, e in expect.items():
        assert_bitwise(res[k][0], e, k)


@pytest.mark.parametrize("method", ["euler", "rk4", "dopri5", "bs3"])
def test_every_function_interpreted_equals_compiled(method, tmp_path, tiered, monkeypatch):
    # the kitchen-sink model uses every function the compiled engine supports (lookups,
    # delays, smooths, trends, pulses, subscripts, ACTIVE INITIAL): the un-jitted runtime too
    cm = compile_model(write_mdl(tmp_path, "sink.mdl", KITCHEN_SINK, final=10, dt=0.125,
                                 saveper=0.25))
    _same(cm, monkeypatch, {"Delay time": [1.0, 4.0]}, method)


def test_python_errors_fall_back_to_the_compiled_kernel(tmp_path, tiered, monkeypatch):
    # math.exp overflows in Python (OverflowError) where numba returns inf: the run is redone
    # compiled, so status and values are the compiled engine's (inf -> status 1 at t = 0)
    cm = _fresh(compile_model(write_mdl(tmp_path, "ovf.mdl", """
        Stock = INTEG(Flow, 1)
        Flow = EXP(k * Stock)
        k = 1
    """)))
    res = cm.run({"k": 1000.0}, method="euler")
    monkeypatch.setenv("AMBIDEX_TIERED", "0")
    ref = cm.run({"k": 1000.0}, method="euler")
    assert res.status.tolist() == ref.status.tolist() == [1]
    np.testing.assert_array_equal(res["Stock"], ref["Stock"])


def test_budget_then_compiled(tmp_path, tiered, monkeypatch):
    cm = _fresh(compile_model(write_mdl(tmp_path, "lin.mdl", """
        Stock = INTEG(r * Stock, 1)
        r = 0.1
    """)))
    monkeypatch.setattr(pytier, "BUDGET_S", 0.0)  # budget spent: compile at once
    res = cm.run(method="dopri5", rtol=1e-10, atol=1e-12)
    assert cm._py is None and cm._tier_s == 0.0
    np.testing.assert_allclose(res["Stock"][0], np.exp(0.1 * res.time), rtol=1e-8)
    big = cm.run({"r": np.full(pytier.MAX_RUNS + 1, 0.1)}, method="dopri5")
    assert cm._py is None  # more runs than MAX_RUNS: never interpreted
    np.testing.assert_allclose(big["Stock"], np.exp(0.1 * big.time)[None].repeat(5, 0),
                               rtol=1e-5)


def test_background_compile_fills_the_cache(tmp_path, monkeypatch):
    # what the detached process does, run in this process on a fresh cache
    monkeypatch.setenv("AMBIDEX_CACHE", str(tmp_path / "cache"))
    mdl = write_mdl(tmp_path, "bg.mdl", """
        Stock = INTEG(-Stock / tau, 5)
        tau = 2
    """)
    cm = compile_model(mdl)
    assert not pytier.cached_on_disk(cm._mod._dopri1)
    lock = tmp_path / "x.compiling"
    lock.write_text("1")
    assert warmup.main([str(mdl), "dopri5", str(lock)]) == 0
    assert not lock.exists()
    assert pytier.cached_on_disk(cm._mod._dopri1)  # numba's index is on disk now


def test_one_background_compile_per_kernel(tmp_path, monkeypatch):
    monkeypatch.setenv("AMBIDEX_BACKGROUND_COMPILE", "1")
    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda cmd, **kw: started.append(cmd))
    mod = tmp_path / "ambidex_model_x.py"
    assert pytier.start_background_compile(mod, "_dopri1", tmp_path / "m.mdl", "dopri5")
    assert not pytier.start_background_compile(mod, "_dopri1", tmp_path / "m.mdl", "dopri5")
    assert started[0][1:4] == ["-m", "ambidex.compiled.warmup", str(tmp_path / "m.mdl")]
    monkeypatch.setenv("AMBIDEX_BACKGROUND_COMPILE", "0")
    assert not pytier.start_background_compile(mod, "_rk41", tmp_path / "m.mdl", "rk4")
