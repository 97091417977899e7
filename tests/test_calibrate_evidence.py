"""Evidence tooling of the calibration: hold-out prediction, profile likelihoods with re-fits,
model-declared units, the evidence ledger, MCMC run to convergence, and recovery of hidden
parameters from synthetic data mixing point, period, share and series targets."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import ambidex
import ambidex.calibrate as cal
from ambidex.calibrate import CalibrationError, CalibrationWarning
from ambidex.calibrate.ledger import classify, ledger, shares

ROOT = Path(__file__).resolve().parents[1]

# A small non-dual model whose units pint does not know (people, widget, customer): a workforce
# adjusting to its target, producing widgets at productivity x efficiency, widgets winning
# customers.  Productivity and efficiency enter only as their product: not separately
# identifiable from production data.
WIDGETS = r"""
workforce = INTEG(hiring - quits, initial workforce)
	~	people [0,?]
	~	Staff.
	|
initial workforce = 20
	~	people [0,1000]
	~	Assumption: a start-up team.
	|
hiring = (target workforce - workforce) / hiring time
	~	people/Year
	~	Closing the gap to the target.
	|
quits = workforce * quit rate
	~	people/Year
	~	Leavers.
	|
target workforce = 100
	~	people [10,1000]
	~	Source: Sterman (2000) chapter 19, the workforce target.
	|
hiring time = 2
	~	Year [0.25,10]
	~	Assumption: one recruiting cycle.
	|
quit rate = 0.1
	~	1/Year [0,1]
	~	Source: seed 000 section 4.2, a stated figure (test).
	|
productivity = 50
	~	widget/(people*Year) [10,100]
	~	Widgets one person makes a year.
	|
efficiency = 1
	~	Dmnl [0.1,10]
	~	Assumption.
	|
production = workforce * productivity * efficiency
	~	widget/Year
	~	Output.
	|
widgets per customer = 500
	~	widget/customer [1,10000]
	~	Assumption: a typical order book.
	|
customers = INTEG(new customers, 0)
	~	customer [0,?]
	~	Customers won.
	|
new customers = production / widgets per customer
	~	customer/Year
	~	Each batch of widgets wins a customer.
	|
"""


@pytest.fixture(scope="module")
def widgets(tmp_path_factory):
    d = tmp_path_factory.mktemp("widgets")
    text = "{UTF-8}\n" + WIDGETS.strip() + """

INITIAL TIME = 0
	~	Year
	~	start
	|
FINAL TIME = 10
	~	Year
	~	end
	|
TIME STEP = 0.125
	~	Year
	~	step
	|
SAVEPER = 0.125
	~	Year
	~	save
	|
"""
    (d / "widgets.mdl").write_text(text)
    (d / "base.toml").write_text('name = "base"\nsource = "test: the model defaults"\n')
    m = ambidex.load_model(d / "widgets.mdl")
    return m, d


def _run(m, **params):
    ds = ambidex.ensemble(m, samples={k: np.array([v]) for k, v in params.items()} or None,
                          variables=["workforce", "production", "customers"], rtol=1e-10,
                          atol=1e-10)
    return ds.isel(sample=0)


def _targets(d, text, name="t.toml"):
    p = d / name
    p.write_text('source = "synthetic: the widgets model"\nscenario = "base.toml"\n' + text)
    return p


WIDGET_TARGETS = """
[targets.staff_5]
kind = "value"
variable = "workforce"
time = 5.0
value = {staff5}
units = "people"
se = 0.5
source = "synthetic"

[targets.output_2_4]
kind = "mean"
variable = "production"
start = 2.0
end = 4.0
value = {prod}
units = "widgets/Month"
se = 5.0
source = "synthetic"

