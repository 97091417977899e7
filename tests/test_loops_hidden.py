"""Loops That Matter through SMOOTH/DELAY (their hidden stocks are stocks of the loop graph) and
on subscripted models (one node per element).  The reference is the same model written with
its stocks spelt out, or without subscripts: LTM must score the same loops the same way."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ambidex
from ambidex.loops import loop_dominance

CONTROL = """INITIAL TIME = 0 ~ Year ~|
FINAL TIME = 20 ~ Year ~|
TIME STEP = 0.25 ~ Year ~|
SAVEPER = 1 ~ Year ~|
"""

BUILTIN = """{UTF-8}
Stock = INTEG(inflow - outflow, 10) ~ units ~|
inflow = 2 ~ units/Year ~|
outflow = perceived stock / adjustment time ~ units/Year ~|
perceived stock = SMOOTH(Stock, perception time) ~ units ~|
perception time = 3 ~ Year ~|
adjustment time = 4 ~ Year ~|
delayed = DELAY3(inflow2, 2) ~ units/Year ~|
inflow2 = Stock2 * 0.1 ~ units/Year ~|
Stock2 = INTEG(delayed - Stock2 / 5, 5) ~ units ~|
""" + CONTROL

SPELT_OUT = """{UTF-8}
Stock = INTEG(inflow - outflow, 10) ~ units ~|
inflow = 2 ~ units/Year ~|
outflow = perceived stock / adjustment time ~ units/Year ~|
perceived stock = INTEG(change in perception, Stock) ~ units ~|
change in perception = (Stock - perceived stock) / perception time ~ units/Year ~|
perception time = 3 ~ Year ~|
adjustment time = 4 ~ Year ~|
delayed = L3 / (2 / 3) ~ units/Year ~|
L1 = INTEG(inflow2 - r1, inflow2 * 2 / 3) ~ units ~|
r1 = L1 / (2 / 3) ~ units/Year ~|
L2 = INTEG(r1 - r2, inflow2 * 2 / 3) ~ units ~|
r2 = L2 / (2 / 3) ~ units/Year ~|
L3 = INTEG(r2 - delayed, inflow2 * 2 / 3) ~ units ~|
inflow2 = Stock2 * 0.1 ~ units/Year ~|
Stock2 = INTEG(delayed - Stock2 / 5, 5) ~ units ~|
""" + CONTROL


def _scores(ds) -> np.ndarray:
    """Loop scores, rows in a fixed order (by the run's last value, then the first)."""
    s = ds["loop_score"].values
    return s[np.lexsort((s[:, 1], s[:, -1]))]


def _run(tmp_path, name, text, **kw):
    p = tmp_path / name
    p.write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return loop_dominance(p, **kw)


def test_smooth_and_delay3_score_as_the_stocks_they_are(tmp_path):
    a = _run(tmp_path, "builtin.mdl", BUILTIN)
    b = _run(tmp_path, "spelt.mdl", SPELT_OUT)
    assert a.sizes["loop"] == b.sizes["loop"] == 7
    np.testing.assert_allclose(_scores(a), _scores(b), rtol=1e-9, atol=1e-12)
    chains = [str(c) for c in a["variables"].values]
    assert any("perceived stock (SMOOTH1 stock 1) → perceived stock → outflow → Stock" in c
               for c in chains), chains
    assert sorted(a["polarity"].values) == sorted(b["polarity"].values)


SUBSCRIPTED = """{UTF-8}
Region: North, South ~~|
Population[North] = INTEG(births[North] - migration[North] + migration[South], 100) ~~|
Population[South] = INTEG(births[South] - migration[South] + migration[North], 50) ~ people ~|
births[Region] = Population[Region] * birth rate[Region] ~ people/Year ~|
birth rate[Region] = 0.03, 0.05 ~ 1/Year ~|
migration[Region] = perceived[Region] * 0.1 ~ people/Year ~|
perceived[Region] = SMOOTH(Population[Region], 2) ~ people ~|
""" + CONTROL

FLAT = """{UTF-8}
Population North = INTEG(births North - migration North + migration South, 100) ~~|
Population South = INTEG(births South - migration South + migration North, 50) ~ people ~|
births North = Population North * 0.03 ~ people/Year ~|
births South = Population South * 0.05 ~ people/Year ~|
migration North = perceived North * 0.1 ~ people/Year ~|
migration South = perceived South * 0.1 ~ people/Year ~|
perceived North = SMOOTH(Population North, 2) ~ people ~|
perceived South = SMOOTH(Population South, 2) ~ people ~|
""" + CONTROL


def test_a_subscripted_model_scores_each_element_like_its_flat_twin(tmp_path):
    a = _run(tmp_path, "regions.mdl", SUBSCRIPTED)
    b = _run(tmp_path, "flat.mdl", FLAT)
    assert a.sizes["loop"] == b.sizes["loop"] == 7
    np.testing.assert_allclose(_scores(a), _scores(b), rtol=1e-9, atol=1e-12)
    chains = [str(c) for c in a["variables"].values]
    assert "Population[North] → births[North] → Population[North]" in chains


def test_ensemble_loop_dominance_runs_batched_on_the_compiled_engine(tmp_path):
    """Samples of a SMOOTH model in one compiled run; each equals its own single analysis."""
    p = tmp_path / "builtin.mdl"
    p.write_text(BUILTIN)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ens = loop_dominance(p, samples={"perception time": [1.5, 3.0, 6.0]})
    assert ens.attrs["engine"] == "compiled"
    for i, t in enumerate((1.5, 3.0, 6.0)):
        q = tmp_path / f"t{i}.mdl"
        q.write_text(BUILTIN.replace("perception time = 3 ", f"perception time = {t} "))
        one = _run(tmp_path, q.name, q.read_text())
        assert list(one["variables"].values) == list(ens["variables"].values)
        np.testing.assert_allclose(ens["loop_score"].values[i], one["loop_score"].values,
                                   rtol=1e-9, atol=1e-12)


def test_delay_fixed_in_a_loop_is_one_line_naming_it(tmp_path):
    p = tmp_path / "fixed.mdl"
    p.write_text("{UTF-8}\nS = INTEG(f, 1) ~~|\nf = DELAY FIXED(S * 0.1, 1, 0.1) ~~|\n" + CONTROL)
    with pytest.raises(ambidex.ModelError) as err:
        _run(tmp_path, "fixed.mdl", p.read_text())
    assert "once per TIME STEP" in str(err.value) and "\n" not in str(err.value)
