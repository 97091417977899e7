"""load_model reads a model from its IR; PySD's model object says the same.

Every conformance model (the shipped SDXorg suite and, when present, ../shared's real-model
corpus) and the dual model are loaded by :func:`ambidex.load_model` (from the IR) and, as an
independent reading, filled from PySD's translation of the same file
(:func:`ambidex.core.fill.fill_from_pysd`: PySD's documentation table and its own evaluation of
every constant); both Models must agree field by field.  A cold load and run of the dual model
must not import PySD's builder or runtime at all.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _data import require

import ambidex
from ambidex.core.fill import fill_from_pysd
from ambidex.core.model import Model, _flows_of

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "tests" / "data" / "sdxorg-test-models"
CORPUS = ROOT.parent / "shared" / "conformance" / "realmodels-dev"
SUFFIXES = (".mdl", ".xmile", ".stmx")


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES)


def _params():
    out = [pytest.param(ROOT / "sd_models" / "dual_business_model.mdl", id="dual")]
    out += [pytest.param(p, id=f"suite/{p.relative_to(SUITE)}") for p in _files(SUITE)]
    if CORPUS.is_dir():
        out += [pytest.param(p, id=f"corpus/{p.relative_to(CORPUS)}")
                for p in _files(CORPUS)]
    else:
        out.append(pytest.param(None, id="corpus-absent"))
    return out


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("fill-cache")


def _close(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float)
                      and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300))


@pytest.mark.parametrize("path", _params())
def test_ir_fill_equals_pysd_fill(path, cache, monkeypatch):
    if path is None:
        require(CORPUS, "the real-model corpus", shared=True)
    monkeypatch.setenv("AMBIDEX_CACHE", str(cache))
    try:
        got = ambidex.load_model(path)
    except ambidex.ModelError as exc:
        pytest.skip(f"neither the IR nor PySD takes it: {str(exc)[:120]}")
    if got._py_file is not False:  # read from PySD's translation: the IR could not take it
        pytest.skip("the IR cannot take this model: loaded from PySD's translation")
    ref = Model(path=got.path, sha256=got.sha256, saved_method=got.saved_method,
                saved_method_note=got.saved_method_note)
    if ref.py_file is None:
        pytest.skip("PySD cannot build this model: nothing to compare with")
    fill_from_pysd(ref, _flows_of(ref.abstract))
    assert list(got.variables) == list(ref.variables)  # PySD's documentation order
    for py, var in got.variables.items():
        assert var == ref.variables[py], py
    assert list(got.parameters) == list(ref.parameters)
    for py, par in got.parameters.items():
        want = ref.parameters[py]
        assert _close(par.default, want.default), (py, par.default, want.default)
        assert par.__dict__ | {"default": 0} == want.__dict__ | {"default": 0}, py
    assert got.stocks == ref.stocks
    assert list(got.control.items()) == list(ref.control.items())
    assert (got.time_units, got.uses_time_functions) == (ref.time_units, ref.uses_time_functions)
    # PySD's translation shows two of the once-per-TIME-STEP functions the IR records
    assert set(ref.stepped) == set(got.stepped) & {"DELAY FIXED", "SAMPLE IF TRUE"}


COLD = """
import json, sys
import ambidex
ds = ambidex.simulate(ambidex.load_model())
print(json.dumps({"value": float(ds["cash"].values.ravel()[-1]),
                  "loaded": sorted({k.split(".")[1] for k in sys.modules
                                   if k.startswith(("pysd.builders", "pysd.py_backend"))}),
                  "translators": "pysd.translators" in sys.modules,
                  "scipy.optimize": "scipy.optimize" in sys.modules}))
"""


def test_a_cold_load_and_run_never_imports_pysd_builders_or_runtime(tmp_path):
    env = {**os.environ, "AMBIDEX_CACHE": str(tmp_path), "PYTHONPATH": str(ROOT),
           "AMBIDEX_TIERED": "1", "AMBIDEX_BACKGROUND_COMPILE": "0"}
    p = subprocess.run([sys.executable, "-c", COLD], env=env, capture_output=True, text=True,
                       cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    got = json.loads(p.stdout.strip().splitlines()[-1])
    assert got["translators"]  # the model was parsed in this process: a cold load
    assert got["loaded"] == [] and not got["scipy.optimize"]
    assert math.isfinite(got["value"])
