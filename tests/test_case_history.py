"""The case firm's history (seed 000): the shipped calibrated scenario reproduces the case figures,
the calibration has degrees of freedom to spare and is reproducible, step interventions lifted
into the model run as the scenario does, and the evidence ledger of the history is complete."""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import ambidex
from ambidex.calibrate import CalibrationWarning, load_targets
from ambidex.calibrate.ledger import calibrated_ledger, shares
from ambidex.calibrate.lift import lift
from ambidex.core.scenario import load_scenario, validate

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ROOT / "scenarios" / "data" / "case_firm_history.toml"
SHIPPED = ROOT / "scenarios" / "case_firm_history.toml"
GUIDE = ROOT / "docs" / "guides" / "calibration.md"
CHI2_95 = {1: 3.841, 2: 5.991, 3: 7.815, 4: 9.488}
REGEN = "the model changed: regenerate the shipped history with python tools/calibrate_history.py"


@pytest.fixture(scope="module")
def history(model):
    return ambidex.simulate(model, [SHIPPED], rtol=1e-8, atol=1e-8,
                            variables=["total revenue", "ROA", "collaboration share of revenue",
                                       "exploration share"]).isel(scenario=0)


def _mean(ds, var, start, end):
    t = ds.time.values
    sel = (t >= start) & (t <= end)
    return float(np.trapezoid(ds[var].values[sel], t[sel]) / (end - start))


def test_shipped_history_reproduces_seed_000(history):
    """seed 000 section 4.2: revenue about EUR 75 M in 2021 and ROA about 12.7 % over 2017-2021;
    section 3.1: about two-thirds of revenue from customer collaboration; section 4.3:
    product-centric until the mid-2000s."""
    rev = _mean(history, "total_revenue", 2021, 2022) / 1e6
    assert abs(rev - 75.0) / 75.0 < 0.05
    assert abs(_mean(history, "roa", 2017, 2022) * 100 - 12.7) < 1.5
    assert abs(float(history.collaboration_share_of_revenue.sel(time=2021.0)) - 2 / 3) < 0.05
    # product-centric before the switch, collaborating after it
    assert float(history.collaboration_share_of_revenue.sel(time=2003.0)) < 0.02
    assert float(history.exploration_share.sel(time=2003.0)) < 0.05
    assert _mean(history, "exploration_share", 2012, 2022) > 0.5


def test_history_targets_give_degrees_of_freedom():
    ts = load_targets(TARGETS)
    free = set(ts.free)
    informative = [t for t in ts if t.kind != "parameter" or t.parameter in free]
    assert len(informative) - len(free) >= 2
    for t in ts:
        assert "seed 000 section" in t.source and t.se is not None
    for v in ts.fixed.values():
        assert v["source"].startswith("seed 000 section") or v["source"].startswith("assumption")


def test_history_refit_matches_shipped_scenario(model):
    """Re-running the calibration gives the shipped scenario's values, with chi² below the 95 %
    quantile of its degrees of freedom and every free parameter identified."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)  # nothing unidentified, nothing at a bound
        res = ambidex.calibrate(model, TARGETS, seed=0)
    assert res.dof >= 2 and res.cost < CHI2_95[res.dof]
    assert all(q.identified for q in res.profile)
    shipped = validate(load_scenario(SHIPPED), model)
    for name in ("base volume per offering", "fixed overhead", "exclusive volume per product"):
        py = model.resolve_parameter(name).py_name
        assert res.estimates[name] == pytest.approx(shipped.parameters[py], rel=1e-3), REGEN
    assert res.estimates["switch time"] == pytest.approx(shipped.interventions[0].time,
                                                         abs=0.01), REGEN
    # the guide quotes this fit: its chi² and degrees of freedom are what the code gives now
    quoted = re.search(r"\*\*χ² = ([0-9.]+) with (\d+) degrees of freedom\*\*", GUIDE.read_text())
    assert quoted and float(quoted[1]) == pytest.approx(res.cost, abs=0.006) \
        and int(quoted[2]) == res.dof, "update docs/guides/calibration.md section 4"
    # the scenario the fit writes is the shipped one (same interventions, original model names)
    sc = load_scenario_text(res.scenario_tomls()["transition_2005_calibrated"], model)
    assert [iv.parameter for iv in sc.interventions] == [iv.parameter for iv in shipped.interventions]


def load_scenario_text(text, model):
    """A scenario from TOML text, validated against ``model``."""
    import tomllib

    from ambidex.core.scenario import scenario_from_dict

    return validate(scenario_from_dict(tomllib.loads(text)), model)


def test_lifted_steps_run_as_the_scenario(model):
    """The derived model (steps as STEP terms with their levels and time as constants) on the
    batched engine matches the scenario's interventions on PySD."""
    sc = validate(load_scenario("transition_2005"), model)
    lf = lift(model, sc)
    assert set(lf.levels) == {"intended exploration share", "target lead customers",
                              "leadership proactiveness"}
    names = ["total revenue", "ROA", "collaboration share of revenue", "exploration share"]
    a = ambidex.ensemble(lf.model, scenario=lf.scenario, variables=names, rtol=1e-9,
                         atol=1e-9).isel(sample=0)
    b = ambidex.simulate(model, [sc], variables=names, method="LSODA", rtol=1e-9,
                         atol=1e-9).isel(scenario=0)
    for v in ("total_revenue", "roa", "collaboration_share_of_revenue"):
        scale = float(np.max(np.abs(b[v].values)))
        assert np.max(np.abs(a[v].values - b[v].values)) < 1e-5 * scale, v
    # and the switch time moves the switch
    late = ambidex.ensemble(lf.model, samples={"switch time": np.array([2010.0])},
                            scenario=lf.scenario, variables=["exploration share"]).isel(sample=0)
    assert float(late.exploration_share.sel(time=2008.0)) < 0.05
    assert float(a.exploration_share.sel(time=2008.0)) > 0.3


