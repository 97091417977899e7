"""Sobol' on the dual model at issue scale: N = 8192 on 10 parameters (second order: 180 224 runs).

Run ``python benchmarks/bench_sensitivity.py [--n 8192]``.  Uses the shipped spec's levers plus
team turnover rate as the tenth, its scalar outputs, no Monte Carlo bands or discovery, and
prints wall time and runs/s (target: <= 10 s on 2 cores).  Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import time
import tomllib
from pathlib import Path

# engine timings: the compiled kernels, never the interpreted first tier (ambidex.compiled.pytier)
os.environ.setdefault("AMBIDEX_TIERED", "0")

import ambidex
from ambidex.sensitivity.spec_parse import spec_from_dict

ROOT = Path(__file__).resolve().parents[1]


def main(n: int) -> None:
    data = tomllib.loads((ROOT / "scenarios/sensitivity/dual_model_sobol.toml").read_text())
    data["method"]["samples"] = n
    data["parameters"].append({"name": "team turnover rate", "lower": 0.04, "upper": 0.2})
    data["outputs"] = [o for o in data["outputs"] if o.get("statistic") != "trajectory"]
    data.pop("uncertainty", None)
    data.pop("discovery", None)
    spec = spec_from_dict(data)
    model = ambidex.load_model()
    ambidex.ensemble(model, samples={"selectivity": [0.3] * 64})  # warm the engine's cache
    k = len(data["parameters"])
    runs = n * (2 * k + 2)
    t0 = time.perf_counter()
    ds = ambidex.sensitivity(model, spec)
    wall = time.perf_counter() - t0
    print(f"load: {os.getloadavg()}")
    print(f"Sobol N={n}, {k} parameters, second order: {runs} runs in {wall:.1f} s "
          f"= {runs / wall:,.0f} runs/s (target <= 10 s)")
    print(ds.ST.to_series().unstack("output").round(3).to_string())


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=8192)
    main(ap.parse_args().n)
