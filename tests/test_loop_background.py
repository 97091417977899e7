"""A cold `ambidex run` leaves the report's loop analysis to a background process: the report
says so, the background process stores the summary a foreground analysis would, and the next
report shows the loop dominance."""

from __future__ import annotations

import time

import numpy as np

import ambidex
from ambidex.core.scenario import load_scenario
from ambidex.core.translate import cache_root
from ambidex.loop_background import lock_path
from ambidex.loop_summary import _analysed_summary, _cached, cache_key
from ambidex.runner import run_scenarios


def test_cold_report_defers_loop_dominance_then_shows_it(tmp_path, monkeypatch):
    monkeypatch.setenv("AMBIDEX_CACHE", str(tmp_path / "cache"))   # no loop summary cached
    notes: list[str] = []
    run_scenarios(None, ["baseline_dual"], None, None, tmp_path / "a", on_note=notes.append,
                  defer_loops=True)
    first = (tmp_path / "a" / "report.html").read_text()
    assert "Loop dominance of scenario <b>baseline_dual</b> is being computed" in first
    assert any("ambidex loops baseline_dual" in n for n in notes), notes

    m = ambidex.load_model()
    sc = load_scenario("baseline_dual")
    path = cache_root() / "loop_summaries" / f"{cache_key(m, sc)}.npz"
    deadline = time.time() + 600
    while lock_path(path).exists() and time.time() < deadline:
        time.sleep(0.5)
    assert path.is_file(), "the background process stored no summary"
    bg, fg = _cached(path), _analysed_summary(m, sc)
    for k in ("relative_score", "unnamed_sum", "abs_total"):
        np.testing.assert_array_equal(bg[k].values, fg[k].values, err_msg=k)

    run_scenarios(None, ["baseline_dual"], None, None, tmp_path / "b", defer_loops=True)
    second = (tmp_path / "b" / "report.html").read_text()
    assert "being computed" not in second
    assert "In scenario <b>baseline_dual</b>:" in second


def test_the_python_api_never_defers(tmp_path, monkeypatch):
    monkeypatch.setenv("AMBIDEX_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("AMBIDEX_DEFER_LOOPS", "1")
    run_scenarios(None, ["baseline_dual"], None, None, tmp_path / "a")   # defer_loops False
    html = (tmp_path / "a" / "report.html").read_text()
    assert "being computed" not in html and "In scenario <b>baseline_dual</b>:" in html
