"""How fast the command line answers before it computes anything: ``ambidex --help`` and
``ambidex list`` as a user types them (a fresh interpreter each time), and which heavy libraries
they load.

    python3 benchmarks/bench_cli_startup.py [--runs 15] [--pythonpath DIR]

``--pythonpath`` points at another checkout's package (e.g. an older commit exported with
``git archive``) to compare side by side on the same machine, interleaved run by run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

COMMANDS = (["--help"], ["list"])
HEAVY = ("pysd", "numba", "scipy", "pandas")


def once(args, pythonpath):
    env = {**os.environ, "PYTHONPATH": pythonpath} if pythonpath else dict(os.environ)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ambidex", *args], env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def heavy(args, pythonpath):
    env = {**os.environ, "PYTHONPATH": pythonpath} if pythonpath else dict(os.environ)
    code = (f"import sys\nsys.argv=['ambidex', *{args!r}]\nfrom ambidex.cli import app\n"
            "try:\n    app()\nexcept SystemExit:\n    pass\n"
            f"sys.stderr.write(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--pythonpath", action="append", default=[],
                    help="package roots to compare (default: the one on the path)")
    a = ap.parse_args()
    roots = a.pythonpath or [""]
    print(f"load average {os.getloadavg()[0]:.2f}, {a.runs} runs each, interleaved")
    for args in COMMANDS:
        times = {r: [] for r in roots}
        for _ in range(a.runs):
            for r in roots:
                times[r].append(once(args, r))
        for r in roots:
            ts = times[r]
            print(f"ambidex {' '.join(args):8} [{r or 'installed'}]: median {statistics.median(ts) * 1e3:.0f} ms, "
                  f"min {min(ts) * 1e3:.0f} ms; heavy imports: {heavy(args, r) or 'none'}")


if __name__ == "__main__":
    main()
