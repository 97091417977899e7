"""VECTOR SELECT on the compiled engine, against hand-computed values (VECTOR ELM MAP and
VECTOR SORT ORDER are checked against Vensim's own run in tests/test_corpus.py, vector_simple)."""

from __future__ import annotations

import numpy as np

import ambidex

TEXT = """{UTF-8}
DimA: A1, A2, A3 ~~|
sel[DimA] = 0, 1, 1 ~~|
h[DimA] = 2100, 2010, 2020 ~~|
none[DimA] = 0 ~~|
vs sum = VECTOR SELECT(sel[DimA!], h[DimA!], 0, 0, 0) ~~|
vs min = VECTOR SELECT(sel[DimA!], h[DimA!], 0, 1, 0) ~~|
vs mean = VECTOR SELECT(sel[DimA!], h[DimA!], 0, 2, 0) ~~|
vs max = VECTOR SELECT(sel[DimA!], h[DimA!], 0, 3, 0) ~~|
vs prod = VECTOR SELECT(sel[DimA!], h[DimA!], 0, 4, 0) ~~|
vs empty = VECTOR SELECT(none[DimA!], h[DimA!], 9999, 0, 0) ~~|
INITIAL TIME = 0 ~~|
FINAL TIME = 1 ~~|
TIME STEP = 1 ~~|
SAVEPER = 1 ~~|
"""


def test_vector_select_aggregates_the_selected_elements(tmp_path):
    (tmp_path / "v.mdl").write_text(TEXT)
    ds = ambidex.simulate(tmp_path / "v.mdl", method="euler", backend="compiled")
    got = {k: float(ds[k].isel(scenario=0, time=0)) for k in
           ("vs_sum", "vs_min", "vs_mean", "vs_max", "vs_prod", "vs_empty")}
    want = {"vs_sum": 4030.0, "vs_min": 2010.0, "vs_mean": 2015.0, "vs_max": 2020.0,
            "vs_prod": 2010.0 * 2020.0, "vs_empty": 9999.0}
    for k, v in want.items():
        np.testing.assert_allclose(got[k], v, err_msg=k)
