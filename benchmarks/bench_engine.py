"""Speed and memory of the engines on the dual business model, side by side.

    python benchmarks/bench_engine.py            # full: ensembles of 1k, 10k, 100k, 1M (zarr)
    python benchmarks/bench_engine.py --quick    # smaller: 1k, 10k and 100k streamed (~1 min)

Every measurement runs in its own subprocess (``--child NAME``), so imports, JIT warm-up and
memory of one never leak into another; each child reports its wall time and its own peak
resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss`` at exit, i.e. the whole
process: interpreter, numba, the model and the results).  The parent prints a table and writes
``benchmarks/results.json``.  Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# engine timings: the compiled kernels, never the interpreted first tier (ambidex.compiled.pytier)
os.environ.setdefault("AMBIDEX_TIERED", "0")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MODEL = ROOT / "sd_models" / "dual_business_model.mdl"
RTOL = ATOL = 1e-6
SEED = 20240611
#: the ~10 levers sampled uniformly within their bounds
LEVERS = ["selectivity", "intended_exploration_share", "contract_length", "sensing_share",
          "leadership_proactiveness", "codification_culture", "trust_build_time",
          "target_lead_customers", "requests_per_customer", "reservation_price_premium",
          "network_breadth"]
TARGETS = {"single_ms": 2.0, "runs_per_s_100k": 50_000, "ratio_10k": 1000,
           "peak_1M_GiB": 2.0}


# ------------------------------------------------------------------------------ children
def _rss_now_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _median_time(fn, reps: int, warm: int = 1) -> tuple[float, list[float]]:
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts), ts


def _samples(model, n: int):
    import numpy as np

    rng = np.random.default_rng(SEED)
    out = {}
    for py in LEVERS:
        p = model.parameters[py]
        out[py] = rng.uniform(p.lower, p.upper, n)
    return out


def child_pysd(reps: int) -> dict:
    import warnings

    import pysd

    import ambidex

    m = ambidex.load_model(MODEL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        pm = pysd.load(str(m.py_file))
        load_s = time.perf_counter() - t
        med, ts = _median_time(lambda: pm.run(), reps)
    return {"label": "PySD pysd.load(py).run() (Euler dt=1/16)", "seconds_per_run": med,
            "runs_per_s": 1 / med, "load_s": load_s, "reps": reps}


def child_ours_pysd(method: str, reps: int) -> dict:
    import ambidex

    m = ambidex.load_model(MODEL)
    kw = {"rtol": RTOL, "atol": ATOL} if method == "LSODA" else {}
    med, ts = _median_time(lambda: ambidex.simulate(m, backend="pysd", method=method, **kw), reps)
    return {"label": f"ambidex.simulate(backend='pysd', method='{method}')",
            "seconds_per_run": med, "runs_per_s": 1 / med, "reps": reps}


def child_compiled_single(reps: int) -> dict:
    import numpy as np

    import ambidex

    m = ambidex.load_model(MODEL)
    t = time.perf_counter()
    cm = m.compiled()
    compile_s = time.perf_counter() - t
    t = time.perf_counter()
    cm.run(n=1, method="dopri5", rtol=RTOL, atol=ATOL)
    first_s = time.perf_counter() - t
    med, _ = _median_time(lambda: cm.run(n=1, method="dopri5", rtol=RTOL, atol=ATOL), reps, 5)
    med_e, _ = _median_time(lambda: cm.run(n=1, method="euler"), reps, 5)
    med_sim, _ = _median_time(
        lambda: ambidex.simulate(m, backend="compiled", method="dopri5", rtol=RTOL, atol=ATOL),
        max(10, reps // 20), 2)
    r = cm.run(n=1, method="dopri5", rtol=RTOL, atol=ATOL)
    return {"label": "compiled engine, one run (CompiledModel.run n=1, dopri5)",
            "seconds_per_run": med, "runs_per_s": 1 / med, "euler_seconds_per_run": med_e,
            "simulate_seconds_per_run": med_sim, "compile_s": compile_s,
            "first_run_s": first_s, "nfev": int(r.nfev[0]), "reps": reps,
            "numba_threads": int(__import__("numba").get_num_threads()),
            "peak_MiB": _peak_mib(), "rss_after_MiB": _rss_now_mib(),
            "np": np.__version__}


def child_ensemble(n: int, store: bool, key_only: bool, reps: int = 1) -> dict:
    import numpy as np

    import ambidex
    from ambidex.core.profile import load_profile
    from ambidex.ensemble import ensemble

    m = ambidex.load_model(MODEL)
    # the model profile's key outputs (sd_models/NAME.profile.toml), without the stocks
    variables = list(load_profile(m).key_outputs) if key_only else None
    s = _samples(m, n)
    ensemble(m, {k: v[:256] for k, v in s.items()}, variables=variables)  # JIT warm-up
    base = _rss_now_mib()
    tmp = Path(tempfile.mkdtemp(prefix="ambidex-bench-")) if store else None
    try:
        times = []
        for _ in range(max(1, reps)):
            ds = None
            t = time.perf_counter()
            ds = ensemble(m, s, variables=variables, rtol=RTOL, atol=ATOL,
                          store=(tmp / "ens.zarr") if store else None)
            times.append(time.perf_counter() - t)
        secs = statistics.median(times)
        n_failed = int(ds.attrs["n_failed"])
        nbytes = int(sum(ds[v].nbytes for v in ds.data_vars))
        disk = (sum(f.stat().st_size for f in (tmp / "ens.zarr").rglob("*") if f.is_file())
                if store else 0)
        chunk = int(ds.attrs["chunk_size"])
        if store:  # read a little back lazily: the store is usable
            _ = float(ds.total_revenue.isel(sample=slice(0, 1000), time=-1).mean())
        del ds
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return {"label": f"ensemble {n:,} runs" + (" streamed to zarr" if store else " in memory")
                     + (f" ({len(variables)} key outputs)" if key_only else " (default outputs)"),
            "n": n, "seconds": secs, "runs_per_s": n / secs, "n_failed": n_failed,
            "reps": len(times), "best_runs_per_s": n / min(times), "all_seconds": times,
            "result_bytes": nbytes, "store_bytes_on_disk": disk, "chunk_size": chunk,
            "rss_before_MiB": base, "peak_MiB": _peak_mib(), "levers": LEVERS,
            "np_seed": SEED, "_np": np.__version__}


def child_profile(n: int) -> dict:
    """Where the ensemble time goes (10k runs): engine vs the ensemble layer, outputs saved,
    threads, tolerance, and the cost of one RHS evaluation."""
    import numba
    import numpy as np

    import ambidex
    from ambidex.ensemble import default_variables, ensemble

    m = ambidex.load_model(MODEL)
    cm = m.compiled()
    s = _samples(m, n)
    params = {m.parameters[k].name: v for k, v in s.items()}
    names = [m.variables[p].name for p in default_variables(m)]
    cm.run({k: v[:128] for k, v in params.items()}, method="dopri5", return_vars=names)
    ensemble(m, {k: v[:128] for k, v in s.items()})  # imports (xarray's dask check) once

    def eng(return_vars, rtol=RTOL, method="dopri5"):
        t = time.perf_counter()
        r = cm.run(params, method=method, rtol=rtol, atol=ATOL, return_vars=return_vars)
        return time.perf_counter() - t, r

    out = {"label": f"profile, {n:,} runs", "n": n, "threads": numba.get_num_threads()}
    secs, r = eng(names)
    out["engine_20_outputs_s"] = secs
    out["mean_nfev"] = float(np.mean(r.nfev))
    out["n_failed_engine"] = int(r.failed.size)
    out["engine_1_output_s"] = eng(["Total Revenue"] if "Total Revenue" in cm.variable_names
                                   else names[:1])[0]
    out["engine_rtol_1e-3_s"] = eng(names, rtol=1e-3)[0]
    out["engine_euler_s"] = eng(names, method="euler")[0]
    numba.set_num_threads(1)
    out["engine_1_thread_s"] = eng(names)[0]
    numba.set_num_threads(out["threads"])
    t = time.perf_counter()
    ensemble(m, s)
    out["ensemble_s"] = time.perf_counter() - t
    out["us_per_rhs_eval_per_core"] = (out["engine_1_thread_s"] / (n * out["mean_nfev"])) * 1e6
    return out


def child_pysimlin(reps: int, n: int) -> dict:
    import numpy as np

    try:
        import simlin
    except ImportError as exc:
        return {"label": "pysimlin", "error": f"not installed: {exc}"}
    import ambidex

    out = {"label": "pysimlin model.run() (its own integrator)",
           "version": __import__("importlib.metadata").metadata.version("pysimlin")}
    try:
        t = time.perf_counter()
        sm = simlin.load(str(MODEL))
        out["load_s"] = time.perf_counter() - t
        med, _ = _median_time(lambda: sm.run(analyze_loops=False), reps, 2)
    except Exception as exc:  # report, do not crash the benchmark
        out["error"] = f"{type(exc).__name__}: {exc}"
        return out
    out.update(seconds_per_run=med, runs_per_s=1 / med, reps=reps)
    # agreement with PySD's Euler (sanity: the same model, the same numbers)
    m = ambidex.load_model(MODEL)
    ref = ambidex.simulate(m, backend="pysd", method="euler", variables=["total_revenue"])
    mine = sm.run(analyze_loops=False).results["total_revenue"].to_numpy()
    refv = ref.total_revenue.values[0]
    if mine.shape == refv.shape:
        out["max_rel_diff_total_revenue_vs_pysd_euler"] = float(
            np.max(np.abs(mine - refv) / np.abs(refv)))
    # an ensemble the only way pysimlin offers: a Python loop over runs with overrides
    s = _samples(m, n)
    t = time.perf_counter()
    for i in range(n):
        sm.run({k: float(v[i]) for k, v in s.items()}, analyze_loops=False)
    secs = time.perf_counter() - t
    out.update(loop_n=n, loop_seconds=secs, loop_runs_per_s=n / secs)
    return out


CHILDREN = {
    "pysd": lambda a: child_pysd(a.reps),
    "ours_pysd_lsoda": lambda a: child_ours_pysd("LSODA", a.reps),
    "ours_pysd_euler": lambda a: child_ours_pysd("euler", a.reps),
    "compiled_single": lambda a: child_compiled_single(a.reps),
    "ensemble": lambda a: child_ensemble(a.n, a.store, a.key_only, a.reps),
    "profile": lambda a: child_profile(a.n),
    "pysimlin": lambda a: child_pysimlin(a.reps, a.n),
}


# ------------------------------------------------------------------------------ parent
def _spawn(name: str, **kw) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name]
    for k, v in kw.items():
        if v is True:
            cmd.append(f"--{k.replace('_', '-')}")
        elif v not in (False, None):
            cmd += [f"--{k.replace('_', '-')}", str(v)]
    print(f"  running {name} {kw} ...", flush=True)
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode or not line:
        return {"label": name, "error": (proc.stderr or proc.stdout)[-2000:], "wall_s": wall}
    res = json.loads(line[-1][7:])
    res["wall_s"] = wall
    return res


def machine() -> dict:
    cpu = "?"
    try:
        for ln in open("/proc/cpuinfo"):
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for ln in open("/proc/meminfo"):
            if ln.startswith("MemTotal"):
                mem = f"{int(ln.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    import numba

    return {"nproc": os.cpu_count(), "cpu": cpu, "ram": mem, "python": platform.python_version(),
            "numba": numba.__version__, "load_before": os.getloadavg(),
            "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()}


def main(quick: bool) -> dict:
    info = machine()
    print(f"machine: {info}")
    reps = 3 if quick else 10
    r = {}
    r["pysd"] = _spawn("pysd", reps=reps)
    r["ours_pysd_lsoda"] = _spawn("ours_pysd_lsoda", reps=reps)
    r["ours_pysd_euler"] = _spawn("ours_pysd_euler", reps=reps)
    r["compiled_single"] = _spawn("compiled_single", reps=200 if quick else 1000)
    sizes = [1_000, 10_000] + ([] if quick else [100_000])
    for n in sizes:
        r[f"ensemble_{n}"] = _spawn("ensemble", n=n, reps=5 if n <= 10_000 else 2)
    big = 100_000 if quick else 1_000_000
    r[f"ensemble_{big}_zarr"] = _spawn("ensemble", n=big, store=True, key_only=True, reps=1)
    r["profile"] = _spawn("profile", n=10_000)
    r["pysimlin"] = _spawn("pysimlin", reps=reps * 10, n=200 if quick else 1000)
    info["load_after"] = os.getloadavg()
    report = {"machine": info, "quick": quick, "rtol": RTOL, "atol": ATOL, "results": r}
    _print(report)
    (HERE / ("results_quick.json" if quick else "results.json")).write_text(
        json.dumps(report, indent=2, default=str))
    return report


def _print(report: dict) -> None:
    r = report["results"]
    pysd_rps = r["pysd"].get("runs_per_s")
    print("\n| measurement | runs/s | per run | peak RSS | x PySD run() |")
    print("|---|---:|---:|---:|---:|")
    for key, v in r.items():
        if "error" in v:
            print(f"| {v.get('label', key)} | error: {v['error'].splitlines()[-1][:120]} | | | |")
            continue
        rps = v.get("runs_per_s")
        if rps is None:
            continue
        per = 1 / rps
        peak = v.get("peak_MiB")
        ratio = rps / pysd_rps if pysd_rps else float("nan")
        best = v.get("best_runs_per_s")
        if best:
            rps_txt = f"{rps:,.0f} (best {best:,.0f})"
        else:
            rps_txt = f"{rps:,.0f}"
        print(f"| {v['label']} | {rps_txt} | {per * 1e3:.3f} ms | "
              f"{'' if peak is None else f'{peak:,.0f} MiB'} | {ratio:,.1f} |")
    cs = r["compiled_single"]
    if "error" not in cs:
        print(f"\ncompiled single run: {cs['seconds_per_run'] * 1e3:.3f} ms dopri5 "
              f"({cs['nfev']} RHS evals), {cs['euler_seconds_per_run'] * 1e3:.3f} ms euler; "
              f"via ambidex.simulate: {cs['simulate_seconds_per_run'] * 1e3:.2f} ms; "
              f"compile {cs['compile_s']:.1f} s, first run (JIT/cache load) {cs['first_run_s']:.2f} s")
    if "error" not in r["profile"]:
        print("profile:", json.dumps(r["profile"], indent=1))
    if "error" not in r["pysimlin"]:
        print("pysimlin:", json.dumps(r["pysimlin"], indent=1))
    print("targets:", TARGETS)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes, fewer repetitions")
    ap.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    ap.add_argument("--reps", type=int, default=10, help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=1000, help=argparse.SUPPRESS)
    ap.add_argument("--store", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--key-only", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        res = CHILDREN[a.child](a)
        res.setdefault("peak_MiB", _peak_mib())
        print("RESULT " + json.dumps(res, default=str), flush=True)
    else:
        main(a.quick)
