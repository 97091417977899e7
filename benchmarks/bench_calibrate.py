"""Wall time of the case-firm calibration (target: <= 60 s on 2 cores).

Run: ``python benchmarks/bench_calibrate.py [--method least_squares|differential_evolution|mcmc]``.
Measures loading + compiling the model separately from the fit (least squares, multi-start,
scenarios/data/case_firm.toml with its default free parameters), and prints the fit.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--method", default="least_squares")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import ambidex
    from ambidex.calibrate import CalibrationWarning

    t0 = time.perf_counter()
    model = ambidex.load_model()
    model.compiled()
    t_load = time.perf_counter() - t0
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CalibrationWarning)
            res = ambidex.calibrate(model, ROOT / "scenarios" / "data" / "case_firm.toml",
                                    method=args.method, n_steps=args.steps, seed=0)
        times.append(time.perf_counter() - t)
    print(f"cores: {os.cpu_count()}; model load + compile: {t_load:.2f} s")
    print(f"case-firm calibration ({args.method}): best {min(times):.2f} s, first {times[0]:.2f} s "
          f"over {args.repeat} runs; {res.problem.n_evals} model runs per fit; target <= 60 s")
    print(res.summary())


if __name__ == "__main__":
    main()
