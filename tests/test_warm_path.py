"""The warm path of a run: a second process on the same cache reads the model's snapshot, its
compiled model's snapshot and the report's cached layouts and influences instead of importing
PySD, translating the IR or laying out graphs again, and gets the same numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TEACUP = Path(__file__).parent / "models" / "teacup.mdl"

RUN = """
import json, sys
import ambidex
from ambidex.structure import default_influences
m = ambidex.load_model(sys.argv[1])
ds = ambidex.simulate(m)
edges = default_influences(m)
print(json.dumps({"loaded": sorted(k for k in ("pysd", "scipy.optimize", "dask.array")
                                   if k in sys.modules),
                  "ir_built": m.compiled().__dict__.get("_tr_obj") is not None,
                  "values": ds["teacup_temperature"].values.tolist(),
                  "edges": edges.to_dict("records")}))
"""


def _run(cache: Path) -> dict:
    env = {**os.environ, "AMBIDEX_CACHE": str(cache), "PYTHONPATH": str(ROOT),
           "AMBIDEX_TIERED": "1", "AMBIDEX_BACKGROUND_COMPILE": "0"}
    p = subprocess.run([sys.executable, "-c", RUN, str(TEACUP)], env=env, capture_output=True,
                       text=True, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_second_process_uses_the_snapshots_and_gets_the_same_numbers(tmp_path):
    first, second = _run(tmp_path), _run(tmp_path)
    # the first process parses the model with PySD; the influences come from the compiled
    # engine (solve.state_at), so PySD's runtime and with it scipy.optimize stay unloaded
    assert first["loaded"] == ["pysd"] and first["ir_built"]
    assert second["loaded"] == [] and not second["ir_built"]  # no PySD, no IR, no dask.array
    np.testing.assert_array_equal(second["values"], first["values"])
    assert second["edges"] == first["edges"] and len(first["edges"]) == 1  # the cup cools itself


def test_a_snapshot_rebuilds_its_ir_for_a_new_output_set(tmp_path, monkeypatch):
    import ambidex
    from ambidex.compiled.snapshot import compiled_model

    monkeypatch.setenv("AMBIDEX_CACHE", str(tmp_path))
    built = ambidex.load_model(TEACUP).compiled()
    m = ambidex.load_model(TEACUP)
    snap = compiled_model(m)
    assert snap.__dict__["_tr_obj"] is None and snap.source == built.source
    a = built.run(method="euler", return_vars=["Heat Loss to Room"])
    b = snap.run(method="euler", return_vars=["Heat Loss to Room"])  # a plan not in the snapshot
    np.testing.assert_array_equal(a["Heat Loss to Room"], b["Heat Loss to Room"])
    assert snap.__dict__["_tr_obj"] is not None


def test_xarray_still_sees_dask_arrays_after_dask_is_imported():
    code = ("import ambidex, sys, xarray as xr\n"
            "ds = ambidex.simulate(ambidex.load_model(sys.argv[1]))\n"
            "assert 'dask.array' not in sys.modules\n"
            "import dask.array as da\n"
            "v = xr.DataArray(da.zeros(4, chunks=2), dims='x')\n"
            "assert v.chunks == ((2, 2),) and (v + 1).chunks == ((2, 2),)\n"
            "print('ok')\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AMBIDEX_TIERED": "1",
           "AMBIDEX_BACKGROUND_COMPILE": "0"}
    p = subprocess.run([sys.executable, "-c", code, str(TEACUP)], env=env, capture_output=True,
                       text=True)
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr[-2000:]


CLI = """
import json, sys
from ambidex.cli import main
sys.argv = ["ambidex", "run", "--model", sys.argv[1], "--out", sys.argv[2]]
try:
    main()
except SystemExit as e:
    assert e.code in (0, None), e.code
print(json.dumps(sorted(k for k in ("numba", "llvmlite", "pysd", "dask", "pint", "pydantic",
                                    "narwhals", "plotly.io", "scipy.optimize")
                         if k in sys.modules)))
"""


def test_a_warm_cli_run_interprets_and_never_imports_numba(tmp_path):
    # `ambidex run` interprets its few runs (ambidex.compiled.pytier): cheaper than importing
    # numba and loading machine code, and the same bits as the compiled engine
    import xarray as xr

    import ambidex

    env = {**os.environ, "AMBIDEX_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT),
           "AMBIDEX_TIERED": "1", "AMBIDEX_BACKGROUND_COMPILE": "0"}
    loaded = []
    for _ in range(2):  # the first run translates the model and fills the caches
        p = subprocess.run([sys.executable, "-c", CLI, str(TEACUP), str(tmp_path / "out")],
                           env=env, capture_output=True, text=True, cwd=tmp_path)
        assert p.returncode == 0, p.stderr[-2000:]
        loaded.append(json.loads(p.stdout.strip().splitlines()[-1]))
    # no numba, no PySD, neither dask nor pint through xarray, no pydantic through typer, no
    # plotly JSON writer (narwhals) for the report's figures
    assert loaded[1] == []
    ref = ambidex.simulate(ambidex.load_model(TEACUP))  # compiled (tests: AMBIDEX_TIERED=0)
    with xr.open_dataset(tmp_path / "out" / "scenarios.nc", engine="h5netcdf") as got:
        for k in ref.data_vars:
            np.testing.assert_array_equal(got[k].values, ref[k].values, err_msg=k)
