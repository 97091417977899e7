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


def test_ensemble_returns_subscripted_stocks_by_default(model):
    ens = ambidex.ensemble(model, samples={"scale": [1.0, 2.0]}, method="euler")
    pop = ens["population"]
    assert pop.dims == ("sample", "time", "Region")
    n = np.arange(5)
    np.testing.assert_allclose(pop.sel(Region="South", sample=1), 100 * (1 + 0.2 * 2 * 0.5) ** n)
    np.testing.assert_allclose(pop.sel(Region="North", sample=0), 100 * 1.05 ** n)
