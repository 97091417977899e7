"""A second model through the faces: the teacup (SDXorg test-models samples/teacup, shipped in
tests/models with its own profile) runs through ``ambidex run --model``, the report and the
workshop's state layer, each taking the model's specifics from ``teacup.profile.toml``.

The teacup's answer is known: the file is saved for Euler at TIME STEP h = 0.125 minutes, which
gives T(n h) = 70 + 110 (1 - h / tau)^n degrees F exactly (room 70 F, start 180 F, Characteristic
Time tau = 10 minutes), within 0.25 % of the continuous 70 + 110 exp(-t / tau)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

import ambidex
from ambidex.cli import app
from ambidex.core.errors import ModelError
from ambidex.core.profile import load_profile
from ambidex.ensemble import default_variables
from ambidex.report import build_report
from ambidex.workshop import figures, runs
from ambidex.workshop import state as ws

TEACUP = Path(__file__).parent / "models" / "teacup.mdl"


@pytest.fixture(scope="module")
def teacup():
    return ambidex.load_model(TEACUP)


def _exact(t, tau=10.0, h=0.125):
    return 70 + 110 * (1 - h / tau) ** (np.asarray(t) / h)


def test_profile_read_and_defaults(teacup, write_mdl):
    prof = load_profile(teacup)
    assert prof.name == "Teacup cooling" and prof.default_scenario is None
    assert default_variables(teacup) == ["teacup_temperature", "heat_loss_to_room"]
    assert prof.summary[0] == ("tea temperature F", "teacup_temperature", 1.0)
    bare = ambidex.load_model(write_mdl("""
Level = INTEG(-Level / 5, 100)
	~	widget
	~	decay
	|
"""))
    p = load_profile(bare)  # no profile: its stocks are the key outputs
    assert p.path is None and p.summary == (("Level", "level", 1.0),)
    assert default_variables(bare) == ["level"]


def test_profile_naming_an_unknown_variable_is_one_clear_error(write_mdl, tmp_path):
    path = write_mdl("""
Level = INTEG(-Level / 5, 100)
	~	widget
	~	decay
	|
""", name="bad.mdl")
    path.with_name("bad.profile.toml").write_text('key_outputs = ["Levle"]\n')
    with pytest.raises(ModelError, match=r"bad.profile.toml: key_outputs: .*no variable 'Levle'"
                                         r".*did you mean 'Level'"):
        load_profile(ambidex.load_model(path))


def test_ambidex_run_model_uses_the_profile(tmp_path):
    r = CliRunner().invoke(app, ["run", "--model", str(TEACUP), "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "tea temperature F" in r.output and "heat loss F/min" in r.output
    ds = xr.open_dataset(tmp_path / "scenarios.nc", engine="h5netcdf")
    assert list(ds.scenario.values) == ["default"]
    np.testing.assert_allclose(ds.teacup_temperature.values[0], _exact(ds.time.values),
                               rtol=1e-12)
    ds.close()
    html = (tmp_path / "report.html").read_text()
    # plotly escapes "/" in its JSON: match up to it
    assert "Teacup Temperature (degrees F)" in html and "Heat Loss to Room (degrees F" in html
    assert "Revenue by business model" not in html  # no dual-model figures for a teacup
    assert "At the end of the run:" in html and "baseline_dual" not in html


def test_report_and_workshop_state_layer_use_the_profile(teacup):
    st = ws.state_from_scenario(teacup, ambidex.Scenario(name="default", source="teacup"))
    st, diff = ws.set_levers(teacup, st, {"characteristic_time": 5.0})
    assert set(diff) == {"characteristic_time"}
    base = runs.run(teacup, ws.baseline_dict(teacup, st))
    cur = runs.run(teacup, ws.scenario_dict(teacup, st))
    assert sorted(cur.data_vars) == ["heat_loss_to_room", "teacup_temperature"]
    t = cur.time.values
    np.testing.assert_allclose(cur.teacup_temperature.values[0], _exact(t, tau=5.0), rtol=1e-12)
    np.testing.assert_allclose(base.teacup_temperature.values[0], _exact(t), rtol=1e-12)
    fig = figures.outcomes(cur, base, title="teacup")
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert any("Tea temperature" in x for x in titles) and any("Heat loss" in x for x in titles)
    html = build_report(ambidex.simulate(teacup), teacup)
    assert "Teacup Temperature (degrees F)" in html


def test_workshop_story_and_lever_words_come_from_the_profile(write_mdl):
    """The presenter charts and the levers' plain words are the profile's, not workshop code's:
    a model with ``[[story]]``, ``[levers]`` and ``[unit_words]`` gets exactly those; a story
    series naming a variable the model lacks is dropped; a lever the model lacks is an error."""
    from ambidex.workshop.charts import charts_for, lever_label, lever_short

    path = write_mdl("""
