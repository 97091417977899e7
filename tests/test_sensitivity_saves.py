"""The sensitivity evaluator saves its runs only at the times its statistics read, and gets
the statistics bit for bit as from runs saved at every SAVEPER time."""

from __future__ import annotations

import numpy as np

from ambidex.ensemble import _save_times, ensemble
from ambidex.sensitivity.model_eval import ModelEvaluator, reduce_output, save_subset
from ambidex.sensitivity.spec import OutputSpec

OUTPUTS = [OutputSpec("Total Revenue", "final"),
           OutputSpec("Relationship Trust", "at", time=2010.3),       # between two save times
           OutputSpec("Cash", "at", time=2020.0),                      # on a save time
           OutputSpec("Total Revenue", "mean", start=2005.0, end=2015.0),
           OutputSpec("Cumulative Profit", "max", start=2030.0)]


def test_subset_is_what_the_statistics_read():
    times = np.arange(2000.0, 2035.0 + 1e-9, 0.25)
    sub = save_subset(OUTPUTS, times)
    want = {2000.0, 2035.0, 2010.25, 2010.5, 2020.0}
    want |= set(np.arange(2005.0, 2015.0 + 1e-9, 0.25)) | set(np.arange(2030.0, 2035.0 + 1e-9, 0.25))
    np.testing.assert_array_equal(sub, sorted(want))
    assert save_subset([OutputSpec("Cash", "trajectory", every=0.25)], times) is None


def test_statistics_equal_those_of_full_runs(model):
    rng = np.random.default_rng(5)
    X = np.column_stack([rng.uniform(0.1, 0.6, 12), rng.uniform(5.0, 15.0, 12)])
    names = ["selectivity", "contract length"]
    ev = ModelEvaluator(str(model.path), names, OUTPUTS, scenario="baseline_dual")
    got = ev(X)
    full = ensemble(model, {n: X[:, j] for j, n in enumerate(names)}, scenario="baseline_dual",
                    variables=["total_revenue", "relationship_trust", "cash", "cumulative_profit"])
    times = _save_times(model)
    assert full.sizes["time"] == times.size
    for o in OUTPUTS:
        py = model.resolve(o.variable)
        want, _ = reduce_output(o, full[py].values, times)
        np.testing.assert_array_equal(got[o.label], want, err_msg=o.label)
    part = ev.trajectories(X, saveat=save_subset(OUTPUTS, times))
    assert part.sizes["time"] < times.size / 2        # the runs saved at the read times only
