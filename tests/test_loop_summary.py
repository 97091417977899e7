"""The report's loop-dominance summary (ambidex.loop_summary): what the report shows from it is
what it showed from the full Loops That Matter Dataset, and a second report of the same model
and scenario reads it from the disk cache instead of analysing 12 k loops again."""

from __future__ import annotations

import numpy as np
import pytest

import ambidex
from ambidex import loop_summary
from ambidex import report_loops as rl
from ambidex.core.scenario import load_scenario


@pytest.fixture(scope="module")
def full():
    from ambidex.loops.dominance import dominance
    from ambidex.loops.ltm import analyse

    model = ambidex.load_model()
    st, run = analyse(model, load_scenario("baseline_dual"))
    return model, dominance(st, run)


def test_summary_has_the_numbers_the_report_reads(full):
    model, lds = full
    s = loop_summary.summarise(lds)
    ids = [str(x) for x in lds["named_id"].values]
    named = [i for i, x in enumerate(ids) if x]
    rest = [i for i, x in enumerate(ids) if not x]
    rel = lds["relative_score"].values
    assert list(s["named_id"].values) == [ids[i] for i in named] and len(named) >= 4
    np.testing.assert_array_equal(s["relative_score"].values, rel[named])
    np.testing.assert_array_equal(s["unnamed_sum"].values, rel[rest].sum(axis=0))
    assert s.attrs["unnamed_count"] == len(rest) == lds.sizes["loop"] - len(named)
    # every partition with activity has |relative scores| summing to 1 (or 0 where idle)
    parts = len(np.unique(lds["partition"].values))
    assert np.all(s["abs_total"].values <= parts + 1e-9)
    loops = rl.named_loops(model)
    assert rl.dominance_sentences(s, loops) == rl.dominance_sentences(lds, loops)
    assert rl.dominance_figure(s, loops, "b") == rl.dominance_figure(lds, loops, "b")


def test_second_report_reads_the_cache(full, tmp_path, monkeypatch):
    model, lds = full
    import shutil

    from ambidex.core.translate import cache_root

    # the same loop list as the fixture's analysis: the dual model's 20 k loops are truncated
    # at max_loops, and which ones an enumeration keeps depends on the process's hash seed
    shutil.copytree(cache_root() / "loops", tmp_path / "loops")
    monkeypatch.setenv("AMBIDEX_CACHE", str(tmp_path))
    import ambidex.loops.ltm as ltm

    scens = [load_scenario("baseline_dual")]
    name, first = loop_summary.report_loop_scores(model, scens)  # analysed here
    assert name == "baseline_dual"
    # straight from the analysis = from the full Dataset
    ref = loop_summary.summarise(lds)
    for v in ("relative_score", "unnamed_sum", "abs_total"):
        np.testing.assert_array_equal(first[v].values, ref[v].values)
    assert first.attrs["unnamed_count"] == ref.attrs["unnamed_count"]
    assert first["time"].attrs["units"] == lds["time"].attrs["units"]
    monkeypatch.setattr(ltm, "analyse", lambda *a, **k: pytest.fail("analysed again"))
    _, again = loop_summary.report_loop_scores(model, scens)
    for v in ("relative_score", "unnamed_sum", "abs_total"):
        np.testing.assert_array_equal(again[v].values, first[v].values)
    assert list(again["named_id"].values) == list(first["named_id"].values)
    # another scenario (other overrides) is another key
    other = load_scenario("fragmentation")
    assert loop_summary.cache_key(model, other) != loop_summary.cache_key(model, scens[0])