[targets.customers_10]
kind = "value"
variable = "customers"
time = 10.0
value = {cust}
units = "customer"
se = 2.0
source = "synthetic"
"""


def _widget_data(m, **truth):
    tr = _run(m, **truth)
    t = tr.time.values
    sel = (t >= 2) & (t <= 4)
    prod = float(np.trapezoid(tr.production.values[sel], t[sel]) / 2) / 12  # widgets/Month
    return {"staff5": float(tr.workforce.sel(time=5.0)), "prod": prod,
            "cust": float(tr.customers.sel(time=10.0))}


# ------------------------------------------------------------------------------ units
def test_model_declared_units_calibrate(widgets):
    """people, widget(s), customer: units the model declares and pint does not know."""
    m, d = widgets
    truth = {"target workforce": 80.0, "productivity": 60.0}
    p = _targets(d, WIDGET_TARGETS.format(**_widget_data(m, **truth)), "units.toml")
    res = cal.calibrate(m, p, free=list(truth), profile=False)
    for k, v in truth.items():
        assert res.estimates[k] == pytest.approx(v, rel=1e-5)
    assert res.cost < 1e-8
    f = cal.unit_factor
    assert f("thousand widgets/year", "widget/Year", "x") == pytest.approx(1e3)
    assert f("widgets/Month", "widget/Year", "x") == pytest.approx(12.0)
    with pytest.raises(CalibrationError, match="do not convert"):
        f("widget", "people", "x")


# ------------------------------------------------------------------------------ hold-out
def test_hold_out_equals_manual_fit_without_target(widgets):
    m, d = widgets
    data = _widget_data(m, **{"target workforce": 90.0, "productivity": 55.0})
    data["cust"] += 3.0  # the held-out datum need not agree exactly
    full = _targets(d, WIDGET_TARGETS.format(**data), "full.toml")
    rest = WIDGET_TARGETS.format(**data).split("[targets.customers_10]")[0]
    manual = _targets(d, rest, "manual.toml")
    free = ["target workforce", "productivity"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        res = cal.calibrate(m, full, free=free, hold_out="customers_10", profile=False)
        man = cal.calibrate(m, manual, free=free, profile=False)
    for k in free:
        assert res.estimates[k] == pytest.approx(man.estimates[k], rel=1e-9)
    h = res.hold_out
    assert list(res.targets_table.index) == ["staff_5", "output_2_4"]
    # the prediction is the model's value at the manual fit's estimates, run independently
    tr = _run(m, **man.estimates)
    assert h["prediction"] == pytest.approx(float(tr.customers.sel(time=10.0)), rel=1e-6)
    assert h["datum"] == pytest.approx(data["cust"])
    assert h["lower95"] < h["prediction"] < h["upper95"] and np.isfinite(h["sd"]) and h["sd"] > 0
    assert "held-out customers_10" in res.summary()
    with pytest.raises(CalibrationError, match="hold_out 'nope' is not a target"):
        cal.calibrate(m, full, free=free, hold_out="nope")


def test_hold_out_prediction_profile(widgets):
    """The prediction-profile interval of a held-out target: at each end, a plain fit of the
    other targets plus the held-out one pinned there (se 0.01, written as a targets file; a far
    smaller se makes the fit too stiff to converge) has the other targets' χ² 3.84 above their
    minimum; for this nearly bilinear model it is close
    to the delta-method interval."""
    m, d = widgets
    data = _widget_data(m, **{"target workforce": 90.0, "productivity": 55.0})
    full = _targets(d, WIDGET_TARGETS.format(**data), "pp.toml")
    free = ["target workforce", "productivity"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        res = cal.calibrate(m, full, free=free, hold_out="customers_10")
        h = res.hold_out
        lo, hi = h["profile_lower95"], h["profile_upper95"]
        assert lo < h["prediction"] < hi
        assert lo == pytest.approx(h["lower95"], rel=0.03) and hi == pytest.approx(h["upper95"],
                                                                                  rel=0.03)
        rest = WIDGET_TARGETS.format(**data).split("[targets.customers_10]")[0]
        for end in (lo, hi):
            pinned = _targets(d, rest + f"""
