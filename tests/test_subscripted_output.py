"""Subscripted variables come back with their subscript ranges as xarray dimensions."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import ambidex
from ambidex.core.results import write_netcdf

BODY = """
Region: North, South ~~|
Population[Region] = INTEG(growth[Region], 100)
	~	people
	~	|
growth[Region] = Population[Region] * rate[Region] * scale
	~	people/Year
	~	|
scale = 1
	~	1
	~	|
rate[Region] = 0.1, 0.2
	~	1/Year
	~	|
total = SUM(Population[Region!])
	~	people
	~	|
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    p = tmp_path_factory.mktemp("subs") / "regions.mdl"
    p.write_text("{UTF-8}\n" + BODY.strip() + """
INITIAL TIME = 0
	~	Year
	~	|
FINAL TIME = 2
	~	Year
	~	|
TIME STEP = 0.5
	~	Year
	~	|
SAVEPER = 0.5
	~	Year
	~	|
""")
    return ambidex.load_model(p)


@pytest.mark.parametrize("backend", ["compiled", "pysd"])
def test_population_has_a_region_dimension_with_hand_derived_values(model, backend):
    ds = ambidex.simulate(model, method="euler", backend=backend)
    pop = ds["population"]
    assert pop.dims == ("scenario", "time", "Region")
    assert list(pop["Region"].values) == ["North", "South"]
    n = np.arange(5)  # Euler at dt 0.5: P_n = 100 (1 + r dt)^n
    np.testing.assert_allclose(pop.sel(Region="North").isel(scenario=0), 100 * 1.05 ** n)
    np.testing.assert_allclose(pop.sel(Region="South").isel(scenario=0), 100 * 1.10 ** n)
    np.testing.assert_allclose(ds["total"].isel(scenario=0), pop.sum("Region").isel(scenario=0))


def test_variables_selects_a_subscripted_variable_and_netcdf_keeps_the_dimension(model, tmp_path):
    ds = ambidex.simulate(model, method="euler", variables=["Population"])
    assert list(ds.data_vars) == ["population"]
    back = xr.open_dataset(write_netcdf(ds, tmp_path / "run.nc"), engine="h5netcdf")
    assert back["population"].dims == ("scenario", "time", "Region")
    np.testing.assert_allclose(back["population"].values, ds["population"].values)


def test_an_unknown_variable_is_one_clear_error(model):
    with pytest.raises(ambidex.ModelError, match="no variable 'Populaton'.*did you mean 'Population'"):
        ambidex.simulate(model, method="euler", variables=["Populaton"])


def test_ensemble_returns_subscripted_stocks_by_default(model, tmp_path):
    ens = ambidex.ensemble(model, samples={"scale": [1.0, 2.0]}, method="euler",
                           store=tmp_path / "ens.zarr", chunk_size=1)
    assert ens["population"].chunks is not None  # read back from the zarr store
    pop = ens["population"]
    assert pop.dims == ("sample", "time", "Region")
    n = np.arange(5)
    np.testing.assert_allclose(pop.sel(Region="South", sample=1), 100 * (1 + 0.2 * 2 * 0.5) ** n)
    np.testing.assert_allclose(pop.sel(Region="North", sample=0), 100 * 1.05 ** n)


# ------------------------------------------------------------- one element as a target / output
def test_calibration_targets_name_one_element(model, tmp_path):
    """``variable = "Population[South]"``: the fit recovers scale = 1.5 from the exact solution
    P_r(t) = 100 exp(rate_r * scale * t) (dopri5 at rtol 1e-8), the series of one element and
    a value of the other; the fitted trajectory of that element is in the result Dataset."""
    scale = 1.5
    times = [0.5, 1.0, 1.5, 2.0]
    south = [float(100 * np.exp(0.2 * scale * t)) for t in times]
    (tmp_path / "base.toml").write_text('name = "base"\nsource = "test: the model defaults"\n')
    (tmp_path / "t.toml").write_text(f"""source = "hand-derived"
scenario = "base.toml"
free = ["scale"]
[bounds]
scale = [0.5, 3.0]
[targets.south]
kind = "series"
variable = "Population[South]"
times = {times}
values = {south}
units = "people"
se = 1.0
source = "exact solution"
[targets.north]
kind = "value"
variable = "population[ north ]"
time = 2.0
value = {float(100 * np.exp(0.1 * scale * 2.0))}
units = "people"
se = 1.0
source = "exact solution"
""")
    res = ambidex.calibrate(model, tmp_path / "t.toml", seed=0, profile=False, n_bands=0)
    assert res.estimates["scale"] == pytest.approx(scale, rel=1e-5)
    fit = res.dataset["fit_population[South]"].isel(scenario=0)
    np.testing.assert_allclose(fit.sel(time=times).values, south, rtol=1e-5)
    back = xr.open_dataset(write_netcdf(res.dataset, tmp_path / "fit.nc"), engine="h5netcdf")
    np.testing.assert_allclose(back["fit_population[South]"].values, res.dataset[
        "fit_population[South]"].values)


