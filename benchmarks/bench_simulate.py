"""Latency of one ``ambidex.simulate()`` of the dual model against the engine's own run time.

    python benchmarks/bench_simulate.py [--repeat 200]

Measured side by side in one warm process (numba modules compiled and cached first): the
compiled engine's ``CompiledModel.run`` for one run (dopri5, rtol = atol = 1e-6, every output,
the model's SAVEPER grid), ``ambidex.simulate(model)`` of the same run (validation, engine,
checks, Dataset with ~180 variables and provenance), and ``ambidex.solve(model)`` (the same with
the ``sample`` dim).  Medians of ``--repeat`` calls, in milliseconds; the ratio simulate/engine
is the overhead of everything that is not integration.  Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

# engine timings: the compiled kernels, never the interpreted first tier (ambidex.compiled.pytier)
os.environ.setdefault("AMBIDEX_TIERED", "0")

import ambidex


def _median_ms(fn, repeat: int) -> tuple[float, float]:
    """(median, minimum) wall time of ``fn()`` in ms: the median is what a user sees on this
    machine under its load, the minimum what the code costs when it gets a core."""
    fn()
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1e3)
    return statistics.median(out), min(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    model = ambidex.load_model()
    cm = model.compiled()
    ambidex.simulate(model)
    engine = _median_ms(lambda: cm.run(n=1, method="dopri5", rtol=1e-6, atol=1e-6), args.repeat)
    sim = _median_ms(lambda: ambidex.simulate(model), args.repeat)
    sol = _median_ms(lambda: ambidex.solve(model), args.repeat)
    sub = _median_ms(lambda: ambidex.simulate(model, variables=["total_revenue", "cash"]),
                     args.repeat)
    print(f"load average {os.getloadavg()[0]:.2f}, {args.repeat} calls each; ms median / min "
          "(ratio to the engine's)")
    rows = [("engine CompiledModel.run (1 run, all outputs)", engine),
            ("ambidex.simulate(model)", sim),
            ("ambidex.simulate(model, variables=[2 names])", sub),
            ("ambidex.solve(model)", sol)]
    for label, (med, low) in rows:
        print(f"  {label:46s} {med:7.3f} / {low:7.3f}   ({med / engine[0]:5.2f} x / "
              f"{low / engine[1]:5.2f} x)")


if __name__ == "__main__":
    main()
