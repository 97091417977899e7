"""ambidex.sensitivity: specs, SALib methods against analytic indices, the SD model, Dask."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import ambidex
from ambidex.core.errors import ScenarioError

sa = importlib.import_module("ambidex.sensitivity")  # the subpackage; ambidex.sensitivity is the function

ROOT = Path(__file__).resolve().parents[1]
DUAL_SPEC = ROOT / "scenarios" / "sensitivity" / "dual_model_sobol.toml"


# ----------------------------------------------------------------------------- analytic models
def ishigami(X, a=7.0, b=0.1):
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])


def ishigami_indices(a=7.0, b=0.1):
    v1 = 0.5 * (1 + b * np.pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * np.pi ** 8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}


def within(est, conf, exact, floor=0.01):
    est, conf, exact = map(np.asarray, (est, conf, exact))
    return np.all(np.abs(est - exact) <= np.maximum(conf, floor)), (est, conf, exact)


def test_ishigami_sobol_matches_analytic_within_ci():
    ds = sa.analyze_function(ishigami, dict(ISHIGAMI, method={"name": "sobol", "samples": 2048,
                                                              "second_order": True}, seed=11))
    s1, st = ishigami_indices()
    ok, info = within(ds.S1.sel(output="y").values, ds.S1_conf.sel(output="y").values, s1)
    assert ok, info
    ok, info = within(ds.ST.sel(output="y").values, ds.ST_conf.sel(output="y").values, st)
    assert ok, info
    # S2: only x1-x3 interact
    s2 = ds.S2.sel(output="y").values
    assert abs(s2[0, 2] - (1 - s1.sum() - 0)) < 3 * ds.S2_conf.sel(output="y").values[0, 2] + 0.02
    assert abs(s2[0, 1]) < 3 * ds.S2_conf.sel(output="y").values[0, 1] + 0.02
    assert set(ds.S.dims) == {"order", "parameter", "output"}


def test_ishigami_fast_and_morris_rank():
    fast = sa.analyze_function(ishigami, dict(ISHIGAMI, method={"name": "fast", "samples": 2049},
                                              seed=3))
    s1, st = ishigami_indices()
    assert np.allclose(fast.S1.values.ravel(), s1, atol=0.03)
    mor = sa.analyze_function(ishigami, dict(ISHIGAMI, method={"name": "morris", "samples": 200},
                                             seed=3))
    mu_star = mor.mu_star.values.ravel()
    assert mu_star[1] > mu_star[2] and mu_star[0] > mu_star[2]
    assert (mor.mu_star_conf.values > 0).all()


def linear_spec(method="sobol", samples=4096):
    return {
        "name": "linear", "seed": 5,
        "method": {"name": method, "samples": samples},
        "parameters": [
            {"name": "u1", "lower": 0.0, "upper": 1.0},
            {"name": "u2", "lower": -2.0, "upper": 2.0},
            {"name": "n3", "distribution": "normal", "mean": 1.0, "sd": 0.5},
            {"name": "t4", "distribution": "triangular", "lower": 0.0, "mode": 1.0, "upper": 4.0},
            {"name": "l5", "distribution": "lognormal", "mu": 0.0, "sigma": 0.3},
        ],
        "outputs": [{"variable": "y", "name": "y"}],
    }


A = np.array([2.0, 1.0, 3.0, -1.0, 1.5])


def linear(X):
    return X @ A


def test_linear_first_order_is_a2var_over_sum():
    spec = sa.load_spec(linear_spec())
    var = np.array([p.frozen().var() if p.distribution == "uniform" else _trunc_var(p)
                    for p in spec.parameters])
    exact = A ** 2 * var / np.sum(A ** 2 * var)
    ds = sa.analyze_function(linear, spec)
    ok, info = within(ds.S1.sel(output="y").values, ds.S1_conf.sel(output="y").values, exact)
    assert ok, info
    ok, info = within(ds.ST.sel(output="y").values, ds.ST_conf.sel(output="y").values, exact)
    assert ok, info
    # the samples follow the declared distributions
    X = ds.X.values
    assert X[:, 0].min() >= 0 and X[:, 0].max() <= 1
    assert abs(X[:, 2].mean() - 1.0) < 0.02 and abs(X[:, 2].std() - 0.5) < 0.03
    assert X[:, 4].min() > 0


def _trunc_var(p):
    from scipy import integrate
    d = p.frozen()
    lo, hi = p.support()
    mass = d.cdf(hi) - d.cdf(lo)
    m1 = integrate.quad(lambda x: x * d.pdf(x), lo, hi)[0] / mass
    m2 = integrate.quad(lambda x: x * x * d.pdf(x), lo, hi)[0] / mass
    return m2 - m1 ** 2


def test_linear_delta_and_pawn_run():
    ds = sa.analyze_function(linear, dict(linear_spec("pawn", 1000)))
    med = ds.pawn_median.values.ravel()
    assert med.argmax() == 2  # n3 carries the largest share of variance
    ds = sa.analyze_function(linear, dict(linear_spec("delta", 200),
                                          method={"name": "delta", "samples": 200,
                                                  "num_resamples": 5}))
    d = ds.delta.values.ravel()
    assert min(d[1], d[2]) > max(d[0], d[4])  # u2 and n3 matter more than u1 and l5


def test_salib_problem_dict_and_module_is_callable():
    prob = dict(ISHIGAMI, dists=["unif", "unif", "unif"], method={"name": "sobol", "samples": 256},
                seed=1)
    a = ambidex.sensitivity(ishigami, prob)
    b = sa.analyze_function(ishigami, prob)
    assert np.array_equal(a.S1.values, b.S1.values)  # same seed, same numbers
    assert {"S1", "ST", "S1_conf", "ST_conf"} <= set(a.data_vars)
    assert a.S1.dims == ("parameter", "output")


# ----------------------------------------------------------------------------- bad specs
def _write(tmp_path, text, name="bad.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


GOOD_PARAMS = '[[parameters]]\nname = "selectivity"\n[[outputs]]\nvariable = "ROA"\n'


@pytest.mark.parametrize("text, key", [
    ('[method]\nname = "sobol"\nsamples = 1000\n' + GOOD_PARAMS, "method.samples"),
    ('[method]\nname = "fast"\nsamples = 60\n' + GOOD_PARAMS, "method.samples"),
    ('[method]\nname = "hdmr"\n' + GOOD_PARAMS, "method.name"),
    ('[[parameters]]\nname = "selectivity"\nlower = 0.8\nupper = 0.2\n', "parameters[0] (selectivity)"),
    ('[[parameters]]\nname = "x"\ndistribution = "beta"\n', "parameters[0] (x).distribution"),
    ('[[parameters]]\nname = "x"\ndistribution = "normal"\nmean = 1.0\n', "parameters[0] (x)"),
    ('[method]\nname = "morris"\nsamples = 10\nlevels = 3\n' + GOOD_PARAMS, "method.levels"),
    ('[method]\nname = "sobol"\ntrajectories = 3\n' + GOOD_PARAMS, "[method]"),
    ('seed = "abc"\n' + GOOD_PARAMS, "seed"),
    ('parameters = 3\n', "parameters"),
    ('[method\n', "malformed TOML"),
])
def test_bad_spec_names_file_and_key(tmp_path, text, key):
    p = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as exc:
        sa.load_spec(p)
    assert str(p) in str(exc.value) and key in str(exc.value), str(exc.value)


@pytest.fixture(scope="module")
def model():
    return ambidex.load_model()


@pytest.mark.parametrize("text, key", [
    ('[[parameters]]\nname = "selectivty"\n[[outputs]]\nvariable = "ROA"\n', "parameters[0] (selectivty).name"),
    ('[[parameters]]\nname = "selectivity"\n[[outputs]]\nvariable = "ROAA"\n', "outputs[0].variable"),
    ('[[parameters]]\nname = "selectivity"\nlower = 0.5\nupper = 2.0\n[[outputs]]\nvariable = "ROA"\n',
     "parameters[0] (selectivity).upper"),
    ('[[parameters]]\nname = "selectivity"\n', "outputs"),
])
def test_bad_spec_against_model(tmp_path, model, text, key):
    p = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as exc:
        sa.load_spec(p, model)
    assert str(p) in str(exc.value) and key in str(exc.value), str(exc.value)


# ----------------------------------------------------------------------------- the SD model
def small_dual(samples=16, mc=24, discovery="prim"):
    import tomllib
    data = tomllib.loads(DUAL_SPEC.read_text())
    data["method"]["samples"] = samples
    data["method"]["num_resamples"] = 20
    data["uncertainty"]["samples"] = mc
    data["discovery"]["method"] = discovery
    data["outputs"][-1]["every"] = 5.0
    return data


def test_dual_spec_file_is_valid(model):
    spec = sa.load_spec(DUAL_SPEC, model)
    assert spec.method == "sobol" and len(spec.parameters) == 9
    assert [o.variable for o in spec.scalar_outputs] == [
        "ROA", "Cumulative Profit", "collaboration share of revenue", "Relationship Trust",
        "ambidexterity balance"]
    assert spec.trajectory_outputs[0].variable == "ROA"
    for p in spec.parameters:
        mp = model.resolve_parameter(p.name)
        lo, hi = p.support()
        assert mp.lower <= lo < hi <= mp.upper


def test_dual_model_sensitivity_writes_netcdf_and_report(model, tmp_path):
    import xarray as xr
    ds = ambidex.sensitivity(model, small_dual(), out=tmp_path)
    for v in ("S1", "ST", "S1_conf", "ST_conf"):
        assert ds[v].dims == ("parameter", "output")
        assert np.isfinite(ds[v].values).all()
    assert ds.ST_t.dims == ("parameter", "series", "time")
    assert list(ds.time.values) == [2000.0 + 5 * k for k in range(8)]
    assert ds.sizes["sample"] == 16 * 20
    # Monte Carlo bands are ordered percentiles
    band = ds.mc_band.values
    assert list(ds.percentile.values) == [5, 25, 50, 75, 95]
    assert (np.diff(band, axis=0) >= -1e-12).all()
    # PRIM peeling: coverage falls, density rises
    assert ds.attrs["discovery_method"] in ("prim", "cart")
    assert ds.box_coverage.values[0] >= ds.box_coverage.values[-1]
    back = xr.open_dataset(tmp_path / "sensitivity_dual_model_sobol.nc", engine="h5netcdf")
    assert np.allclose(back.S1.values, ds.S1.values)
    html = (tmp_path / "sensitivity_dual_model_sobol.html").read_text()
    for title in ("Sensitivity indices", "Time-resolved indices", "Monte Carlo uncertainty",
                  "Scenario discovery", "Second-order"):
        assert title in html
    assert "<script" in html and 'src="https://cdn.plot.ly' not in html


def test_dual_model_morris_and_cart(model):
    data = small_dual(discovery="cart")
    data["method"] = {"name": "morris", "samples": 6, "levels": 4}
    del data["uncertainty"]
    ds = sa.run_sensitivity(model, data)
    assert ds.mu_star.dims == ("parameter", "output")
    assert "mu_star_t" in ds and ds.attrs["discovery_method"] == "cart"
    html = sa.build_report(ds)
    assert "Morris screening" in html


def test_output_statistics():
    from ambidex.sensitivity.model_eval import reduce_output
    from ambidex.sensitivity.spec import OutputSpec
    t = np.linspace(2000, 2010, 41)
    y = np.vstack([t - 2000, 2 * (t - 2000)])
    assert np.allclose(reduce_output(OutputSpec("v", "final"), y, t)[0], [10, 20])
    assert np.allclose(reduce_output(OutputSpec("v", "at", time=2003.1), y, t)[0], [3.1, 6.2])
    assert np.allclose(reduce_output(OutputSpec("v", "mean", start=2002, end=2004), y, t)[0], [3, 6])
    assert np.allclose(reduce_output(OutputSpec("v", "max", end=2005), y, t)[0], [5, 10])
    vals, tt = reduce_output(OutputSpec("v", "trajectory", every=2.5), y, t)
    assert list(tt) == [2000, 2002.5, 2005, 2007.5, 2010] and vals.shape == (2, 5)


# ----------------------------------------------------------------------------- Dask
@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    import cloudpickle
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as lc, distributed.Client(lc) as c:
        yield c


def test_dask_equals_single_process(model, client, tmp_path):
    data = small_dual()
    del data["uncertainty"], data["discovery"]
    data["solver"]["chunk_size"] = 64
    one = sa.run_sensitivity(model, data)
    many = sa.run_sensitivity(model, data, cluster=client, out=tmp_path)
    for v in ("S1", "ST", "S1_conf", "ST_conf", "S2", "ST_t", "X", "Y"):
        assert np.array_equal(one[v].values, many[v].values, equal_nan=True), v
    import zarr
    g = zarr.open_group(str(tmp_path / "sensitivity_dual_model_sobol.zarr"), mode="r")
    assert g["ROA_mean_2017-2021"].shape == (one.sizes["sample"],)  # no spaces in folder names
    assert "ROA mean 2017-2021" in g.attrs["labels"]
    assert not list(tmp_path.glob(".*partial"))
    assert json.loads(many.attrs["written"])["samples"].endswith("sensitivity_dual_model_sobol.zarr")


class FailsOnChunk:
    """Raises for rows whose first value lies in [lo, hi] (one chunk only)."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def __call__(self, X):
        if ((X[:, 0] >= self.lo) & (X[:, 0] <= self.hi)).any():
            raise RuntimeError("boom")
        return ishigami(X)


