"""Stella/XMILE modules, flattened into one model with qualified names (``module.variable``),
run on both engines against hand-derived numbers; Stella's PULSE, PI and MEAN(a, b) likewise.

The real-model corpus (tests/test_corpus.py) holds three Stella fixtures with Stella's own
output (modules2, modules_hares_and_foxes, modules_with_complex_idents); these small models pin
each rule down on its own.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ambidex
from ambidex.core.errors import ModelError
from ambidex.core.xmile_modules import flatten_modules

HEAD = """<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
<header><name>mods</name></header>
<sim_specs method="Euler" time_units="Year"><start>0</start><stop>4</stop><dt>0.5</dt></sim_specs>
"""

# main: rate = 0.5 feeds module "tank" (a stock filled at its input rate, starting at 10);
# module "gauge" reads the tank's level through an input and doubles it; "outer" holds a
# nested module "inner" whose input is wired from the outer module's own input; "idle" has an
# unconnected input (Stella's placeholder comment: 0) and a stock input wired from tank.level.
MODULES = HEAD + """<model><variables>
  <aux name="rate"><eqn>0.5</eqn></aux>
  <module name="tank"><connect to="tank.fill rate" from=".rate"/></module>
  <module name="gauge"><connect to="gauge.x" from="tank.level"/></module>
  <module name="outer"><connect to="outer.seed" from="gauge.double"/></module>
  <module name="idle"><connect to="idle.mirror" from="tank.level"/></module>
  <aux name="total"><eqn>tank.level + "gauge".double</eqn></aux>
</variables></model>
<model name="tank"><variables>
  <stock name="level"><eqn>10</eqn><inflow>filling</inflow></stock>
  <flow name="filling"><eqn>fill_rate</eqn></flow>
  <aux name="fill rate" access="input"><eqn>{Enter equation}</eqn></aux>
</variables></model>
<model name="gauge"><variables>
  <aux name="x" access="input"><eqn>{Enter equation}</eqn></aux>
  <aux name="double" access="output"><eqn>x * 2</eqn></aux>
</variables></model>
<model name="outer"><variables>
  <aux name="seed" access="input"><eqn>{Enter equation}</eqn></aux>
  <module name="inner"><connect to="inner.v" from=".seed"/></module>
  <aux name="plus one"><eqn>inner.v_cubed + 1</eqn></aux>
</variables></model>
<model name="inner"><variables>
  <aux name="v" access="input"><eqn>{Enter equation}</eqn></aux>
  <aux name="v cubed"><eqn>v * 0 + v ^ 3</eqn></aux>
</variables></model>
<model name="idle"><variables>
  <aux name="free" access="input"><eqn>{Enter equation}</eqn></aux>
  <stock name="mirror" access="input"><eqn>{Enter equation}</eqn></stock>
  <aux name="both"><eqn>free + mirror</eqn></aux>
</variables></model>
</xmile>
"""


@pytest.fixture(params=["plain", "dashes in a comment"])
def modules_file(tmp_path, request):
    """The modules model, also with a comment holding '--' (Stella writes them; strict XML
    forbids them, and the module and builtin pre-passes skipped such files)."""
    path = tmp_path / "mods.xmile"
    text = MODULES if request.param == "plain" else MODULES.replace(
        "</variables></model>", "<!-- set up -- by hand --></variables></model>", 1)
    assert request.param == "plain" or "-- by hand" in text
    path.write_text(text)
    return path


def _run(path, backend):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ambidex.simulate(path, method="euler", backend=backend).isel(scenario=0)


def _by_name(ds):
    return {ds[v].attrs.get("long_name", v): ds[v].values for v in ds.data_vars}


@pytest.mark.parametrize("backend", ["pysd", "compiled"])
def test_modules_run_flattened_with_qualified_names(modules_file, backend):
    ds = _run(modules_file, backend)
    t = ds["time"].values
    v = _by_name(ds)
    level = 10 + 0.5 * t  # Euler on a constant inflow is exact
    np.testing.assert_allclose(v["tank.level"], level)
    np.testing.assert_allclose(v["tank.fill rate"], 0.5)
    np.testing.assert_allclose(v["gauge.double"], 2 * level)
    np.testing.assert_allclose(v["outer.inner.v cubed"], (2 * level) ** 3)
    np.testing.assert_allclose(v["outer.plus one"], (2 * level) ** 3 + 1)
    np.testing.assert_allclose(v["total"], 3 * level)
    np.testing.assert_allclose(v["idle.free"], 0.0)  # unconnected input: the placeholder is 0
    np.testing.assert_allclose(v["idle.both"], level)  # the input stock follows its source


def test_flattening_leaves_a_model_without_modules_alone():
    text = HEAD + '<model><variables><aux name="a"><eqn>1</eqn></aux></variables></model></xmile>'
    assert flatten_modules(text) == text


def test_a_module_of_a_missing_model_is_one_clear_error():
    text = HEAD + ('<model><variables><module name="ghost"/></variables></model></xmile>')
    with pytest.raises(ModelError, match="module 'ghost' names model 'ghost', which the file "
                                         "does not hold"):
        flatten_modules(text)


def test_a_connection_to_an_unknown_variable_is_one_clear_error():
    text = HEAD + ('<model><variables><module name="m"><connect to="m.nope" from=".a"/></module>'
                   '<aux name="a"><eqn>1</eqn></aux></variables></model>'
                   '<model name="m"><variables><aux name="b"><eqn>2</eqn></aux></variables>'
                   '</model></xmile>')
    with pytest.raises(ModelError, match=r"connection a -> m.nope: 'm.nope' is not a variable"):
        flatten_modules(text)


STELLA = HEAD.replace("<stop>4</stop>", "<stop>6</stop>") + """<model><variables>
  <flow name="once"><eqn>PULSE(100, 4, 0)</eqn></flow>
  <flow name="every two"><eqn>PULSE(6, 1, 2)</eqn></flow>
  <stock name="caught"><eqn>0</eqn><inflow>once</inflow><inflow>every_two</inflow></stock>
  <aux name="circle"><eqn>PI * 2</eqn></aux>
  <aux name="avg"><eqn>MEAN(1, TIME, MEAN(2, 4))</eqn></aux>
