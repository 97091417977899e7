"""The real-model corpus (../shared/conformance/realmodels-dev): pass rate, per-model worst
relative error against the reference run, and one-run time of ambidex vs PySD's own run.

    python benchmarks/bench_corpus.py            # table to stdout, raw numbers to corpus.json

Each model runs as tests/test_corpus.py runs it (the model's saved method, Euler where it names
none, at its TIME STEP, through ``ambidex.simulate``).  "ambidex" is the median wall time of 3
runs after a first (warm-up: translation, numba compile); "PySD" is ``pysd.load(py).run()``
(Euler at TIME STEP, its only method) where PySD can build and run the model, median of 3.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

# engine timings: the compiled kernels, never the interpreted first tier (ambidex.compiled.pytier)
os.environ.setdefault("AMBIDEX_TIERED", "0")

import ambidex
from ambidex.references import against

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[1] / "shared" / "conformance" / "realmodels-dev"
TOL = 1e-3


def _median_time(fn, n=3):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def one(model_rel: str, ref_rel: str) -> dict:
    row = {"model": model_rel.removeprefix("test/")}
    path, ref = CORPUS / model_rel, CORPUS / ref_rel
    try:
        model = ambidex.load_model(path)
        rep = against(model, ref)
        row.update(backend=rep["dataset"].attrs.get("backend"), compared=len(rep["errors"]),
                   missing=len(rep["missing"]), worst=rep["worst"][1], worst_series=rep["worst"][0])
        row["pass"] = bool(rep["errors"]) and not rep["missing"] and rep["worst"][1] <= TOL
        method = model.saved_method or "euler"
        row["ambidex_s"] = _median_time(lambda: ambidex.simulate(model, method=method))
    except Exception as exc:  # noqa: BLE001 - every failure is a row of the table
        row.update(error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:140]}")
        row["pass"] = False
        return row
    if model.py_file is not None:
        try:
            pm = model.new_pysd()
            pm.run(progress=False)
            row["pysd_s"] = _median_time(lambda: model.new_pysd().run(progress=False))
        except Exception as exc:  # noqa: BLE001
            row["pysd_error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]}"
    return row


def main() -> None:
    warnings.simplefilter("ignore")
    pairs = [ln.split("\t")[:2] for ln in (CORPUS / "pairs.tsv").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    rows = [one(m.strip(), r.strip()) for m, r in pairs]
    (HERE / "corpus.json").write_text(json.dumps(rows, indent=1))
    n_pass = sum(r["pass"] for r in rows)
    print(f"pass: {n_pass}/{len(rows)} ({100 * n_pass / len(rows):.0f} %)\n")
    print("| model | result | worst rel. error (series) | ambidex one run | PySD run() | × |")
    print("|---|---|---|---:|---:|---:|")
    for r in rows:
        if "error" in r:
            print(f"| {r['model']} | fails: {r['error']} | | | | |")
            continue
        res = "pass" if r["pass"] else f"FAIL ({r['missing']} series missing)" if r["missing"] else "FAIL"
        pysd = f"{r['pysd_s'] * 1e3:.0f} ms" if "pysd_s" in r else "—"
        ratio = f"{r['pysd_s'] / r['ambidex_s']:.1f}" if "pysd_s" in r else ""
        print(f"| {r['model']} | {res} ({r['backend']}) | {r['worst']:.1e} ({r['worst_series']}) "
              f"| {r['ambidex_s'] * 1e3:.0f} ms | {pysd} | {ratio} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