[targets.pin]
kind = "value"
variable = "customers"
time = 10.0
value = {end!r}
units = "customer"
se = 0.01
source = "test"
""", "pinned.toml")
            fit = cal.calibrate(m, pinned, free=free, profile=False)
            tt = fit.targets_table
            assert float(tt.loc["pin", "fitted"]) == pytest.approx(end, abs=0.01)
            other = float(tt.loc[["staff_5", "output_2_4"], "chi2"].sum())
            assert other - res.cost == pytest.approx(3.84, abs=0.15)
        # a least-squares fit without profiles, and MCMC, report no prediction profile
        quick = cal.calibrate(m, full, free=free, hold_out="customers_10", profile=False)
    assert np.isnan(quick.hold_out["profile_lower95"])
    from ambidex.calibrate.holdout import describe

    assert "profile interval" in describe(h)


def test_cli_hold_out(widgets, tmp_path):
    from typer.testing import CliRunner

    from ambidex.cli import app

    m, d = widgets
    data = _widget_data(m, **{"target workforce": 90.0, "productivity": 55.0})
    p = _targets(d, WIDGET_TARGETS.format(**data), "cli.toml")
    r = CliRunner().invoke(app, ["calibrate", str(p), "--model", str(m.path), "--free",
                                 "target workforce,productivity", "--hold-out", "customers_10",
                                 "--out", str(tmp_path), "--no-report"])
    assert r.exit_code == 0, r.output
    assert "customers_10" in r.output and "predicted" in r.output
    r = CliRunner().invoke(app, ["calibrate", str(p), "--model", str(m.path), "--hold-out",
                                 "nope", "--out", str(tmp_path / "bad")])
    assert r.exit_code == 2 and "hold_out 'nope'" in r.output
    assert not (tmp_path / "bad").exists()


# ------------------------------------------------------------------------------ profiles
def test_profile_of_unidentified_pair_is_flat(widgets):
    """Productivity and efficiency enter production only as a product: the profile of one with
    the other re-fitted is flat over its whole range, while the slice (other fixed) is not."""
    m, d = widgets
    data = _widget_data(m)
    p = _targets(d, WIDGET_TARGETS.format(**data).split("[targets.customers_10]")[0], "pair.toml")
    with pytest.warns(CalibrationWarning, match="not identified"):
        res = cal.calibrate(m, p, free=["productivity", "efficiency"])
    assert not res.identified
    prof = {q.parameter: q for q in res.profile}
    q = prof["productivity"]
    assert q.status == "not identified" and q.lower is None and q.upper is None
    assert q.values.min() == pytest.approx(10.0) and q.values.max() == pytest.approx(100.0)
    assert np.max(q.chi2 - res.cost) < 1e-6
    # the slice through the optimum, efficiency held: steep
    x = res.x.copy()
    x[0] *= 1.2
    assert res.problem.cost(x[None])[0] - res.cost > 10
    # an identified parameter gets a finite profile interval around its estimate
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        r2 = cal.calibrate(m, p, free=["productivity"])
    q2 = r2.profile[0]
    assert q2.identified and q2.lower < r2.estimates["productivity"] < q2.upper
    lo, hi = r2.intervals["productivity"]  # linear theory agrees for a near-linear model
    assert q2.lower == pytest.approx(lo, rel=0.02) and q2.upper == pytest.approx(hi, rel=0.02)
    # plotly's JSON may write the dash as \u2014 or as itself, depending on the environment
    html = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), res.report_html())
    assert "Profile likelihood of productivity — NOT IDENTIFIED" in html and "3.84" in html


# ------------------------------------------------------------------------------ ledger
def test_classify_documentation_strings():
    assert classify("Lever. Source: seed 000 section 4.4, around 10 years.")[0] == "fixed from source"
    st, basis, src = classify("Learning. Source: Argote (1999), progress ratios 0.7-0.95.")
    assert (st, basis) == ("fixed from source", "literature") and "Argote (1999)" in src
    st, basis, src = classify("Assumption: one recruiting cycle.")
    assert (st, basis, src) == ("assumed", "assumption", "assumption: one recruiting cycle.")
    assert classify("Assumption.")[2] == "assumption: no reason stated in the model"
    assert classify("Widgets one person makes.") == (
        "assumed", "none", "assumption: no source or reason stated in the model")
    # a cited mechanism whose size is assumed is an assumption
    assert classify("Source: seed 001 section 3; size is an assumption.")[0] == "assumed"


def test_ledger_lists_every_parameter_and_target(widgets, tmp_path):
    m, d = widgets
    data = _widget_data(m, **{"target workforce": 90.0})
    p = _targets(d, WIDGET_TARGETS.format(**data) + """
