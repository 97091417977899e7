"""Results files: netCDF-4 written through netCDF-C (netCDF4) or h5netcdf reads back the same."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import ambidex
from ambidex.core.results import to_netcdf, write_netcdf


def test_run_file_reads_back_identically_from_either_writer(tmp_path):
    pytest.importorskip("netCDF4")
    ds = ambidex.simulate(scenarios=["baseline_dual"])
    ds["failed"] = ("scenario", np.array([False]))
    ds.attrs["note"] = "unicode − € ✓"
    to_netcdf(ds, tmp_path / "a.nc")  # netCDF4 (netCDF-C)
    ds.to_netcdf(tmp_path / "b.nc", engine="h5netcdf")
    with xr.open_dataset(tmp_path / "a.nc", engine="h5netcdf") as a, \
            xr.open_dataset(tmp_path / "b.nc", engine="h5netcdf") as b:
        assert a.identical(b)
        np.testing.assert_array_equal(a.total_revenue.values, ds.total_revenue.values)
        assert a.attrs["note"] == "unicode − € ✓" and a.total_revenue.attrs["units"] == "EUR/Year"
    assert write_netcdf(ds, tmp_path / "sub" / "c.nc").is_file()
