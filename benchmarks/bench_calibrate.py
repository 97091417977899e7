"""Wall time of the calibrations the docs quote (targets: least squares <= 5 s, MCMC to
convergence <= 60 s on 2 cores).

Run: ``python benchmarks/bench_calibrate.py [--repeat 3] [--skip-mcmc] [--moves de|both]``.  Loading and compiling
(the model and the history's lifted model, every output specialisation) is measured separately
by a warm-up fit; then, best of ``--repeat``:

- case_firm.toml (dual from 2000) by least squares, without and with profile likelihoods;
- case_firm_history.toml (transition_2005 lifted) by least squares, without and with profiles,
  and with revenue_2021 / roa_2017_2021 held out;
- case_firm_history.toml by MCMC run to 50 autocorrelation times with the default DE moves
  (``--moves both``: stretch and DE side by side, alternating; the stretch move takes 8-9
  minutes on 2 loaded cores), with τ, length, posterior median and SD and the load average.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "scenarios" / "data"


def _timed(fn, repeat):
    times, res = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        res = fn()
        times.append(time.perf_counter() - t)
    return min(times), res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-mcmc", action="store_true")
    ap.add_argument("--moves", choices=("de", "both"), default="de")
    args = ap.parse_args()
    import ambidex
    from ambidex.calibrate import CalibrationWarning

    warnings.simplefilter("ignore", CalibrationWarning)
    t0 = time.perf_counter()
    model = ambidex.load_model()
    for f in ("case_firm", "case_firm_history"):
        ambidex.calibrate(model, DATA / f"{f}.toml", n_starts=1)
        ambidex.calibrate(model, DATA / f"{f}.toml", hold_out="revenue_2021", profile=False,
                          n_starts=1)
    print(f"cores: {os.cpu_count()}; load + compile + warm-up: {time.perf_counter() - t0:.1f} s")
    cases = [
        ("case_firm least squares", "case_firm", {"profile": False}),
        ("case_firm least squares + profiles", "case_firm", {}),
        ("history least squares", "case_firm_history", {"profile": False}),
        ("history least squares + profiles", "case_firm_history", {}),
        ("history hold-out revenue_2021", "case_firm_history",
         {"profile": False, "hold_out": "revenue_2021"}),
        ("history hold-out roa_2017_2021", "case_firm_history",
         {"profile": False, "hold_out": "roa_2017_2021"}),
        ("history hold-out revenue_2021 + profiles (prediction profile)", "case_firm_history",
         {"hold_out": "revenue_2021"}),
    ]
    for label, f, kw in cases:
        best, res = _timed(lambda f=f, kw=kw: ambidex.calibrate(model, DATA / f"{f}.toml",
                                                                seed=0, **kw), args.repeat)
        h = res.hold_out
        extra = f"; {h['prediction']:.4g} [{h['lower95']:.4g}, {h['upper95']:.4g}], profile " \
                f"[{h['profile_lower95']:.4g}, {h['profile_upper95']:.4g}] vs {h['datum']:g}" \
            if h else ""
        print(f"{label}: best {best:.2f} s of {args.repeat}; chi² {res.cost:.4g}, dof {res.dof}, "
              f"{res.problem.n_evals} runs{extra}")
    if not args.skip_mcmc:
        # side by side, alternating: emcee's stretch move (the old default) and the
        # differential-evolution moves (the default since the stretch move needed 70 τ-long
        # chains of τ ~ 50 steps)
        order = ("stretch", "de", "stretch", "de") if args.moves == "both" else ("de",)
        for moves in order[: 2 * max(1, min(args.repeat, 2)) if args.moves == "both" else 1]:
            t = time.perf_counter()
            res = ambidex.calibrate(model, DATA / "case_firm_history.toml", method="mcmc", seed=0,
                                    profile=False, moves=moves)
            i = res.info
            print(f"history MCMC to convergence ({moves}): {time.perf_counter() - t:.1f} s; "
                  f"{i['n_walkers']} walkers x {i['n_steps']} steps, τ max "
                  f"{i['max_autocorr_time']:.1f} ({i['autocorr_times']}), {i['tau_multiple']:.0f} "
                  f"τ, converged {bool(i['converged'])}, acceptance "
                  f"{i['acceptance_fraction']:.2f}, {res.problem.n_evals} runs; load "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
            med = ", ".join(f"{n} {v:.4g} ± {res.std_errors[n]:.3g}" for n, v in res.estimates.items())
            print(f"  posterior median ± SD: {med}", flush=True)

if __name__ == "__main__":
    main()
