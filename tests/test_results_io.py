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


def _layout(path) -> list:
    """Everything of a netCDF file but its data: format, dimensions, attributes (in order, with
    types), variables (order, dtype, dims, storage, attributes)."""
    import netCDF4

    with netCDF4.Dataset(path) as nc:
        out = [nc.data_model, [(k, len(d)) for k, d in nc.dimensions.items()],
               [(k, repr(nc.getncattr(k))) for k in nc.ncattrs()]]
        for n, v in nc.variables.items():
            out.append((n, str(v.dtype), v.dimensions, v.chunking(), v.filters(), v.endian(),
                        [(k, repr(v.getncattr(k))) for k in v.ncattrs()]))
    return out


def test_the_direct_netcdf4_writer_writes_what_xarray_writes(tmp_path):
    """A run's file is written straight through netCDF4 (all variables defined, then all data):
    the same layout, attributes and values as xarray's netcdf4 engine writes."""
    pytest.importorskip("netCDF4")
    from ambidex.core.results import _plain_netcdf4

    ds = ambidex.simulate(scenarios=["baseline_dual", "myopia"])
    ds.attrs["note"] = "unicode − € ✓"
    assert _plain_netcdf4(ds, tmp_path / "a.nc")
    ds.to_netcdf(tmp_path / "b.nc", engine="netcdf4")
    assert _layout(tmp_path / "a.nc") == _layout(tmp_path / "b.nc")
    with xr.open_dataset(tmp_path / "a.nc", engine="h5netcdf") as a, \
            xr.open_dataset(tmp_path / "b.nc", engine="h5netcdf") as b:
        assert a.identical(b) and a.load().identical(ds)
    ds["failed"] = ("scenario", np.array([False, False]))  # a bool: left to xarray
    assert not _plain_netcdf4(ds, tmp_path / "c.nc") and not (tmp_path / "c.nc").exists()