def test_history_ledger(model):
    df = calibrated_ledger(TARGETS, SHIPPED, model)
    par = df.xs("parameter", level="kind")
    lf = lift(model, validate(load_scenario("transition_2005"), model))
    assert set(par.index) == {p.name for p in lf.model.parameters.values()}
    assert (par.loc[list(load_targets(TARGETS).free), "status"] == "fitted").all()
    assert par.loc["contract length", "status"] == "fixed from source"
    assert par.loc["switch time", "value"] == pytest.approx(
        validate(load_scenario(SHIPPED), model).interventions[0].time)
    sh = shares(df)
    assert math.isclose(sum(v["share"] for v in sh.values()), 1.0)
    assert len(df.xs("target", level="kind")) == len(load_targets(TARGETS))


def test_guide_quotes_the_held_out_roa(model):
    """The guide's held-out ROA 2017-2021 (prediction [95 % interval] against the datum) is what
    a fit without that target predicts now."""
    quoted = re.search(r"ROA 2017–2021 held out is \*\*predicted ([0-9.]+) % \[([0-9.]+), "
                       r"([0-9.]+)\]", GUIDE.read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        h = ambidex.calibrate(model, TARGETS, hold_out="roa_2017_2021", profile=False).hold_out
    assert quoted, "docs/guides/calibration.md section 5 no longer quotes the held-out ROA"
    got = (h["prediction"], h["lower95"], h["upper95"])
    assert [float(q) for q in quoted.groups()] == pytest.approx(got, abs=0.051), \
        f"update docs/guides/calibration.md section 5: now {got}"


def test_revenue_prediction_profile(model, tmp_path):
    """Revenue 2021 held out: the delta-method interval runs below zero, the prediction profile
    stays positive; at its upper end a plain fit with revenue pinned there (se 0.02) has the
    other targets' chi² 3.84 above the hold-out fit's; the guide quotes the interval."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        res = ambidex.calibrate(model, TARGETS, hold_out="revenue_2021")
        h = res.hold_out
        assert h["lower95"] < 0 < h["profile_lower95"] < h["prediction"] < h["profile_upper95"]
        text = TARGETS.read_text()
        i = text.index("[targets.revenue_2021]")
        j = text.index("[targets.", i + 1)
        block = re.sub(r"^value = .*$", f"value = {h['profile_upper95']!r}", text[i:j], flags=re.M)
        block = re.sub(r"^se = .*$", "se = 0.02", block, flags=re.M)
        (tmp_path / "pinned.toml").write_text(text[:i] + block + text[j:])
        fit = ambidex.calibrate(model, tmp_path / "pinned.toml", profile=False)
    tt = fit.targets_table
    assert float(tt.loc["revenue_2021", "fitted"]) == pytest.approx(h["profile_upper95"], abs=0.05)
    other = float(tt["chi2"].sum() - tt.loc["revenue_2021", "chi2"])
    assert other - res.cost == pytest.approx(3.84, abs=0.2)
    quoted = re.search(r"prediction profile is \*\*\[([0-9.]+), ([0-9.]+)\] M EUR",
                       GUIDE.read_text())
    assert quoted, "docs/guides/calibration.md section 5 no longer quotes the revenue profile"
    assert float(quoted[1]) == pytest.approx(h["profile_lower95"], abs=0.06) and \
        float(quoted[2]) == pytest.approx(h["profile_upper95"], rel=0.01), \
        f"update docs/guides/calibration.md section 5: now {h['profile_lower95']:.3g}, " \
        f"{h['profile_upper95']:.3g}"
