"""Multi-parameter extreme battery: a Latin hypercube over every parameter's full declared range.

The one-at-a-time extreme test (:mod:`.extremes`) cannot find failures that need two parameters
at odd values together (zero material *and* zero conversion cost; a high overhead on a small
market).  This battery samples every parameter with a declared ``[lower, upper]`` at once
(``scipy.stats.qmc.LatinHypercube``, seeded, so a finding can be reproduced) and runs all
samples through :func:`ambidex.ensemble` on the compiled engine (dopri5).  Each run must:

* finish (no step-size collapse, no non-finite value) -- the ensemble marks these ``failed``;
* keep every physical stock (declared range starting at 0) at or above 0 -- also marked by the
  ensemble, with a tolerance of 1e-9 of the stock's scale;
* keep every other output with a declared range inside it (shares in [0, 1], ROA within its
  declared bounds ...), with the same relative tolerance the one-at-a-time test uses.

A problem in any run is a failure naming the sample index and the parameter values that
produced it (the evidence lists up to :data:`MAX_LISTED` such samples).  The battery is the
``battery`` category of :func:`ambidex.check`.
"""

from __future__ import annotations

import numpy as np

from .report import CheckResult

#: Runs per battery (the issue asks for at least 2,000).
DEFAULT_RUNS = 2048
#: Samples listed with their parameter values in the evidence.
MAX_LISTED = 20
#: Runs per ensemble call (bounds the memory of one batch of outputs).
BATCH = 512


def sampled_parameters(model) -> list:
    """Parameters the battery varies: every one with a finite declared range wider than a point."""
    out = []
    for p in model.parameters.values():
        if p.lower is None or p.upper is None:
            continue
        if not (np.isfinite(p.lower) and np.isfinite(p.upper)) or p.upper <= p.lower:
            continue
        out.append(p)
    return out


def latin_hypercube(model, n: int = DEFAULT_RUNS, seed: int = 20240611) -> dict[str, np.ndarray]:
    """``{parameter name: (n,) values}``: a seeded Latin hypercube over every declared range."""
    from scipy.stats import qmc

    params = sampled_parameters(model)
    unit = qmc.LatinHypercube(d=len(params), seed=seed).random(n)
    lo = np.array([p.lower for p in params])
    hi = np.array([p.upper for p in params])
    x = qmc.scale(unit, lo, hi)
    return {p.name: x[:, j] for j, p in enumerate(params)}


def checked_outputs(model) -> list[str]:
    """Python names of the outputs checked: every stock and every non-constant scalar variable
    with a declared range."""
    out = [s.py_name for s in model.stocks]
    for py, v in model.variables.items():
        if v.kind == "constant" or v.subscripts or py in out:
            continue
        if v.lower is not None or v.upper is not None:
            out.append(py)
    return out


def _range_problems(model, ds, names: list[str], offset: int) -> dict[int, str]:
    """First out-of-range output of every run (not already failed), by sample index."""
    found: dict[int, str] = {}
    times = ds.time.values
    ok = ~ds.failed.values
    for py in names:
        var = model.variables[py]
        if var.lower is None and var.upper is None:
            continue
        a = ds[py].values  # (n, T)
        scale = np.maximum(1.0, np.nanmax(np.abs(a), axis=1, initial=0.0))[:, None]
        lo = -np.inf if var.lower is None else var.lower
        hi = np.inf if var.upper is None else var.upper
        with np.errstate(invalid="ignore"):
            bad = ((a < lo - 1e-6 * scale) | (a > hi + 1e-6 * scale)) & ok[:, None]
        for i in np.flatnonzero(bad.any(axis=1)):
            k = int(np.argmax(bad[i]))
            idx = offset + int(i)
            if idx not in found:
                rng = f"[{'?' if var.lower is None else f'{var.lower:g}'}, " \
                      f"{'?' if var.upper is None else f'{var.upper:g}'}]"
                found[idx] = f"'{var.name}' left {rng}: {a[i, k]:.4g} at t={times[k]:g}"
    return found


def run_battery(model, n: int = DEFAULT_RUNS, seed: int = 20240611, rtol: float = 1e-6,
                atol: float = 1e-6) -> tuple[dict[int, str], dict[str, np.ndarray]]:
    """Run the battery; return ({sample index: first problem}, samples)."""
    from ..ensemble import ensemble

    samples = latin_hypercube(model, n, seed)
    names = checked_outputs(model)
    problems: dict[int, str] = {}
    for lo in range(0, n, BATCH):
        hi = min(lo + BATCH, n)
        ds = ensemble(model, samples={k: v[lo:hi] for k, v in samples.items()}, method="dopri5",
                      rtol=rtol, atol=atol, variables=names)
        for line in str(ds.attrs.get("failure_messages", "")).splitlines():
            head, _, msg = line.partition(": ")
            if head.startswith("sample "):
                problems.setdefault(lo + int(head.split()[1]), msg)
        for i in np.flatnonzero(ds.failed.values):
            problems.setdefault(lo + int(i), "run failed")
        for i, msg in _range_problems(model, ds, names, lo).items():
            problems.setdefault(i, msg)
    return dict(sorted(problems.items())), samples


def check_battery(model, n: int = DEFAULT_RUNS, seed: int = 20240611) -> list[CheckResult]:
    """The battery as check results: one summary (pass / fail) with the failing samples."""
    params = sampled_parameters(model)
    if not params:
        return [CheckResult("battery", "battery.summary", model.name, "warn",
                            "no parameter declares a range: nothing to sample", {})]
    problems, samples = run_battery(model, n, seed)
    listed = []
    for i in list(problems)[:MAX_LISTED]:
        listed.append({"sample": i, "problem": problems[i],
                       "parameters": {k: float(v[i]) for k, v in samples.items()}})
    kinds: dict[str, int] = {}
    for msg in problems.values():
        key = ("non-finite or solver failure" if ("nan" in msg.lower() or "inf" in msg.lower()
                                                   or "step" in msg.lower() or "failed" in msg)
               else "negative stock" if "negative" in msg else "out of range")
        kinds[key] = kinds.get(key, 0) + 1
    ev = {"runs": n, "seed": seed, "parameters": len(params), "failing_runs": len(problems),
          "by_kind": kinds, "samples": listed, "engine": "compiled dopri5 via ambidex.ensemble"}
    if problems:
        first = next(iter(problems))
        return [CheckResult("battery", "battery.summary", model.name, "fail",
                            f"{len(problems)} of {n} Latin-hypercube runs over {len(params)} "
                            f"parameters have problems ({', '.join(f'{k}: {v}' for k, v in kinds.items())}); "
                            f"first: sample {first}: {problems[first]}", ev)]
    return [CheckResult("battery", "battery.summary", model.name, "pass",
                        f"{n} Latin-hypercube runs over {len(params)} parameters' full declared "
                        "ranges: all finite, physical stocks >= 0, outputs within declared ranges", ev)]
