"""The CLI end to end: run, list, compare, params."""

from __future__ import annotations

import subprocess
import sys

import xarray as xr
from typer.testing import CliRunner

from ambidex.cli import app


def test_run_subset_writes_netcdf_and_report_and_prints_table(tmp_path):
    out = tmp_path / "res"
    r = CliRunner().invoke(app, ["run", "baseline_dual", "market_only", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "baseline_dual" in r.output and "market_only" in r.output and "ROA" in r.output
    ds = xr.open_dataset(out / "scenarios.nc", engine="h5netcdf")
    assert list(ds.scenario.values) == ["baseline_dual", "market_only"]
    for key in ["model_sha256", "model_path", "solver", "versions", "scenarios"]:
        assert key in ds.attrs
    assert ds.total_revenue.attrs["units"] == "EUR/Year"
    assert "seed 000" in ds.total_revenue.attrs["description"]
    assert "seed 000" in str(ds.scenario_source.values[0])
    html = (out / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "plotly" in html.lower()
    assert "Feedback structure" in html and "Revenue by business model" in html
    assert "Loops That Matter" in html
    assert "<script src=\"http" not in html and "plotly.js v" in html  # inlined: opens offline
    ds.close()


def test_run_all_through_the_installed_entry_point(tmp_path):
    r = subprocess.run([sys.executable, "-m", "ambidex", "run", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=600, cwd=tmp_path.parent)
    assert r.returncode == 0, r.stderr
    ds = xr.open_dataset(tmp_path / "scenarios.nc", engine="h5netcdf")
    assert ds.sizes["scenario"] == 14
    ds.close()


def test_list_and_params_and_compare(tmp_path):
    r = CliRunner().invoke(app, ["list"])
    assert r.exit_code == 0 and "fragmentation" in r.output and "14" in r.output
    r = CliRunner().invoke(app, ["params"])
    assert r.exit_code == 0 and "selectivity" in r.output
    r = CliRunner().invoke(app, ["compare", "baseline_dual", "fragmentation", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "difference" in r.output
    html = (tmp_path / "compare_baseline_dual_fragmentation.html").read_text()
    assert "Difference: fragmentation" in html  # the minus sign may be JSON-escaped (\\u2212)