@pytest.mark.parametrize(("name", "words"), [
    ("Population", "subscripted over (Region); name one element, e.g. 'Population[North]'"),
    ("Population[East]", "'East' is not an element of Region (North, South)"),
    ("scale[North]", "'scale' is not subscripted"),
    ("Population[North, South]", "has 1 subscript(s) (Region), got 2")])
def test_a_wrong_element_is_one_line_naming_what_is_allowed(model, tmp_path, name, words):
    (tmp_path / "base.toml").write_text('name = "base"\nsource = "test"\n')
    (tmp_path / "t.toml").write_text(f"""source = "test"
scenario = "base.toml"
free = ["scale"]
[targets.x]
kind = "value"
variable = "{name}"
time = 1.0
value = 1.0
source = "test"
""")
    from ambidex.calibrate import CalibrationError

    with pytest.raises(CalibrationError) as err:
        ambidex.calibrate(model, tmp_path / "t.toml", bounds={"scale": (0.5, 3.0)})
    assert words in str(err.value) and "targets.x.variable" in str(err.value)
    assert "\n" not in str(err.value)


def test_sensitivity_outputs_name_one_element(tmp_path):
    """y[r] = a w[r] + b with w = (1, 3), a, b ~ U(0, 1): first-order Sobol' indices of
    y[North] are (1/2, 1/2) and of y[South] (9/10, 1/10)."""
    p = tmp_path / "lin.mdl"
    p.write_text("{UTF-8}\nRegion: North, South ~~|\nw[Region] = 1, 3 ~~|\na = 0.5 ~~|\n"
                 "b = 0.5 ~~|\ny[Region] = a * w[Region] + b ~~|\n"
                 "INITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = 1 ~~|\n")
    spec = {"name": "lin", "seed": 2, "method": {"name": "sobol", "samples": 1024},
            "parameters": [{"name": "a", "lower": 0.0, "upper": 1.0},
                           {"name": "b", "lower": 0.0, "upper": 1.0}],
            "outputs": [{"variable": "y[North]", "name": "north"},
                        {"variable": "y[south]", "name": "south", "statistic": "final"}]}
    ds = ambidex.sensitivity(ambidex.load_model(p), spec, report=False)
    for out, exact in (("north", [0.5, 0.5]), ("south", [0.9, 0.1])):
        s1 = ds.S1.sel(output=out).values
        conf = ds.S1_conf.sel(output=out).values
        assert np.all(np.abs(s1 - exact) <= np.maximum(conf, 0.03)), (out, s1, conf)
    assert ds.attrs["output south"].startswith("final of y[South]")


def test_the_report_draws_one_line_per_element(model):
    """The scenario report's panels: a subscripted stock is one line per region, with the
    hand-derived Euler values."""
    from ambidex.figdict import values
    from ambidex.report import build_report, grid_figure

    ds = ambidex.simulate(model, method="euler")
    fig = grid_figure(ds, [("population", 1, "people")], "stocks")
    lines = {tr["name"].split(" ", 1)[1]: values(tr["y"]) for tr in fig["data"]}
    n = np.arange(5)
    np.testing.assert_allclose(lines["[North]"], 100 * 1.05 ** n)
    np.testing.assert_allclose(lines["[South]"], 100 * 1.10 ** n)
    assert "[South]" in build_report(ds, model)
