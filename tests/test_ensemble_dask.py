"""ensemble(..., cluster=...): chunks as Dask tasks give exactly the one-process result."""

from __future__ import annotations

import numpy as np
import pytest

import ambidex
from ambidex.ensemble import ensemble

distributed = pytest.importorskip("distributed")

NEG_MODEL = """
Inventory = INTEG(-shipments, 10)
	~	widget [0,?]
	~	a stock that must not go negative
	|
shipments = 4
	~	widget/Year [0, 10]
	~	constant outflow
	|
"""


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as lc, distributed.Client(lc) as c:
        yield c


def _same(a, b):
    assert set(a.data_vars) == set(b.data_vars)
    for v in a.data_vars:
        np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=v)
    for c in a.coords:
        np.testing.assert_array_equal(a[c].values, b[c].values, err_msg=c)
    for k in ("n_failed", "failure_messages", "method", "n_samples"):
        assert a.attrs[k] == b.attrs[k], k


def test_dual_model_on_two_workers_equals_one_process(model, client, tmp_path):
    rng = np.random.default_rng(3)
    samples = {"selectivity": rng.uniform(0.1, 0.6, 20),
               "contract length": rng.uniform(5.0, 15.0, 20)}
    one = ensemble(model, samples, variables=["total_revenue", "relationship_trust"])
    many = ensemble(model, samples, variables=["total_revenue", "relationship_trust"],
                    cluster=client, chunk_size=6, store=tmp_path / "ens.zarr")
    assert len(many.attrs) and int(many.attrs["chunk_size"]) == 6
    _same(one, many.load())


def test_failed_samples_are_reported_the_same_way(write_mdl, client):
    m = ambidex.load_model(write_mdl(NEG_MODEL))
    s = {"shipments": [0.5, 4.0, 1.0, 5.0, 0.1]}
    one = ensemble(m, s, method="euler")
    many = ensemble(m, s, method="euler", cluster=client, chunk_size=2)
    assert many.failed.values.tolist() == [False, True, False, True, False]
    assert "sample 3: stock 'Inventory' went negative" in many.attrs["failure_messages"]
    _same(one, many)



def test_calibration_batches_on_the_cluster_equal_local(model, client):
    """A DE-sized population (>= 64 rows) is evaluated on the cluster, bit for bit."""
    from ambidex import calibrate as cal

    prob = cal.Problem(model, "case_firm")
    rng = np.random.default_rng(5)
    X = prob.lower + (prob.upper - prob.lower) * rng.uniform(size=(64, len(prob.lower)))
    local = prob.residuals(X)
    prob.cluster = client
    np.testing.assert_array_equal(prob.residuals(X), local)


def test_loop_dominance_ensemble_on_two_workers_equals_one_process(client):
    """Loops That Matter across samples: chunks scored by Dask workers give the one-process
    scores bit for bit, and each sample still equals its own single run."""
    from pathlib import Path

    bass = Path(ambidex.__file__).resolve().parents[1] / "sd_models" / "reference" / "bass_diffusion.mdl"
    rates = {"contact rate": np.array([60.0, 80.0, 100.0, 120.0, 140.0])}
    one = ambidex.loop_dominance(bass, samples=rates)
    many = ambidex.loop_dominance(bass, samples=rates, cluster=client, chunk_size=2)
    for v in ("loop_score", "relative_score", "dominance_share", "relative_score_quantile"):
        np.testing.assert_array_equal(one[v].values, many[v].values, err_msg=v)
    np.testing.assert_array_equal(one["param_contact_rate"].values, rates["contact rate"])
    single = ambidex.loop_dominance(bass)  # the model's default contact rate is 100
    np.testing.assert_allclose(many["relative_score"].isel(sample=2).values,
                               single["relative_score"].values)
    with pytest.raises(ambidex.ModelError, match="contact rat"):
        ambidex.loop_dominance(bass, samples={"contact rat": [1.0, 2.0]}, cluster=client)