class FailsOnce:
    """Fails the first time it sees a chunk (a marker file per chunk start), then works."""

    def __init__(self, folder):
        self.folder = str(folder)

    def __call__(self, X):
        marker = Path(self.folder) / f"seen-{X[0, 0]:.12f}"
        if X.shape[0] > 1 and not marker.exists():
            marker.write_text("x")
            raise RuntimeError("transient")
        return ishigami(X)


def test_dask_failed_chunk_is_reported_and_transient_failure_retried(client, tmp_path):
    from ambidex.sensitivity.distributed import DistributedError, evaluate_dask
    X = np.column_stack([np.arange(32.0), np.zeros(32), np.zeros(32)])
    with pytest.raises(DistributedError) as exc:
        evaluate_dask(FailsOnChunk(17, 18), X, cluster=client, chunk_size=8, retries=1)
    assert "chunk 2 (samples 16-23)" in str(exc.value) and "boom" in str(exc.value)
    store = tmp_path / "out" / "samples.zarr"
    with pytest.raises(DistributedError):
        evaluate_dask(FailsOnChunk(17, 18), X, cluster=client, chunk_size=8, retries=0, store=store)
    assert not store.exists() and not list(store.parent.iterdir())  # no partial store left
    Y = evaluate_dask(FailsOnce(tmp_path), X, cluster=client, chunk_size=8, retries=2)
    assert np.array_equal(Y["y"], ishigami(X))
    assert len(list(tmp_path.glob("seen-*"))) == 4


