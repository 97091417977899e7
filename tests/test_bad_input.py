"""Bad input: one clear error naming file, key/variable and what was allowed; CLI exit != 0;
no output file left behind."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

import ambidex
from ambidex.cli import app
from ambidex.core.errors import ModelError, ScenarioError, SolverError


def scen(tmp_path, text, name="bad.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_unknown_parameter_names_file_key_and_suggests(model, tmp_path):
    p = scen(tmp_path, 'source = "x"\n[parameters]\n"selectivty" = 0.2\n')
    with pytest.raises(ScenarioError) as e:
        ambidex.simulate(model, scenarios=[p])
    msg = str(e.value)
    assert str(p) in msg and "parameters.selectivty" in msg and "'selectivity'" in msg


def test_wrong_type(model, tmp_path):
    p = scen(tmp_path, 'source = "x"\n[parameters]\nselectivity = "high"\n')
    with pytest.raises(ScenarioError, match=r"parameters.selectivity: expected a number, got str"):
        ambidex.simulate(model, scenarios=[p])


def test_out_of_bounds_names_the_range(model, tmp_path):
    p = scen(tmp_path, 'source = "x"\n[parameters]\nselectivity = 1.5\n')
    with pytest.raises(ScenarioError, match=r"outside its range \[0, 1\] \(Dmnl\)"):
        ambidex.simulate(model, scenarios=[p])


def test_params_argument_is_checked_too(model):
    with pytest.raises(ScenarioError, match=r"params\['contract length'\].*outside its range \[2, 20\]"):
        ambidex.simulate(model, params={"contract length": 0.0})


def test_malformed_toml(tmp_path):
    p = scen(tmp_path, "source = \n[parameters\n")
    with pytest.raises(ScenarioError, match=r"bad.toml: malformed TOML"):
        ambidex.load_scenario(p)


@pytest.mark.parametrize("text,match", [
    ('source="x"\nfoo = 1\n', r"unknown key\(s\) foo"),
    ('source="x"\n[[interventions]]\nparameter="selectivity"\nkind="jump"\ntime=2010\n', r"kind: 'jump' is not one of"),
    ('source="x"\n[[interventions]]\nparameter="selectivity"\nkind="step"\ntime=2010\n', r"step needs key\(s\) to"),
    ('source="x"\n[[interventions]]\nparameter="selectivity"\nkind="ramp"\nstart=2010\nend=2005\nto=0.1\n', r"ramp end"),
    ('source="x"\n[solver]\nmethod="magic"\n', r"solver.method 'magic' is not one of"),
    ('source="x"\n[horizon]\nstart=2010\nend=2000\n', r"horizon.end"),
])
def test_malformed_scenarios(tmp_path, text, match):
    with pytest.raises(ScenarioError, match=match):
        ambidex.load_scenario(scen(tmp_path, text))


def test_intervention_outside_horizon_or_range(model, tmp_path):
    p = scen(tmp_path, 'source="x"\n[[interventions]]\nparameter="selectivity"\nkind="step"\ntime=2050\nto=0.1\n')
    with pytest.raises(ScenarioError, match=r"interventions\[0\]: time 2050 is outside the horizon \[2000, 2035\]"):
        ambidex.simulate(model, scenarios=[p])
    p = scen(tmp_path, 'source="x"\n[[interventions]]\nparameter="selectivity"\nkind="step"\ntime=2010\nto=3\n', "b2.toml")
    with pytest.raises(ScenarioError, match=r"interventions\[0\].*outside its range \[0, 1\]"):
        ambidex.simulate(model, scenarios=[p])


def test_unknown_scenario_name_lists_known():
    with pytest.raises(ScenarioError, match=r"scenario 'nope' not found.*baseline_dual"):
        ambidex.load_scenario("nope")


def test_missing_model_file(tmp_path):
    with pytest.raises(ModelError, match=r"model file not found: '.*missing.mdl'"):
        ambidex.load_model(tmp_path / "missing.mdl")


def test_model_pysd_cannot_translate(tmp_path):
    p = tmp_path / "broken.mdl"
    p.write_text("{UTF-8}\nx = = 3 +\n\t~\t\n\t~\t\n\t|\n")
    with pytest.raises(ModelError, match=r"PySD could not translate model file '.*broken.mdl'"):
        ambidex.load_model(p)
    assert not (tmp_path / "broken.py").exists()  # nothing written beside the user's file


def test_negative_physical_stock_names_stock_and_time(write_mdl):
    p = write_mdl("""
Inventory = INTEG(-shipments, 10)
	~	widget [0,?]
	~	a stock that must not go negative
	|
shipments = 4
	~	widget/Year
	~	constant outflow
	|
""")
    with pytest.raises(SolverError, match=r"stock 'Inventory' went negative .* at t=2\.625"):
        ambidex.simulate(ambidex.load_model(p), method="euler")


def test_nan_names_the_variable_and_time(write_mdl):
    p = write_mdl("""
Level = INTEG(-drain, 1)
	~	unit
	~	a level
	|
drain = 1
	~	unit/Year
	~	drain
	|
root = SQRT(Level)
	~	unit
	~	square root, NaN once Level < 0
	|
""")
    with pytest.raises(SolverError, match=r"variable 'root' is nan at t=1\.125"):
        ambidex.simulate(ambidex.load_model(p), method="euler")


def test_solver_failure_is_a_clear_error(write_mdl):
    p = write_mdl("""
Blow = INTEG(growth, 1)
	~	unit
	~	x' = x^2 escapes to infinity at t = 1
	|
growth = Blow * Blow
	~	unit/Year
	~	growth
	|
""", final=3)
    with pytest.raises(SolverError, match=r"LSODA.*(failed|not finite|non-finite|evaluations).*t=0\.99"):
        ambidex.simulate(ambidex.load_model(p), method="LSODA")


def test_cli_bad_input_exits_nonzero_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    p = scen(tmp_path, 'source = "x"\n[parameters]\nselectivity = 7\n')
    r = CliRunner().invoke(app, ["run", str(p), "--out", str(out)])
    assert r.exit_code == 2
    assert "selectivity" in r.output and "[0, 1]" in r.output
    assert not out.exists() or os.listdir(out) == []
    r = CliRunner().invoke(app, ["run", "--model", str(tmp_path / "nope.mdl"), "--out", str(out)])
    assert r.exit_code == 2 and "model file not found" in r.output
    r = CliRunner().invoke(app, ["compare", "baseline_dual", "nope", "--out", str(out)])
    assert r.exit_code == 2 and "scenario 'nope' not found" in r.output


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch, model):
    from ambidex.core.results import write_netcdf

    ds = ambidex.simulate(model, variables=["total_revenue"])

    def boom(ds, path, *a, **k):  # the writer dies half-way (netCDF4 or xarray alike)
        open(path, "w").write("partial")
        raise OSError("disk full")

    import ambidex.core.results as results

    monkeypatch.setattr(results, "to_netcdf", boom)
    with pytest.raises(OSError):
        write_netcdf(ds, tmp_path / "x.nc")
    assert os.listdir(tmp_path) == []
