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
    from ambidex.loops.ltm import analyse, dominance

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
    assert (rl.dominance_figure(s, loops, "b").to_plotly_json()
            == rl.dominance_figure(lds, loops, "b").to_plotly_json())


def test_second_report_reads_the_cache(full, tmp_path, monkeypatch):
    model, lds = full
    monkeypatch.setenv("AMBIDEX_CACHE", str(tmp_path))
    import ambidex.loops.ltm as ltm

    monkeypatch.setattr(ltm, "analyse", lambda *a, **k: (None, None))
    monkeypatch.setattr(ltm, "dominance", lambda st, run: lds)
    scens = [load_scenario("baseline_dual")]
    name, first = loop_summary.report_loop_scores(model, scens)
    assert name == "baseline_dual"
    monkeypatch.setattr(ltm, "dominance", lambda st, run: pytest.fail("analysed again"))
    _, again = loop_summary.report_loop_scores(model, scens)
    for v in ("relative_score", "unnamed_sum", "abs_total"):
        np.testing.assert_array_equal(again[v].values, first[v].values)
    assert list(again["named_id"].values) == list(first["named_id"].values)
    # another scenario (other overrides) is another key
    other = load_scenario("fragmentation")
    assert loop_summary.cache_key(model, other) != loop_summary.cache_key(model, scens[0])