</variables></model></xmile>
"""


@pytest.mark.parametrize("backend", ["pysd", "compiled"])
def test_stella_pulse_pi_and_mean(tmp_path, backend):
    """PULSE(volume, first, interval) puts ``volume`` into a stock in one TIME STEP (volume/DT
    for one step) at ``first`` and every ``interval`` after (0: once); PI is the constant;
    MEAN of several arguments is their mean.  Hand-derived at DT = 0.5."""
    path = tmp_path / "stella.xmile"
    path.write_text(STELLA.replace("<flow", "<!-- x -- y --><flow", 1))
    ds = _run(path, backend)
    t = ds["time"].values
    v = _by_name(ds)
    np.testing.assert_allclose(v["once"], np.where(t == 4, 200.0, 0.0))
    np.testing.assert_allclose(v["every two"], np.where(np.isin(t, [1, 3, 5]), 12.0, 0.0))
    # the stock holds each volume one step after its pulse
    caught = 100.0 * (t >= 4.5) + 6.0 * ((t >= 1.5).astype(float) + (t >= 3.5) + (t >= 5.5))
    np.testing.assert_allclose(v["caught"], caught)
    np.testing.assert_allclose(v["circle"], 2 * np.pi)
    np.testing.assert_allclose(v["avg"], (1 + t + 3) / 3)


PREVIOUS = HEAD.replace("<stop>4</stop>", "<stop>6</stop>") + """<model><variables>
  <aux name="input"><eqn>STEP(10, 2) + RAMP(1, 3)</eqn></aux>
  <aux name="before"><eqn>PREVIOUS(input, 7)</eqn></aux>
  <aux name="before own"><eqn>PREVIOUS(TIME)</eqn></aux>
  <aux name="rounded"><eqn>ROUND(TIME - 2.5) + LOG10(100)</eqn></aux>
  <aux name="run"><eqn>STARTTIME + 10 * STOPTIME + 100 * DT</eqn></aux>
  <aux name="held"><eqn>IF TIME &gt; 3 THEN PREVIOUS(SELF, 0) ELSE TIME</eqn></aux>
</variables></model></xmile>
"""


def test_stella_previous_round_log10_and_the_run_names(tmp_path):
    """PREVIOUS(x, init) is x one DT ago (init at the start; without init, x's own initial
    value; PREVIOUS(SELF, 0) holds the variable's own last value); ROUND rounds halves away from zero; LOG10; STARTTIME, STOPTIME and DT are the run's
    start, stop and step.  Hand-derived at DT = 0.5 over [0, 6]."""
    path = tmp_path / "prev.stmx"
    path.write_text(PREVIOUS)
    ds = _run(path, "auto")
    assert ds.attrs["backend"] == "compiled"
    t = ds["time"].values
    v = _by_name(ds)
    inp = 10.0 * (t >= 2) + np.maximum(t - 3, 0.0)
    np.testing.assert_allclose(v["input"], inp)
    np.testing.assert_allclose(v["before"], np.concatenate([[7.0], inp[:-1]]))
    np.testing.assert_allclose(v["before own"], np.concatenate([[0.0], t[:-1]]))
    x = t - 2.5
    np.testing.assert_allclose(v["rounded"], np.sign(x) * np.floor(np.abs(x) + 0.5) + 2.0)
    np.testing.assert_allclose(v["run"], 0 + 10 * 6 + 100 * 0.5)
    np.testing.assert_allclose(v["held"], np.minimum(t, 3.0))  # SELF: the variable itself


NONNEG = HEAD.replace("<stop>4</stop>", "<stop>3</stop>").replace("<dt>0.5</dt>", "<dt>1</dt>") + """
<model><variables>
  <stock name="tank"><eqn>5</eqn><inflow>fill</inflow><outflow>first</outflow>
    <outflow>second</outflow><non_negative/></stock>
  <flow name="fill"><eqn>1</eqn></flow>
  <flow name="first"><eqn>4</eqn><non_negative/></flow>
  <flow name="second"><eqn>3</eqn><non_negative/></flow>
</variables></model></xmile>
"""


def test_stella_outflows_take_at_most_what_a_non_negative_stock_holds(tmp_path):
    """Stella's non-negative stock: outflows, in order, get at most stock/DT + inflows, and
    report the reduced value.  Hand-derived at DT = 1: at t = 0 there are 5 + 1 = 6 to take,
    'first' takes 4, 'second' the remaining 2; afterwards only the inflow's 1, all to 'first'."""
    path = tmp_path / "tank.stmx"
    path.write_text(NONNEG)
    ds = _run(path, "auto")
    v = _by_name(ds)
    np.testing.assert_allclose(v["tank"], [5, 0, 0, 0])
    np.testing.assert_allclose(v["first"], [4, 1, 1, 1])
    np.testing.assert_allclose(v["second"], [2, 0, 0, 0])
