"""Shared fixtures: the dual model and one LSODA run of every shipped scenario."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Tests exercise the compiled kernels themselves: no interpreted first tier (ambidex.compiled.
# pytier; tests/test_pytier.py turns it on) and never a detached background compile.
os.environ.setdefault("AMBIDEX_TIERED", "0")
os.environ.setdefault("AMBIDEX_BACKGROUND_COMPILE", "0")
os.environ.setdefault("AMBIDEX_DEFER_LOOPS", "0")  # reports computed in the foreground

import ambidex

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CONFORMANCE = ROOT / "tests" / "data" / "sdxorg-test-models"  # shipped (MIT), tests/data/README.md


@pytest.fixture(scope="session")
def model():
    return ambidex.load_model()


@pytest.fixture(scope="session")
def all_runs(model):
    """Every scenario in scenarios/, LSODA at default tolerances (dims scenario, time)."""
    return ambidex.simulate(model, scenarios=ambidex.list_scenarios(ROOT / "scenarios"))


@pytest.fixture
def write_mdl(tmp_path):
    """Write a small Vensim model into tmp_path and return its path."""

    def _write(body: str, name: str = "m.mdl", final=10, step=0.125, saveper=None) -> Path:
        saveper = saveper or step
        text = "{UTF-8}\n" + body.strip() + f"""

INITIAL TIME = 0
	~	Year
	~	start
	|
FINAL TIME = {final}
	~	Year
	~	end
	|
TIME STEP = {step}
	~	Year
	~	step
	|
SAVEPER = {saveper}
	~	Year
	~	save
	|
"""
        p = tmp_path / name
        p.write_text(text)
        return p

    return _write