Level = INTEG(inflow - Level / decay time, 100)
	~	widget
	~	the stock
	|
inflow = 10
	~	widget/Month
	~	[0, 50]
	|
decay time = 5
	~	Month
	~	[1, 20]
	|
""", name="words.mdl")
    charts = "".join(f"""
[[story]]
id = "c{i}"
title = "Chart {i}"
unit = "widgets"
short = "C{i}"
series = [{{variable = "Level", label = "level", scale = 2}}, {{variable = "gone", label = "x"}}]
""" for i in range(4))
    path.with_name("words.profile.toml").write_text(charts + """
[levers]
"decay time" = {label = "Time to use a widget up", short = "Use-up time (months)"}
[unit_words]
"widget/Month" = "widgets a month"
""")
    m = ambidex.load_model(path)
    got = charts_for(m)
    assert [c["short"] for c in got] == ["C0", "C1", "C2", "C3"]
    assert got[0]["series"] == [{"var": "level", "label": "level", "scale": 2.0}]
    assert lever_label(m, "decay_time") == "Time to use a widget up (Month)"
    assert lever_short(m, "decay_time") == "Use-up time (months)"
    assert lever_label(m, "inflow") == "Inflow (widgets a month)"
    path.with_name("words.profile.toml").write_text('[levers]\n"decay tme" = {label = "x"}\n')
    with pytest.raises(ModelError, match=r"words.profile.toml: levers: .*'decay tme'.*decay time"):
        load_profile(ambidex.load_model(path))


def test_the_workshop_app_serves_the_teacup_with_its_own_levers_and_scenarios(teacup):
    """The whole workshop app for the teacup: levers from its profile's [levers] (the doc
    strings carry no 'Lever:' tag), only the scenario files that fit it, the page and its
    generated model served; the model's own values when no scenario file fits."""
    import json

    from ambidex.core.scenario import list_scenarios
    from ambidex.workshop import create_app
    from ambidex.workshop.layout import scenario_options

    app = create_app(teacup, warm_up=False)
    parts = list(app.layout._traverse())
    levers = {c.id["py"]: c for c in parts if isinstance(getattr(c, "id", None), dict)
              and c.id.get("type") == "lever"}
    assert set(levers) == {"characteristic_time", "room_temperature"}
    assert levers["characteristic_time"].value == 10.0
    assert "Cooling time constant (minutes)" in json.dumps(
        [getattr(c, "children", None) for c in parts], default=str)
    opts = [o["label"] for o in app.layout["scenario"].options]
    assert "fragmentation" not in opts and set(opts) < {p.stem for p in list_scenarios()}
    for label in opts:  # each offered file sets nothing the teacup lacks
        ws.state_from_scenario(teacup, next(p for p in list_scenarios() if p.stem == label))
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    script = client.get("/_ambidex/workshop.js")
    assert script.status_code == 200 and b"teacup_temperature" in script.data
    # a model no scenario file fits starts from its own values
    assert scenario_options(teacup) and ws.state_from_scenario(teacup, "")["levers"] == {
        "characteristic_time": 10.0, "room_temperature": 70.0}
