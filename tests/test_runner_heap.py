"""``run_scenarios`` keeps the loaded model's heap out of the garbage collector's full passes
while it simulates and builds the report (gc.freeze), and gives it back afterwards."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from ambidex import runner

TEACUP = Path(__file__).parent / "models" / "teacup.mdl"


@pytest.fixture
def seen(tmp_path, monkeypatch):
    monkeypatch.setenv("AMBIDEX_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("AMBIDEX_TIERED", "1")  # interpreted runs: no numba compile here
    counts = []
    real = runner._report_html

    def spy(*a, **k):
        counts.append(gc.get_freeze_count())
        return real(*a, **k)

    monkeypatch.setattr(runner, "_report_html", spy)
    yield counts
    gc.unfreeze()


def test_the_report_runs_on_a_frozen_heap_that_is_unfrozen_after(seen, tmp_path):
    assert gc.get_freeze_count() == 0
    ds, written = runner.run_scenarios(TEACUP, out_dir=tmp_path / "out", loops=False)
    assert len(seen) == 1 and seen[0] > 10_000  # the model and every module loaded so far
    assert gc.get_freeze_count() == 0
    assert all(p.is_file() for p in written) and "teacup_temperature" in ds


def test_a_caller_that_froze_objects_itself_is_left_alone(seen, tmp_path):
    gc.freeze()
    before = gc.get_freeze_count()
    runner.run_scenarios(TEACUP, out_dir=tmp_path / "out", loops=False)
    # still the caller's frozen objects (fewer only by those freed by reference counting)
    assert len(seen) == 1 and before // 2 < seen[0] <= before
    assert before // 2 < gc.get_freeze_count() <= before
