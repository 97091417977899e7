"""Conformance of the compiled backend (Euler mode) with the SDXorg test-models outputs.

Each model runs at its own TIME STEP; every column the canonical output shares with the
compiled model is compared at the output's time points with
``|ours - expected| <= 1e-5 * max|expected| + 1e-9`` (see shared/conformance/README.md).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pytest
from _data import require

from ambidex.compiled import compile_model

SUITE = Path(__file__).resolve().parent / "data" / "sdxorg-test-models"  # shipped (MIT), tests/data/README.md
REL_TOL = 1e-5
# Vensim's own TREND initialisation leaves an error of about 6e-5 in tests/trend (README).
REL_TOL_BY_MODEL = {"trend": 1e-4}


def _models():
    if not SUITE.is_dir():
        # one failing test naming the missing folder, never an empty (silent) parametrisation
        return [pytest.param(None, id="suite-missing")]
    folders = sorted(p for p in (SUITE / "tests").iterdir() if p.is_dir())
    folders.append(SUITE / "samples" / "teacup")
    out = []
    for folder in folders:
        for mdl in sorted(folder.iterdir()):
            if mdl.suffix.lower() == ".mdl":
                out.append(pytest.param(mdl, id=f"{folder.name}/{mdl.name}"))
    return out


def _norm(name: str) -> str:
    name = name.strip()
    name = re.sub(r"\s+", " ", name.lower())
    return re.sub(r"\s*,\s*", ",", name)


def read_canonical(folder: Path):
    """Return (times, {column: array with NaN where the cell was blank})."""
    for fname in ("output.csv", "output.tab"):
        path = folder / fname
        if path.exists():
            break
    else:
        raise FileNotFoundError(f"no output.csv/output.tab in {folder}")
    text = path.read_bytes().decode("utf-8", errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    delim = "\t" if ("\t" in text.split("\n", 1)[0]) else ","
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delim) if any(c.strip() for c in r)]
    header, body = rows[0], rows[1:]

    def num(cell):
        cell = cell.strip()
        return float(cell) if cell else np.nan

    data = np.array([[num(c) for c in (r + [""] * (len(header) - len(r)))[:len(header)]]
                     for r in body])
    cols = {h: data[:, i] for i, h in enumerate(header)}
    time_key = next(h for h in header if h.strip().lower() == "time")
    return cols.pop(time_key), cols


@pytest.mark.parametrize("mdl", _models())
def test_conformance(mdl: Path):
    require(SUITE, "the SDXorg conformance suite")
    times, expected = read_canonical(mdl.parent)
    cm = compile_model(mdl)
    # Euler at the file's TIME STEP, reported at the canonical output's time points
    res = cm.run(method="euler", t_eval=times)
    assert res.status[0] == 0, res.failure_messages()
    ours = {_norm(k): v[0] for k, v in res.items()}
    tol_rel = REL_TOL_BY_MODEL.get(mdl.parent.name, REL_TOL)
    compared, failures = 0, []
    for col, exp in expected.items():
        key = _norm(col)
        if key not in ours:
            key = _norm(col.strip('"'))
        if key not in ours:
            continue
        mask = ~np.isnan(exp)  # blank cells: constant or not saved
        if not mask.any():
            continue
        got = ours[key][mask]
        want = exp[mask]
        tol = tol_rel * np.max(np.abs(want)) + 1e-9
        err = np.abs(got - want)
        compared += 1
        if not np.all(err <= tol):
            i = int(np.argmax(err - tol))
            failures.append(f"{col}: t={times[mask][i]:g} ours={got[i]!r} expected={want[i]!r}")
    assert compared >= 1, f"no column of {sorted(expected)} matched {sorted(res)}"
    assert not failures, "\n".join(failures)
