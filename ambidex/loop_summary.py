"""The loop-dominance summary that the scenario report shows, cached on disk.

The report of ``ambidex run`` shows the named loops' relative scores over time, the unnamed
loops' sum and the share of all loop activity (:mod:`ambidex.report_loops`).  Computing them
takes a Loops That Matter analysis (a PySD Euler run at every TIME STEP, the model's loops --
12 k on the dual model -- and their scores: seconds), while the summary itself is a few
kilobytes.  :func:`report_loop_scores` therefore keeps the summary in
``<cache root>/loop_summaries/<key>.npz`` keyed by everything it depends on: the model file's
bytes (sha256), the scenario's name, overrides, horizon and solver, the named-loops file's
bytes, the source of the loop analysis and the PySD/networkx/numpy versions.  A change to any
of them computes it afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata
from pathlib import Path

import numpy as np

SUMMARY_VERSION = 2


def summarise(lds):
    """The part of a Loops That Matter Dataset (dims loop, time) that the report reads:
    ``relative_score`` of the named loops (coords ``named_id``, ``name``), ``unnamed_sum`` (the
    unnamed loops' relative scores summed, per time), ``abs_total`` (every loop's |relative
    score| summed, per time; 1 per cycle partition with activity) and ``attrs['unnamed_count']``.
    A summary passes through unchanged."""
    if "unnamed_sum" in lds:
        return lds
    n = lds.sizes["loop"]
    ids = [str(x) for x in lds["named_id"].values] if "named_id" in lds.coords else [""] * n
    names = [str(x) for x in lds["name"].values] if "name" in lds.coords else [""] * n
    attrs = {k: v for k, v in lds.attrs.items() if isinstance(v, (str, int, float))}
    return summary_of(lds["relative_score"].values, ids, names, lds["time"].values,
                      dict(lds["time"].attrs), attrs)


def summary_of(rel: np.ndarray, ids: list, names: list, time, time_attrs: dict, attrs: dict):
    """:func:`summarise` from the relative scores (loop, time) and each loop's named id
    ('' = unnamed) and name."""
    named = [i for i, x in enumerate(ids) if x]
    is_named = np.zeros(rel.shape[0], dtype=bool)
    is_named[named] = True
    rest = np.flatnonzero(~is_named)
    return _summary(rel[named].reshape(len(named), rel.shape[1]),
                    rel[rest].sum(axis=0) if len(rest) else np.zeros(rel.shape[1]),
                    np.abs(rel).sum(axis=0), ids, names, named, len(rest), time, time_attrs,
                    attrs)


def _summary(named_rel, unnamed, total, ids, names, named, n_rest, time, time_attrs, attrs):
    import xarray as xr

    out = xr.Dataset(
        {"relative_score": (("loop", "time"), named_rel),
         "unnamed_sum": ("time", unnamed), "abs_total": ("time", total)},
        coords={"time": np.asarray(time, dtype=float), "named_id": ("loop", [ids[i] for i in named]),
                "name": ("loop", [names[i] for i in named])},
        attrs={**attrs, "unnamed_count": n_rest})
    out["time"].attrs = dict(time_attrs)
    return out


def live_summary(rows, rel_rows: np.ndarray, ids: list, names: list, time, time_attrs: dict,
                 attrs: dict):
    """:func:`summary_of` from the rows of the relative scores that are not 0 throughout
    (``rows``, ascending positions among the loops, and their scores ``rel_rows`` (row, time)
    in C order; every other loop scores +0.0 throughout), without the (loop, time) array of
    every loop.  The sums come out the same to the bit: numpy sums a C-ordered (loop, time)
    array over loops one row after another, and a row of +0.0 added anywhere only turns a
    running sum of -0.0 into +0.0 (the sums start at +0.0 when such rows take part)."""
    n_t = len(time)
    rows = np.asarray(rows, dtype=np.int64)
    rel_rows = np.ascontiguousarray(rel_rows, dtype=float)
    named = [i for i, x in enumerate(ids) if x]
    named_rel = np.zeros((len(named), n_t))
    at = {int(r): k for k, r in enumerate(rows)}
    for j, i in enumerate(named):
        if i in at:
            named_rel[j] = rel_rows[at[i]]
    is_named = np.zeros(len(ids), dtype=bool)
    is_named[named] = True
    rest = ~is_named[rows]
    n_rest = len(ids) - len(named)
    unnamed = _row_sum(rel_rows[rest], n_rest > int(rest.sum()), n_t) if n_rest else np.zeros(n_t)
    total = _row_sum(np.abs(rel_rows), len(ids) > len(rows), n_t)
    return _summary(named_rel, unnamed, total, ids, names, named, n_rest, time, time_attrs, attrs)


def _row_sum(a: np.ndarray, zero_rows: bool, n_t: int) -> np.ndarray:
    """The sum over rows of ``a`` and, when ``zero_rows``, of rows of zeros left out of it."""
    if not len(a):
        return np.zeros(n_t)
    s = a.sum(axis=0)
    return s + 0.0 if zero_rows else s


def _analysed_summary(model, sc):
    """The summary of a fresh Loops That Matter analysis of ``sc`` (None: the model has no
    loops), without building the per-loop Dataset of every loop (20 k chains on the dual model)
    or its (loop, time) arrays: only the loops that score at all (:func:`live_scores`)."""
    from .loops.ltm import _env, analyse, live_scores

    st, run_ = analyse(model, sc)
    if not st.loops:
        return None
    time = run_.time.values
    rows, _, rel = live_scores(st, st.env(_env(run_), time), time)
    attrs = {"model": str(model.path), "model_sha256": model.sha256,
             "scenario": str(run_.scenario.values), "loops": len(st.loops)}
    return live_summary(rows, rel, [lp.named_id for lp in st.loops], [lp.name for lp in st.loops],
                        time, {"units": model.time_units, "long_name": "time"}, attrs)


def _code_version() -> str:
    """Hash of the loop analysis' own source and the libraries its numbers depend on."""
    h = hashlib.sha256(str(SUMMARY_VERSION).encode())
    pkg = Path(__file__).resolve().parent
    for f in sorted((pkg / "loops").glob("*.py")) + [pkg / "loop_summary.py"]:
        h.update(f.read_bytes())
    for dist in ("pysd", "networkx", "numpy"):
        try:
            h.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            h.update(dist.encode())
    return h.hexdigest()