[fixed."hiring time"]
value = 1.5
source = "seed 001 section 5.1: two or three people every six months (test)"
""", "ledger.toml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        res = cal.calibrate(m, p, free=["target workforce"], hold_out="customers_10",
                            profile=False)
    df = ledger(m, result=res)
    par = df.xs("parameter", level="kind")
    assert set(par.index) == {v.name for v in m.parameters.values()}
    assert par.loc["target workforce", "status"] == "fitted"
    assert par.loc["target workforce", "value"] == pytest.approx(res.estimates["target workforce"])
    assert par.loc["hiring time", "status"] == "fixed from source"
    assert par.loc["hiring time", "value"] == 1.5
    assert par.loc["quit rate", "status"] == "fixed from source"
    assert par.loc["productivity", "source"].startswith("assumption: no source")
    tg = df.xs("target", level="kind")
    assert tg.loc["customers_10", "status"] == "held out (predicted)"
    assert tg.loc["staff_5", "status"] == "fitted to"
    sh = shares(df)
    assert sum(v["count"] for v in sh.values()) == len(m.parameters)
    assert sh["fitted"]["count"] == 1 and sh["fixed from source"]["count"] == 2
    assert sum(v["share"] for v in sh.values()) == pytest.approx(1.0)
    paths = res.write(tmp_path)
    text = paths["ledger"].read_text()
    assert text.splitlines()[0].startswith("kind,name,value,units,status")
    assert len(text.splitlines()) == 1 + len(m.parameters) + 3
    assert "Evidence ledger" in paths["report"].read_text()
    # a name the model lacks in [fixed] is one clear error
    bad = _targets(d, WIDGET_TARGETS.format(**data) + '[fixed."hiring tme"]\nvalue = 1\n'
                   'source = "x"\n', "badfixed.toml")
    with pytest.raises(CalibrationError, match=r"badfixed\.toml: fixed\.hiring tme"):
        cal.calibrate(m, bad, free=["target workforce"])


def test_dual_model_ledger_lists_every_parameter(model):
    df = ledger(model, targets=ROOT / "scenarios" / "data" / "case_firm.toml")
    par = df.xs("parameter", level="kind")
    assert len(par) == len(model.parameters)
    assert set(par["status"]) <= {"fitted", "fixed from source", "assumed"}
    assert (par["source"].str.len() > 0).all()
    assert sum(v["count"] for v in shares(df).values()) == len(model.parameters)


# ------------------------------------------------------------------------------ MCMC
def test_mcmc_runs_to_fifty_autocorrelation_times(widgets):
    m, d = widgets
    data = _widget_data(m, **{"target workforce": 90.0, "productivity": 55.0})
    p = _targets(d, WIDGET_TARGETS.format(**data), "mcmc.toml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        res = cal.calibrate(m, p, free=["target workforce", "productivity"], method="mcmc",
                            n_walkers=8, seed=2, profile=False, n_bands=20)
    info = res.info
    assert info["converged"] == 1
    assert info["n_steps"] >= 50 * info["max_autocorr_time"]
    assert info["tau_multiple"] >= 50
    assert "converged" in res.message
    with pytest.warns(CalibrationWarning, match="MCMC did not converge"):
        short = cal.calibrate(m, p, free=["target workforce", "productivity"], method="mcmc",
                              n_walkers=8, n_steps=40, seed=2, profile=False, n_bands=10)
    assert short.info["converged"] == 0


# ------------------------------------------------------------------------------ recovery
HIDDEN = {"base volume per offering": 2600.0, "fixed overhead": 6.0e6,
          "intended exploration share": 0.62}


def test_recovery_mixed_targets(model, tmp_path):
    """Hidden values, synthetic data from the model plus Gaussian noise on a point, a period
    mean, a share and a series target together: the truth lies inside every 95 % interval."""
    ds = ambidex.ensemble(model, samples={k: np.array([v]) for k, v in HIDDEN.items()},
                          scenario="baseline_dual", rtol=1e-8, atol=1e-8,
                          variables=["total revenue", "ROA", "collaboration revenue"]).isel(sample=0)
    rng = np.random.default_rng(7)
    years = np.arange(2008.0, 2021.0, 2.0)
    rev = ds.total_revenue.sel(time=years).values / 1e6
    se_s = 0.6
    series = rev + se_s * rng.standard_normal(rev.size)
    (tmp_path / "rev.csv").write_text("time,value\n" + "\n".join(
        f"{t:g},{v:.6f}" for t, v in zip(years, series)) + "\n")
    t = ds.time.values
    sel = (t >= 2017) & (t <= 2022)
    roa = float(np.trapezoid(ds.roa.values[sel], t[sel]) / 5) * 100
    share = float(ds.collaboration_revenue.sel(time=2021.0) / ds.total_revenue.sel(time=2021.0))
    rev21 = float(ds.total_revenue.sel(time=2021.0)) / 1e6
    e = rng.standard_normal(3)
    p = tmp_path / "mixed.toml"
    p.write_text(f"""