def test_cli_sensitivity(tmp_path):
    import tomli_w
    from typer.testing import CliRunner

    from ambidex.cli import app
    data = small_dual(discovery="cart")
    del data["uncertainty"]
    spec = tmp_path / "small.toml"
    spec.write_text(tomli_w.dumps(data))
    res = CliRunner().invoke(app, ["sensitivity", str(spec), "--out", str(tmp_path / "out"),
                                   "--no-report"])
    assert res.exit_code == 0, res.output
    assert "ST (sobol" in res.output
    assert (tmp_path / "out" / "sensitivity_dual_model_sobol.nc").exists()
    bad = tmp_path / "bad.toml"
    bad.write_text('[method]\nname = "sobol"\nsamples = 100\n[[parameters]]\nname = "selectivity"\n'
                   '[[outputs]]\nvariable = "ROA"\n')
    res = CliRunner().invoke(app, ["sensitivity", str(bad), "--out", str(tmp_path / "bad")])
    assert res.exit_code == 2 and "method.samples" in res.output
    assert not (tmp_path / "bad").exists()


def test_sobol_bootstrap_agrees_with_salib():
    """The matrix-product bootstrap gives SALib's indices and intervals (same resamples)."""
    from SALib.analyze import sobol
    from SALib.sample import sobol as sobol_sample

    from ambidex.sensitivity import sobol_boot

    for so in (False, True):
        X = sobol_sample.sample(dict(ISHIGAMI), 256, calc_second_order=so, scramble=True, seed=2)
        y = ishigami(X)
        want = sobol.analyze(dict(ISHIGAMI), y, calc_second_order=so, num_resamples=40, seed=7)
        got = sobol_boot.analyze(3, y, second_order=so, num_resamples=40, seed=7)
        assert set(got) == ({"S1", "S1_conf", "ST", "ST_conf"}
                            | ({"S2", "S2_conf"} if so else set()))
        for k, v in got.items():
            np.testing.assert_allclose(v, want[k], rtol=1e-9, atol=1e-13, err_msg=k)


def test_sobol_second_order_only_when_asked():
    spec = dict(ISHIGAMI, method={"name": "sobol", "samples": 64}, seed=1)
    ds = sa.analyze_function(ishigami, spec)
    assert "S2" not in ds and ds.attrs["runs"] == 64 * (3 + 2)