def cache_key(model, scenario) -> str:
    """The summary's cache key (see the module docstring)."""
    loops_toml = Path(model.path).with_suffix(".loops.toml")
    parts = [model.sha256, repr((scenario.name, sorted(scenario.parameters.items()),
                                 scenario.interventions, scenario.horizon,
                                 sorted(scenario.solver.items()))),
             loops_toml.read_bytes().hex() if loops_toml.is_file() else "", _code_version()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _cached(path: Path):
    """The summary stored by :func:`_store` (None: absent or unreadable).  Kept as numpy arrays
    and a JSON header, not netCDF: reading it needs neither h5py nor xarray's decoding."""
    import pandas as pd
    import xarray as xr

    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays.pop("meta")))
        out = xr.Dataset(
            {"relative_score": (("loop", "time"), arrays["relative_score"]),
             "unnamed_sum": ("time", arrays["unnamed_sum"]),
             "abs_total": ("time", arrays["abs_total"])},
            # the time index as a pandas Index: from a bare array, xarray imports dask and pint
            # to ask whether it is one of theirs (0.3-0.6 s)
            coords={"time": pd.Index(arrays["time"]), "named_id": ("loop", meta["named_id"]),
                    "name": ("loop", meta["name"])},
            attrs=meta["attrs"])
        out["time"].attrs = meta["time_attrs"]
        return out
    except Exception:  # absent or unreadable: compute
        return None


def _store(summary, path: Path) -> None:
    meta = {"named_id": [str(x) for x in summary["named_id"].values],
            "name": [str(x) for x in summary["name"].values],
            "time_attrs": dict(summary["time"].attrs), "attrs": dict(summary.attrs)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, relative_score=summary["relative_score"].values,
                 unnamed_sum=summary["unnamed_sum"].values, abs_total=summary["abs_total"].values,
                 time=summary["time"].values,
                 meta=np.array(json.dumps(meta, default=lambda o: o.item())))
        os.replace(tmp, path)
    except (OSError, TypeError, ValueError):  # read-only cache: still correct, computed again
        pass


def pick_scenario(model, scens):
    """The scenario whose loops the report shows: the profile's default scenario when it is
    among ``scens``, else the first without interventions (None: all have some)."""
    from .core.profile import load_profile

    default = load_profile(model).default_scenario
    pick = [s for s in scens if s.name == default] or [s for s in scens if not s.interventions]
    return pick[0] if pick else None


def report_loop_scores(model, scens, on_skip=None, defer: bool = False):
    """``(scenario name, loop summary)`` for the report (see :func:`summarise`), from the disk
    cache when present; None when no scenario qualifies or the model's loop scores cannot be
    computed (``on_skip(message)`` is told why).  ``defer``: on a cache miss, compute the
    summary in a background process (:mod:`ambidex.loop_background`) and return
    ``(scenario name, None)`` at once."""
    sc = pick_scenario(model, scens)
    if sc is None:
        return None
    from .core.translate import cache_root

    path = cache_root() / "loop_summaries" / f"{cache_key(model, sc)}.npz"
    summary = _cached(path)
    if summary is None and defer:
        from .loop_background import start

        if start(model, sc, path):
            if on_skip is not None:
                on_skip(f"note: loop dominance of scenario '{sc.name}' is being computed in the "
                        f"background; the next report shows it (now: ambidex loops {sc.name})")
            return sc.name, None
    if summary is None:
        try:
            summary = _analysed_summary(model, sc)
        except Exception as exc:  # loop scores need scalar models; the report still gets written
            if on_skip is not None:
                on_skip(f"note: loop dominance left out of the report: {exc}")
            return None
        if summary is None:
            return None
        _store(summary, path)
    return sc.name, summary
