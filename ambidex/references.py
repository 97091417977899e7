"""Reference runs made by other tools, and how far a run of ours is from them.

A modeller who brings a Vensim or Stella model usually has that tool's own output beside it.
:func:`read_reference` reads the common kinds — Vensim ``.vdf`` (through pysimlin's maintained
reader, ``simlin.load_vdf``), SDEverywhere ``.dat`` (a variable-name line, then ``time<TAB>value``
lines), and tab- or comma-separated ``output.tab`` / ``output.csv`` (time in the first column, or
in the first row) — into ``(times, {canonical name: values})``.  :func:`flatten` turns a result
Dataset of ours into the same shape and :func:`compare` gives the relative error per series.

Canonical names (:func:`canonical`) are lower case, quotes dropped, runs of spaces and
underscores one ``_``, and subscripts ``name[a,b]``; Vensim's helper variables (``#...#``) and the
control variables are left out.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np

from .core.errors import ModelError

CONTROLS = {"initial_time", "final_time", "time_step", "saveper", "time", "dt"}


def canonical(name: str) -> str:
    """Comparable form of a variable name: ``'Stock A[North, b]'`` -> ``'stock_a[north,b]'``."""
    name = str(name).replace("\\n", " ").replace('""', "\x00").replace('"', "").replace("\x00", '"')
    head, _, rest = name.partition("[")
    head = re.sub(r"[\s_]+", "_", head.strip().lower()).strip("_")
    if rest:
        elems = [re.sub(r"[\s_]+", "_", e.strip().lower()) for e in rest.rstrip("]").split(",")]
        return f"{head}[{','.join(elems)}]"
    return head


def _keep(name: str) -> bool:
    return not name.startswith("#") and canonical(name) not in CONTROLS


def _num(cell: str) -> float:
    cell = cell.strip()
    if not cell:
        return np.nan
    try:
        return float(cell)
    except ValueError:
        return np.nan


def _read_vdf(path: Path):
    import simlin

    df = simlin.load_vdf(path)
    times = np.asarray(df.index, dtype=float)
    return times, {canonical(c): np.asarray(df[c], dtype=float) for c in df.columns if _keep(c)}


def _read_dat(path: Path):
    series: dict[str, list] = {}
    current = None
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and current is not None and parts[0].strip():
            try:
                series[current].append((float(parts[0]), float(parts[1])))
                continue
            except ValueError:
                pass
        if line.strip():
            current = line.strip()
            series[current] = []
    times = sorted({t for pts in series.values() for t, _ in pts})
    index = {t: i for i, t in enumerate(times)}
    out = {}
    for name, pts in series.items():
        if not _keep(name):
            continue
        arr = np.full(len(times), np.nan)
        for t, v in pts:
            arr[index[t]] = v
        if len(pts) == 1:  # a constant is saved once: it holds for the whole run
            arr[:] = pts[0][1]
        out[canonical(name)] = arr
    return np.asarray(times, dtype=float), out


def _read_table(path: Path):
    text = path.read_bytes().decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    delim = "\t" if "\t" in text.split("\n", 1)[0] else ","
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delim) if any(c.strip() for c in r)]
    if len(rows) > 1 and all(not np.isnan(_num(c)) for c in rows[0][1:]):
        # transposed (Vensim "time down the first row"): each later row is one variable
        times = np.array([_num(c) for c in rows[0][1:]])
        body = {r[0]: np.array([_num(c) for c in (r[1:] + [""] * len(times))[:len(times)]])
                for r in rows[1:]}
    else:
        header = rows[0]
        data = np.array([[_num(c) for c in (r + [""] * len(header))[:len(header)]] for r in rows[1:]])
        times = data[:, 0]
        body = {h: data[:, i] for i, h in enumerate(header) if i > 0}
    out = {}
    for name, arr in body.items():
        if not _keep(name):
            continue
        if np.isnan(arr).any() and not np.isnan(arr[0]):
            # blank cells mean "same as above" (constants saved once)
            arr = arr.copy()
            for i in range(1, len(arr)):
                if np.isnan(arr[i]):
                    arr[i] = arr[i - 1]
        out[canonical(name)] = arr
    return times, out


def read_reference(path: str | Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Read a reference run: returns ``(times, {canonical name: values at those times})``.

    Blank cells of constants saved only once are filled forward; cells a run did not save stay
    NaN.  Raises :class:`ModelError` naming the file when it is missing or of an unknown kind.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"reference run not found: '{path}'")
    suffix = path.suffix.lower()
    if suffix == ".vdf":
        return _read_vdf(path)
    if suffix == ".dat":
        return _read_dat(path)
    if suffix in (".tab", ".csv", ".tsv", ".txt"):
        return _read_table(path)
    raise ModelError(f"reference run '{path}' has suffix '{path.suffix}'; allowed: .vdf, .dat, "
                     ".tab, .csv")


def flatten(ds, scenario=None) -> dict[str, np.ndarray]:
    """``{canonical name: values over time}`` of one scenario of a result Dataset of ours.

    Subscripted variables give one entry per element combination, ``name[a,b]``.
    """
    if "scenario" in ds.dims:
        ds = ds.isel(scenario=0) if scenario is None else ds.sel(scenario=scenario)
    out = {}
    for py in ds.data_vars:
        da = ds[py]
        base = da.attrs.get("long_name") or py
        dims = [d for d in da.dims if d != "time"]
        if not dims:
            out[canonical(base)] = np.asarray(da.values, dtype=float)
            continue
        stacked = da.stack(_elem=dims).transpose("_elem", "time")
        for i, combo in enumerate(stacked["_elem"].values):
            combo = combo if isinstance(combo, tuple) else (combo,)
            out[canonical(f"{base}[{','.join(map(str, combo))}]")] = np.asarray(
                stacked.values[i], dtype=float)
    return out


def compare(times: np.ndarray, ours: dict[str, np.ndarray], ref_times: np.ndarray,
            ref: dict[str, np.ndarray], atol: float = 1e-9) -> dict[str, float]:
    """Relative error of each reference series that ``ours`` also has, at the common times.

    The error of a series is ``max |ours - ref| / max |ref|`` over the times both runs saved
    (``atol`` keeps an all-zero series comparable).  Returns ``{canonical name: error}``.
    """
    times = np.asarray(times, dtype=float)
    pos = np.searchsorted(times, ref_times)
    pos = np.clip(pos, 0, max(len(times) - 1, 0))
    lower = np.clip(pos - 1, 0, None)
    pick = np.where(np.abs(times[lower] - ref_times) < np.abs(times[pos] - ref_times), lower, pos)
    tol = 1e-6 * max(1.0, float(np.max(np.abs(times)))) if len(times) else 0.0
    on_grid = np.abs(times[pick] - ref_times) <= tol
    errors = {}
    for name, want in ref.items():
        got_all = ours.get(name)
        if got_all is None:
            continue
        mask = on_grid & ~np.isnan(want)
        if not mask.any():
            continue
        got = got_all[pick[mask]]
        w = want[mask]
        scale = float(np.max(np.abs(w))) + atol
        errors[name] = float(np.max(np.abs(got - w))) / scale if np.all(np.isfinite(got)) else np.inf
    return errors


def against(model, reference: str | Path, method: str | None = None, **simulate_kw) -> dict:
    """Simulate ``model`` (a path or a loaded model) and compare it with a reference run.

    ``method`` defaults to the model's own saved integration method, Euler (what Vensim and
    Stella do unless told otherwise) when it names none, at the model's TIME STEP.  Returns a dict: ``errors`` ({canonical name: relative
    error}), ``missing`` (reference series we have no output for), ``worst`` (name, error) and
    ``dataset`` (our run).
    """
    from .core.model import as_model
    from .simulate import simulate

    model = as_model(model)
    ds = simulate(model, method=method or model.saved_method or "euler", **simulate_kw)
    ref_times, ref = read_reference(reference)
    ours = flatten(ds)
    errors = compare(np.asarray(ds["time"].values, dtype=float), ours, ref_times, ref)
    missing = sorted(n for n in ref if n not in ours)
    worst = max(errors.items(), key=lambda kv: kv[1]) if errors else (None, np.nan)
    return {"errors": errors, "missing": missing, "worst": worst, "dataset": ds}