source = "synthetic: the dual model with hidden parameters plus Gaussian noise"
scenario = "baseline_dual"
[targets.revenue_series]
kind = "series"
variable = "total revenue"
file = "rev.csv"
units = "EUR M/year"
se = {se_s}
source = "synthetic"
[targets.revenue_2021]
kind = "value"
variable = "total revenue"
time = 2021.0
value = {rev21 + 0.8 * e[0]:.6f}
units = "EUR M/year"
se = 0.8
source = "synthetic"
[targets.roa]
kind = "mean"
variable = "ROA"
start = 2017.0
end = 2022.0
value = {roa + 0.3 * e[1]:.6f}
units = "%/year"
se = 0.3
source = "synthetic"
[targets.share]
kind = "share"
numerator = "collaboration revenue"
denominator = "total revenue"
time = 2021.0
value = {share + 0.02 * e[2]:.6f}
se = 0.02
source = "synthetic"
""")
    res = cal.calibrate(model, p, free=list(HIDDEN), seed=0, profile=False)
    assert res.dof == 7 + 3 - 3
    for name, true in HIDDEN.items():
        lo, hi = res.intervals[name]
        assert lo <= true <= hi, f"{name}: {true} outside [{lo}, {hi}]\n{res.summary()}"
        assert hi - lo < 0.5 * abs(true)
    assert res.cost < 3 * res.dof  # chi² consistent with its degrees of freedom


# ------------------------------------------------------------------------------ interventions
def test_step_scenario_lifted_equals_pysd_runs(widgets):
    """A scenario with a step intervention calibrates on the batched engine (the step lifted
    into a derived model, its time a parameter) with the same result as running each parameter
    set on PySD with the intervention."""
    m, d = widgets
    (d / "step.toml").write_text('name = "step"\nsource = "test: the target steps up at 3"\n'
                                 '[[interventions]]\nparameter = "target workforce"\n'
                                 'kind = "step"\ntime = 3.0\nto = 150.0\n')
    ds = ambidex.simulate(m, [d / "step.toml"], params={"productivity": 60.0}, rtol=1e-10,
                          atol=1e-10).isel(scenario=0)
    p = _targets(d, f"""
[targets.staff_6]
kind = "value"
variable = "workforce"
time = 6.0
value = {float(ds.workforce.sel(time=6.0)):.8f}
units = "people"
se = 0.5
source = "synthetic"
[targets.output_7]
kind = "value"
variable = "production"
time = 7.0
value = {float(ds.production.sel(time=7.0)):.8f}
units = "widget/Year"
se = 5.0
source = "synthetic"
""".replace('scenario = "base.toml"', ""), "steptargets.toml")
    text = p.read_text().replace('scenario = "base.toml"', 'scenario = "step.toml"')
    p.write_text(text)
    lifted = cal.calibrate(m, p, free=["productivity"], profile=False)
    assert lifted.lifted is not None and lifted.estimates["productivity"] == pytest.approx(60, rel=1e-5)
    assert lifted.cost < 1e-6
    # the PySD path (runs.run_each) gives the same residuals at the same parameters
    from ambidex.calibrate.runs import run_each
    from ambidex.core.scenario import load_scenario, validate

    prob = lifted.problem
    sc = validate(load_scenario(d / "step.toml"), m)
    runs = run_each(m, np.array([[55.0]]), prob.free, sc,
                    list(prob.vars["step.toml"]), prob.times)
    fast = prob.values_from(np.array([[55.0]]), prob.simulate(np.array([[55.0]])))
    slow = prob.values_from(np.array([[55.0]]), {"step.toml": runs})
    for a, b in zip(fast, slow):
        assert a[0, 0] == pytest.approx(b[0, 0], rel=1e-5)
    text = lifted.scenario_tomls()["step.toml_calibrated"]
    assert 'kind = "step"' in text and "time = 3.0" in text and "to = 150.0" in text
