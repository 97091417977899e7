"""A cold `ambidex run` leaves the report's diagram layouts to a background process: the report
says so in each diagram's place, the background process stores the positions the foreground
would have computed, and the next report draws both diagrams."""

from __future__ import annotations

import json
import time

import numpy as np

from ambidex import layout_background, layouts
from ambidex.runner import run_scenarios

PENDING = "being laid out in the background"


def _wait(paths, limit=300.0):
    deadline = time.time() + limit
    while any(layout_background.running(p) for p in paths) and time.time() < deadline:
        time.sleep(0.5)


def _fresh_layouts(monkeypatch, tmp_path):
    """Layout keys no cache holds (the rest of the cache, the compiled model included, stays
    warm): the key covers LAYOUT_VERSION."""
    monkeypatch.setattr(layouts, "LAYOUT_VERSION", f"test-{tmp_path.name}-{time.time()}")


def test_cold_report_defers_layouts_then_draws_them(tmp_path, monkeypatch):
    _fresh_layouts(monkeypatch, tmp_path)
    notes: list[str] = []
    with layout_background.deferred() as probe:  # which layouts a cold report asks for
        run_scenarios(None, ["baseline_dual"], None, None, tmp_path / "probe", loops=False)
    assert len(probe) == 2  # the structure and the named-loops diagrams
    paths = [layouts.layout_path(*job) for job in probe]
    assert not any(p.exists() for p in paths)

    run_scenarios(None, ["baseline_dual"], None, None, tmp_path / "a", loops=False, on_note=notes.append,
                  defer_loops=True)
    first = (tmp_path / "a" / "report.html").read_text()
    assert first.count(PENDING) == 2
    assert any("diagrams are being laid out" in n for n in notes), notes

    _wait(paths)
    assert all(p.is_file() for p in paths), "the background process stored no layout"
    for (nodes, edges, weight), path in zip(probe, paths):
        stored = json.loads(path.read_text())
        assert stored["nodes"] == nodes
        fg = layouts._compute(nodes, edges, weight)  # what the foreground computes
        np.testing.assert_array_equal(np.array(stored["pos"]), np.array(list(fg.values())))

    notes.clear()
    run_scenarios(None, ["baseline_dual"], None, None, tmp_path / "b", loops=False, on_note=notes.append,
                  defer_loops=True)
    second = (tmp_path / "b" / "report.html").read_text()
    assert PENDING not in second
    assert "Feedback structure between stocks" in second and "The named feedback loops" in second
    assert not any("diagrams" in n for n in notes)


def test_the_python_api_lays_out_in_place(tmp_path, monkeypatch):
    _fresh_layouts(monkeypatch, tmp_path)
    run_scenarios(None, ["baseline_dual"], None, None, tmp_path / "a", loops=False)
    assert PENDING not in (tmp_path / "a" / "report.html").read_text()


def test_a_running_layout_is_not_started_twice(tmp_path, monkeypatch):
    _fresh_layouts(monkeypatch, tmp_path)
    job = (["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")], None)
    started = []
    monkeypatch.setattr("ambidex.core.background.spawn",
                        lambda *args: started.append(args) or True)
    assert layout_background.start([job, job])
    assert len(started) == 1
    assert layout_background.running(layouts.layout_path(*job))
    assert layout_background.start([job])  # already running: nothing new
    assert len(started) == 1
    jobfile = started[0][1]
    assert layout_background.main([jobfile]) == 0  # what the spawned process runs
    assert not layout_background.running(layouts.layout_path(*job))
    assert set(layouts.kamada_kawai(*job)) == {"a", "b", "c"}
