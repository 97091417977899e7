"""What ``simulate`` keeps between calls (issue 17: a warm one-scenario call in about a
millisecond) and why it still gives the right answer: a scenario file is parsed again whenever
its content changes, whatever its mtime; every result is its own (attrs, indexes); a warm call
equals a call from empty caches; every output is the engine's own series for that variable."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import ambidex
from ambidex.core import assembly, scenario
from ambidex.core.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
TEACUP = ROOT / "tests" / "models" / "teacup.mdl"
DUAL = ROOT / "sd_models" / "dual_business_model.mdl"

SCENARIO = """name = "cooling"
source = "test: the teacup's characteristic time"
[parameters]
"Characteristic Time" = {tau}
"""


def _analytic(t: np.ndarray, tau: float) -> np.ndarray:
    """Teacup temperature (deg F): 180 at t = 0 relaxing to the room's 70 with time constant
    ``tau`` (minutes)."""
    return 70.0 + 110.0 * np.exp(-t / tau)


def _cool(model, path: Path) -> np.ndarray:
    ds = ambidex.simulate(model, [path], method="dopri5", rtol=1e-9, atol=1e-9)
    return ds.time.values, ds["teacup_temperature"].values[0]


def test_a_changed_scenario_file_is_read_again_even_with_the_same_mtime_and_size(tmp_path):
    model = ambidex.load_model(TEACUP)
    path = tmp_path / "cooling.toml"
    path.write_text(SCENARIO.format(tau=5.5))
    t, got = _cool(model, path)
    np.testing.assert_allclose(got, _analytic(t, 5.5), rtol=1e-6)
    _cool(model, path)  # now read from the cache
    stat = path.stat()
    path.write_text(SCENARIO.format(tau=7.5))  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same mtime
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    assert load_scenario(path).parameters == {"Characteristic Time": 7.5}
    t, got = _cool(model, path)
    np.testing.assert_allclose(got, _analytic(t, 7.5), rtol=1e-6)


def test_a_broken_edit_is_reported_and_the_fixed_file_read_again(tmp_path):
    path = tmp_path / "cooling.toml"
    path.write_text(SCENARIO.format(tau=5.5))
    load_scenario(path)
    path.write_text(SCENARIO.format(tau='"slow"'))
    with pytest.raises(ambidex.ScenarioError, match=r"parameters\.Characteristic Time: "
                       r"expected a number"):
        load_scenario(path)
    path.write_text(SCENARIO.format(tau=6.0))
    assert load_scenario(path).parameters == {"Characteristic Time": 6.0}


def test_a_scenario_handed_out_is_the_callers_to_change(tmp_path):
    path = tmp_path / "cooling.toml"
    path.write_text(SCENARIO.format(tau=5.5) + '[solver]\nmethod = "euler"\n')
    first = load_scenario(path)
    first.parameters["Characteristic Time"] = 99.0
    first.solver["method"] = "rk4"
    again = load_scenario(path)
    assert again.parameters == {"Characteristic Time": 5.5} and again.solver == {"method": "euler"}


def _plain(ds):
    ds = ds.copy()
    ds.attrs.pop("created_utc")
    return ds


@pytest.mark.parametrize("path,calls", [
    (TEACUP, [dict(), dict(params={"Room Temperature": 30.0}), dict(saveper=1.0)]),
    (DUAL, [dict(scenarios=["baseline_dual"]),
            dict(scenarios=["baseline_dual", "fragmentation"], saveper=0.5),
            dict(scenarios=["market_only"], variables=["total_revenue", "cash"])]),
])
def test_warm_calls_equal_calls_from_empty_caches(path, calls):
    warm_model = ambidex.load_model(path)
    warm = []
    for _ in range(2):  # the second round runs on everything the first one cached
        warm = [ambidex.simulate(warm_model, **kw) for kw in calls]
    for kw, got in zip(calls, warm):
        assembly._INDEXES.clear()
        scenario._READ.clear()
        fresh = ambidex.simulate(ambidex.load_model(path), **kw)  # a new Model: no model caches
        assert _plain(got).identical(_plain(fresh)), kw


def test_every_output_is_the_engines_own_series_for_that_variable():
    model = ambidex.load_model(DUAL)
    ds = ambidex.simulate(model, ["baseline_dual"])
    assert ds.attrs["engine"] == "compiled" and ds.attrs["method"] == "dopri5"
    res = model.compiled().run(method="dopri5", rtol=1e-6, atol=1e-6, t_eval=ds.time.values)
    by_py = {model.compiled().py_names.get(name, name): name for name in res}
    assert len(ds.data_vars) > 200
    for py in ds.data_vars:
        np.testing.assert_array_equal(ds[py].values[0], res[by_py[py]][0], err_msg=py)


def test_each_result_has_its_own_attrs_and_indexes():
    model = ambidex.load_model(TEACUP)
    first = ambidex.simulate(model)
    first["teacup_temperature"].attrs["units"] = "changed"
    first.time.attrs["units"] = "changed"
    first.indexes["time"].name = "changed"
    second = ambidex.simulate(model)
    assert second["teacup_temperature"].attrs["units"] == "Degrees Fahrenheit"
    assert second.time.attrs["units"] == "Minute"
    assert second.indexes["time"].name == "time"
    assert second.attrs["model_sha256"] == model.sha256 and second.attrs["scenario"] == "default"
