"""Vensim macros PySD cannot build run on the compiled engine (TIME STEP$, DELAY N inside a
macro, a macro named like a builtin, a macro after a group header)."""

from __future__ import annotations

import numpy as np

import ambidex

TEXT = """{UTF-8}
********************************************************
	.Control
********************************************************~
		Simulation Control Parameters
	|

:MACRO: STEPPER(input)
STEPPER = INTEG(input * TIME STEP$, 0)
	~	input
	~		|
:END OF MACRO:
:MACRO: DN(input, dt, n)
DN = DELAY N(input, dt, input, n)
	~	input
	~		|
:END OF MACRO:
:MACRO: ROUND(x)
ROUND = INTEGER(x + 0.5)
	~	x
	~		|
:END OF MACRO:
x = 1
	~	1
	~		|
y = STEPPER(x)
	~	1
	~		|
z = DN(x, 2, 3)
	~	1
	~		|
r = ROUND(2.7)
	~	1
	~		|
INITIAL TIME = 0 ~ Year ~ |
FINAL TIME = 2 ~ Year ~ |
TIME STEP = 0.25 ~ Year ~ |
SAVEPER = 1 ~ Year ~ |
"""


def test_macros_pysd_cannot_build_run_compiled_with_hand_derived_values(tmp_path):
    path = tmp_path / "macros.mdl"
    path.write_text(TEXT)
    ds = ambidex.simulate(path, method="euler").isel(scenario=0)
    assert ds.attrs["backend"] == "compiled"
    # d(y)/dt = x * TIME STEP = 0.25: y = 0.25 t
    np.testing.assert_allclose(ds["y"].values, 0.25 * ds["time"].values)
    np.testing.assert_allclose(ds["z"].values, 1.0)  # a delay of a constant initialised at it
    np.testing.assert_allclose(ds["r"].values, 3.0)  # the model's ROUND, not a builtin


def test_a_macro_argument_named_time_is_the_argument(tmp_path):
    """``:MACRO: EXPAVG(input, time)``: inside the macro ``time`` is the argument (2 years),
    not the model's TIME; the macro's stock starts at its input.  Hand-derived Euler, dt 1:
    level' = 0.1 avg, avg' = (level - avg) / 2 from level = avg = 10."""
    path = tmp_path / "expavg.mdl"
    path.write_text("{UTF-8}\n:MACRO: EXPAVG(input, time)\nEXPAVG = INTEG((input - EXPAVG) / time, "
                    "input)\n\t~\tinput\n\t~\t\t|\n:END OF MACRO:\nlevel = INTEG(inflow, 10) ~~|\n"
                    "inflow = avg * 0.1 ~~|\navg = EXPAVG(level, 2) ~~|\nINITIAL TIME = 0 ~~|\n"
                    "FINAL TIME = 4 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = 1 ~~|\n")
    ds = ambidex.simulate(path, method="euler").isel(scenario=0)
    np.testing.assert_allclose(ds["avg"].values, [10, 10, 10.5, 11.25, 12.15])
    np.testing.assert_allclose(ds["level"].values, [10, 11, 12, 13.05, 14.175])
