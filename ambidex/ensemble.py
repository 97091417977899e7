"""Ensembles: many parameter sets of one model in one call, on the batched compiled engine.

>>> ds = ensemble(samples={"selectivity": np.linspace(0, 1, 1000)})
>>> ds.total_revenue.sel(time=2021)          # dims (sample,)
>>> ds.coords["selectivity"]                 # the sample values ride along as coordinates

A thin layer over :meth:`ambidex.compiled.CompiledModel.run`: it checks the samples against the
parameter table (names, shapes, bounds), splits the runs into chunks that fit a memory budget,
runs each chunk through the engine, marks failed runs (NaN outputs, ``failed`` True, a message
naming the sample index) without touching the others, and either assembles one in-memory
``xarray.Dataset`` or streams every chunk into a zarr store and returns it opened lazily.
"""

from __future__ import annotations

import dataclasses
import json
import numbers
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import xarray as xr

from .errors import ModelError, ScenarioError
from .model import Model, load_model
from .provenance import stamp
from .scenario import Scenario, load_scenario, validate

METHODS = ("euler", "rk4", "dopri5")
#: Extra outputs included by default (besides every stock) when the model has them.
KEY_OUTPUTS = ("total_revenue", "roa", "collaboration_share_of_revenue", "exploration_share",
               "relationship_trust", "ambidexterity_balance")
#: At most this many failure messages are kept in the ``failure_messages`` attr.
MAX_MESSAGES = 1000


def _fmt(v) -> str:
    return "?" if v is None else f"{v:g}"


# ------------------------------------------------------------------------------ samples
def _column(name, values) -> np.ndarray:
    """``values`` as a float64 1-D array; ScenarioError naming ``name`` and the sample index."""
    if isinstance(values, xr.DataArray):
        values = values.values
    try:
        a = np.asarray(values)
    except Exception as exc:  # ragged nested sequences
        raise ScenarioError(f"samples['{name}']: cannot be read as a 1-D array: {exc}") from None
    if a.ndim != 1:
        raise ScenarioError(f"samples['{name}']: expected a 1-D array of sample values, got "
                            f"shape {a.shape}")
    if a.dtype.kind in "iuf":
        return a.astype(np.float64, copy=False)
    # bool, strings, objects: find the first entry that is not a real number
    items = list(values) if isinstance(values, (list, tuple)) else a.tolist()
    for i, x in enumerate(items):
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise ScenarioError(f"samples['{name}'][{i}]: expected a number, got "
                                f"{type(x).__name__} {x!r}")
    return a.astype(np.float64)


def _sample_columns(samples) -> dict[str, np.ndarray]:
    """Name -> array for a dict, a pandas DataFrame or an xarray Dataset with a ``sample`` dim."""
    if samples is None:
        return {}
    if isinstance(samples, xr.Dataset):
        if "sample" not in samples.dims:
            raise ScenarioError(f"samples: the xarray Dataset needs a 'sample' dimension; it has "
                                f"{tuple(samples.dims)}")
        cols = {}
        for name, da in samples.data_vars.items():
            if da.dims != ("sample",):
                raise ScenarioError(f"samples['{name}']: expected dims ('sample',), got "
                                    f"{da.dims}")
            cols[str(name)] = da.values
        return {k: _column(k, v) for k, v in cols.items()}
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(samples, pd.DataFrame):
        return {str(c): _column(c, samples[c].to_numpy()) for c in samples.columns}
    if isinstance(samples, dict):
        return {str(k): _column(k, v) for k, v in samples.items()}
    raise ScenarioError(f"samples: expected a dict of name -> 1-D array, a pandas DataFrame or an "
                        f"xarray Dataset with a 'sample' dim, got {type(samples).__name__}")


def check_samples(model: Model, samples) -> tuple[dict[str, np.ndarray], int]:
    """Resolve and check ``samples``; return ({py name: float array (N,)}, N).

    Unknown names, ragged lengths, wrong shapes, non-numeric or non-finite values and values
    outside a parameter's bounds each raise :class:`ScenarioError` naming the parameter, the
    sample index and the allowed range.
    """
    cols = _sample_columns(samples)
    if not cols:
        return {}, 1
    lengths = {k: a.shape[0] for k, a in cols.items()}
    if len(set(lengths.values())) > 1:
        first = next(iter(lengths))
        odd = next(k for k, n in lengths.items() if n != lengths[first])
        raise ScenarioError(
            f"samples: ragged lengths: '{first}' has {lengths[first]} samples but '{odd}' has "
            f"{lengths[odd]} (every parameter needs one value per sample; from index "
            f"{min(lengths[first], lengths[odd])} on one of them has none)")
    n = lengths[next(iter(lengths))]
    if n < 1:
        raise ScenarioError("samples: no samples (length 0)")
    out: dict[str, np.ndarray] = {}
    given: dict[str, str] = {}
    for name, a in cols.items():
        try:
            p = model.resolve_parameter(name)
        except ModelError as exc:
            raise ScenarioError(f"samples['{name}']: {exc}") from None
        if p.py_name in out:
            raise ScenarioError(f"samples: '{name}' and '{given[p.py_name]}' are the same "
                                f"parameter '{p.name}'")
        lo = -np.inf if p.lower is None else p.lower
        hi = np.inf if p.upper is None else p.upper
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(a) | (a < lo) | (a > hi)
        if bad.any():
            i = int(np.argmax(bad))
            more = int(bad.sum()) - 1
            raise ScenarioError(
                f"samples['{name}'][{i}]: value {float(a[i])!r} for parameter '{p.name}' is outside its "
                f"range [{_fmt(p.lower)}, {_fmt(p.upper)}] ({p.units})"
                + (f"; {more} more sample(s) of it are out of range too" if more else ""))
        out[p.py_name] = a
        given[p.py_name] = name
    return out, n


# ------------------------------------------------------------------------------ setup
def _as_model(model) -> Model:
    return model if isinstance(model, Model) else load_model(model)


def _scenario(model: Model, scenario) -> Scenario:
    if scenario is None:
        sc = Scenario(name="default", source="model defaults")
    else:
        sc = load_scenario(scenario)
    sc = validate(sc, model)
    if sc.interventions:
        raise ScenarioError(f"{sc.label}: scheduled interventions are not supported by the "
                            "compiled engine that ensemble() runs on; use ambidex.simulate("
                            "..., backend='pysd') for each run instead")
    if sc.horizon != (model.control["initial_time"], model.control["final_time"]):
        raise ScenarioError(f"{sc.label}: ensemble() runs the model's own horizon "
                            f"[{model.control['initial_time']:g}, {model.control['final_time']:g}]"
                            f"; this scenario asks for [{sc.horizon[0]:g}, {sc.horizon[1]:g}]")
    ts = sc.solver.get("time_step")
    if ts is not None and ts != model.control["time_step"]:
        raise ScenarioError(f"{sc.label}: ensemble() runs the model's TIME STEP "
                            f"{model.control['time_step']:g}; this scenario asks for {ts:g}")
    return sc


def default_variables(model: Model) -> list[str]:
    """Every stock plus the key outputs the model has (py names)."""
    out = [s.py_name for s in model.stocks]
    out += [k for k in KEY_OUTPUTS if k in model.variables and k not in out]
    return out


def _variables(model: Model, variables) -> list[str]:
    if variables is None:
        names = default_variables(model)
    else:
        if isinstance(variables, str):
            variables = [variables]
        names = []
        for v in variables:
            try:
                py = model.resolve(v)
            except ModelError as exc:
                raise ScenarioError(f"variables: {exc}") from None
            if py not in names:
                names.append(py)
    for py in names:
        if model.variables[py].subscripts:
            raise ScenarioError(f"variables: '{model.variables[py].name}' is subscripted; "
                                "ensemble() returns unsubscripted variables only")
    if not names:
        raise ScenarioError("variables: no output variables")
    return names


def _save_times(model: Model) -> np.ndarray:
    # the same grid ambidex.simulate asks the engine for
    from .simulate import _save_times as st

    c = model.control
    return st(c["initial_time"], c["final_time"], c["saveper"])


def bytes_per_run(n_vars: int, n_times: int, n_params: int, n_sample_params: int = 0) -> int:
    """Memory one run of a chunk holds: the engine's output block (n_vars x n_times float64),
    one variable's copy while it is written out, its parameter row, its sample coordinates and
    its status/time/evaluation counters."""
    return int((n_vars + 1) * n_times * 8 + (n_params + n_sample_params) * 8 + 3 * 8 + 1)


# ------------------------------------------------------------------------------ running
def _stock_checks(model: Model, var_names: list[str]) -> list[tuple[int, str]]:
    idx = []
    for s in model.stocks:
        if s.physical and s.py_name in var_names:
            idx.append((var_names.index(s.py_name), s.name))
    return idx


def ensemble(model=None, samples=None, scenario=None, method: str = "dopri5", rtol: float = 1e-6,
             atol: float = 1e-6, variables: Iterable[str] | None = None,
             chunk_size: int | None = None, max_memory_bytes: int = 512 * 2**20,
             store: str | os.PathLike | None = None, progress: bool = False,
             cluster=None, n_workers: int = 2) -> xr.Dataset:
    """Run ``model`` once per sample on the batched compiled engine; return one Dataset.

    ``samples``: dict of parameter name -> 1-D array (all of length N), a pandas DataFrame
    (columns = parameter names) or an xarray Dataset with a ``sample`` dim; names are model-file
    or Python names; every value is checked against the parameter's bounds.  ``None``: one run.
    ``scenario``: a scenario name, path or :class:`Scenario` whose parameter overrides apply to
    every sample (the samples win where both set a parameter); scheduled interventions, another
    horizon or TIME STEP are refused (the compiled engine cannot run them).  ``method``:
    ``"dopri5"`` (adaptive per run, ``rtol``/``atol``), ``"euler"`` or ``"rk4"`` (the model's TIME
    STEP).  ``variables``: output names (default: every stock plus the key outputs, see
    :func:`default_variables`).  A scenario's own ``[solver]`` method and tolerances are not
    used: ``method``, ``rtol`` and ``atol`` apply.  The ``sample`` coordinate is 0..N-1 for every
    kind of input (a DataFrame's index or a Dataset's own ``sample`` labels are not kept).

    The runs are split into chunks of ``chunk_size`` (default: as many as fit
    ``max_memory_bytes``, see :func:`bytes_per_run`).  With ``store="path.zarr"`` each chunk is
    appended to a zarr store along ``sample`` (written beside the target and renamed into place
    when complete, replacing an existing store) and the store is returned opened lazily (dask),
    so the whole ensemble never sits in memory.  Without ``store`` the chunks are gathered into
    one in-memory Dataset (N x outputs x times x 8 bytes).  ``progress=True`` shows a bar
    (rich) advancing chunk by chunk.

    ``cluster``: ``"local"`` (a Dask LocalCluster of ``n_workers`` processes), a scheduler
    address (``"tcp://host:8786"``) or a ``distributed.Client`` runs the samples as Dask tasks
    (chunks of ``chunk_size`` runs, default N/8 but at least 64; each worker loads the model
    from the translation and numba caches, see ``docs/guides/cluster.md``); the workers stream
    their chunks into a zarr store and the results are identical to a run in one process.

    Returns an ``xarray.Dataset`` with dims (sample, time): one data variable per output, named
    by its Python name, with ``units``/``description``/``long_name`` attrs; the sample values as
    coordinates on ``sample`` (Python names); a boolean ``failed`` (sample) -- a failed run (NaN/
    inf, step-size collapse, too many steps, a physical stock below 0) has NaN outputs and does
    not affect the others; attrs from :func:`ambidex.provenance.stamp` plus ``method``, ``rtol``,
    ``atol``, ``scenario``, ``n_failed`` and ``failure_messages`` (one line per failed sample,
    naming its index).
    """
    model = _as_model(model)
    if method not in METHODS:
        raise ScenarioError(f"method {method!r}: ensemble() runs on the compiled engine, whose "
                            f"methods are {', '.join(METHODS)}")
    for nm, v in (("rtol", rtol), ("atol", atol)):
        if not (isinstance(v, numbers.Real) and v > 0):
            raise ScenarioError(f"{nm} must be a positive number, got {v!r}")
    sc = _scenario(model, scenario)
    cols, n = check_samples(model, samples)
    var_names = _variables(model, variables)
    cm = model.compiled()
    times = _save_times(model)
    base = {model.parameters[py].name: v for py, v in sc.parameters.items() if py not in cols}
    names = [model.variables[py].name for py in var_names]

    per_run = bytes_per_run(len(var_names), len(times), len(cm.param_names), len(cols))
    if chunk_size is None:
        chunk = max(1, int(max_memory_bytes) // per_run)
    else:
        if not (isinstance(chunk_size, numbers.Integral) and chunk_size >= 1):
            raise ScenarioError(f"chunk_size must be a positive integer, got {chunk_size!r}")
        chunk = int(chunk_size)
    chunk = min(chunk, n)
    bounds = [(lo, min(lo + chunk, n)) for lo in range(0, n, chunk)]
    stock_idx = _stock_checks(model, var_names)

    attrs = stamp(
        model, backend="compiled", method=method, rtol=float(rtol), atol=float(atol),
        scenario=sc.name, scenario_file=str(sc.path) if sc.path else "",
        scenario_parameters=json.dumps(sc.parameters, sort_keys=True),
        sample_parameters=json.dumps(list(cols)), n_samples=int(n), chunk_size=int(chunk),
    )
    var_attrs = {py: {"units": model.variables[py].units,
                      "description": model.variables[py].doc,
                      "long_name": model.variables[py].name,
                      "kind": model.variables[py].kind} for py in var_names}
    coord_attrs = {py: {"units": model.parameters[py].units,
                        "long_name": model.parameters[py].name} for py in cols}
    time_attrs = {"units": model.time_units, "long_name": "time"}

    stock_names = [sname for _, sname in stock_idx]
    if cluster is not None:
        task = EnsembleChunk(str(model.path), base, [model.parameters[py].name for py in cols],
                             method, float(rtol), float(atol), times, names, var_names,
                             stock_idx)
        pre_block, pre_codes = _run_on_dask(task, cols, n, cluster, n_workers, chunk_size)

    def run(lo, hi):
        """(block (n, V, T) with NaN rows for failed runs, failed mask, messages)."""
        if cluster is not None:
            codes = {k: v[lo:hi] for k, v in pre_codes.items()}
            return (pre_block[lo:hi], failed_of(codes),
                    messages_of(lo, codes, times, stock_names))
        chunk_cols = {model.parameters[py].name: a[lo:hi] for py, a in cols.items()}
        block, codes = run_block(cm, base, chunk_cols, hi - lo, method, rtol, atol, times,
                                 names, stock_idx)
        return block, failed_of(codes), messages_of(lo, codes, times, stock_names)

    def chunk_dataset(block, failed, lo, hi):
        data = {py: (("sample", "time"), block[:, j, :], var_attrs[py])
                for j, py in enumerate(var_names)}
        data["failed"] = (("sample",), failed, {"description": "the run failed; its outputs are NaN"})
        coords = {"sample": ("sample", np.arange(lo, hi, dtype=np.int64)),
                  "time": ("time", times, time_attrs)}
        for py, a in cols.items():
            coords[py] = ("sample", a[lo:hi], coord_attrs[py])
        return xr.Dataset(data, coords=coords)

    bar = _progress(progress, len(bounds), n)
    messages: list[str] = []
    n_failed = 0
    try:
        if store is None:
            full = np.empty((n, len(var_names), len(times))) if len(bounds) > 1 else None
            failed_all = np.zeros(n, dtype=bool)
            for lo, hi in bounds:
                block, failed, msgs = run(lo, hi)
                if full is None:
                    full = block  # one chunk: the engine's own output block, no copy
                else:
                    full[lo:hi] = block
                failed_all[lo:hi] = failed
                n_failed += int(failed.sum())
                messages += msgs[:max(0, MAX_MESSAGES - len(messages))]
                del block
                bar.advance(hi - lo)
            ds = chunk_dataset(full, failed_all, 0, n)
            ds.attrs = dict(attrs)
            ds.attrs.update(_failure_attrs(n_failed, messages))
            return ds
        target = Path(store)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
        try:
            for k, (lo, hi) in enumerate(bounds):
                block, failed, msgs = run(lo, hi)
                n_failed += int(failed.sum())
                messages += msgs[:max(0, MAX_MESSAGES - len(messages))]
                ds = chunk_dataset(block, failed, lo, hi)
                if k == 0:
                    enc = {v: {"chunks": (chunk,) + ds[v].shape[1:]}
                           for v in list(ds.data_vars) + [c for c in ds.coords if c != "time"]}
                    ds.to_zarr(tmp, mode="w", encoding=enc, consolidated=False)
                else:
                    ds.drop_vars("time").to_zarr(tmp, append_dim="sample", consolidated=False)
                del block, ds
                bar.advance(hi - lo)
            _finish_zarr(tmp, {**attrs, **_failure_attrs(n_failed, messages)})
            if target.exists():
                shutil.rmtree(target) if target.is_dir() else target.unlink()
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return xr.open_zarr(target, consolidated=False)
    finally:
        bar.close()


def run_block(cm, base: dict, chunk_cols: dict, n: int, method: str, rtol: float,
              atol: float, times: np.ndarray, names: list[str], stock_idx) -> tuple:
    """Run ``n`` samples (``base`` overrides plus the chunk's sample columns, model names) on
    the compiled engine.  Returns (block (n, V, T) with NaN rows for failed runs, codes): the
    failure codes are arrays (n,) -- ``status`` (the engine's, 0 ok), ``fail_time``,
    ``neg_stock`` (position in ``stock_idx`` of a physical stock that went below 0, -1 none),
    ``neg_value`` and ``neg_time`` -- from which :func:`messages_of` writes the messages, so a
    chunk run on a Dask worker reports exactly what a local run does."""
    params = dict(base)
    params.update(chunk_cols)
    try:
        res = cm.run(params=params, n=n, method=method, t_eval=times, rtol=rtol, atol=atol,
                     return_vars=names)
    except ModelError as exc:
        raise ScenarioError(f"samples: {exc}") from None
    block = _as_block(list(res.values()), n, len(times))
    status = np.asarray(res.status, dtype=np.int64)
    neg = np.full(n, -1, dtype=np.int64)
    neg_value = np.full(n, np.nan)
    neg_time = np.full(n, np.nan)
    for pos, (j, _sname) in enumerate(stock_idx):
        arr = block[:, j, :]
        with np.errstate(invalid="ignore"):
            rows = np.flatnonzero((arr.min(axis=1) < 0) & (status == 0) & (neg < 0))
        for i in rows:  # few: check those
            scale = max(1.0, float(np.nanmax(np.abs(arr[i]))))
            below = arr[i] < -1e-9 * scale
            if not below.any():
                continue
            k = int(np.argmax(below))
            neg[i], neg_value[i], neg_time[i] = pos, arr[i, k], times[k]
    codes = {"status": status, "fail_time": np.asarray(res.fail_time, dtype=float),
             "neg_stock": neg, "neg_value": neg_value, "neg_time": neg_time}
    block[failed_of(codes)] = np.nan
    return block, codes


@dataclasses.dataclass
class EnsembleChunk:
    """A picklable chunk runner for Dask workers: ``task(X)`` runs the rows of ``X`` (columns:
    ``columns``, model names) with :func:`run_block` on the model at ``model_path`` (loaded
    once per worker process from the translation and numba caches) and returns
    {output py name: (n, T), '__<code>': (n,)}."""

    model_path: str
    base: dict
    columns: list
    method: str
    rtol: float
    atol: float
    times: np.ndarray
    names: list
    var_names: list
    stock_idx: list

    def __call__(self, X):
        from .sensitivity.model_eval import cached_model

        X = np.asarray(X, dtype=float)
        cm = cached_model(self.model_path).compiled()
        chunk_cols = {c: X[:, j] for j, c in enumerate(self.columns)}
        block, codes = run_block(cm, self.base, chunk_cols, X.shape[0], self.method, self.rtol,
                                 self.atol, self.times, self.names, self.stock_idx)
        out = {py: block[:, j, :] for j, py in enumerate(self.var_names)}
        out.update({f"__{k}": np.asarray(v, dtype=float) for k, v in codes.items()})
        return out


def _run_on_dask(task: EnsembleChunk, cols: dict, n: int, cluster, n_workers: int,
                 chunk_size) -> tuple[np.ndarray, dict]:
    """Every sample as Dask tasks (one per chunk, streamed into a zarr store by the workers,
    :func:`ambidex.sensitivity.distributed.evaluate_dask`); (block (n, V, T), codes)."""
    from .sensitivity.distributed import DistributedError, evaluate_dask

    X = np.column_stack([cols[py] for py in cols]) if cols else np.zeros((n, 0))
    size = int(chunk_size) if chunk_size is not None else max(64, -(-n // 8))
    try:
        out = evaluate_dask(task, X, cluster=cluster, chunk_size=min(size, n),
                            n_workers=n_workers)
    except DistributedError as exc:
        raise ScenarioError(f"cluster: {exc}") from None
    block = np.stack([out[py] for py in task.var_names], axis=1)
    codes = {k[2:]: v for k, v in out.items() if k.startswith("__")}
    codes["status"] = codes["status"].astype(np.int64)
    codes["neg_stock"] = codes["neg_stock"].astype(np.int64)
    return block, codes


def failed_of(codes: dict) -> np.ndarray:
    """Boolean (n,): the run failed in the engine or a physical stock went below 0."""
    return (np.asarray(codes["status"]) != 0) | (np.asarray(codes["neg_stock"]) >= 0)


def messages_of(lo: int, codes: dict, times, stock_names: list[str]) -> list[str]:
    """One line per failed run of a chunk starting at sample ``lo``, naming the sample."""
    from .compiled.engine import STATUS

    msgs = []
    status = np.asarray(codes["status"]).astype(np.int64)
    for i in np.flatnonzero(status != 0):
        msgs.append((lo + int(i), f"{STATUS.get(int(status[i]), 'failed')} at time "
                                  f"{float(codes['fail_time'][i]):g}"))
    neg = np.asarray(codes["neg_stock"]).astype(np.int64)
    for i in np.flatnonzero(neg >= 0):
        msgs.append((lo + int(i), f"stock '{stock_names[neg[i]]}' went negative "
                                  f"({float(codes['neg_value'][i]):.6g}) at time "
                                  f"{float(codes['neg_time'][i]):g}; its declared range starts "
                                  "at 0"))
    msgs.sort()
    return [f"sample {i}: {m}" for i, m in msgs]


def _as_block(arrays: list[np.ndarray], n: int, n_times: int) -> np.ndarray:
    """The engine returns views ``out[:, j, :]`` of one (n, V, T) block: use that block when it
    is so (no copy), else stack the arrays into one."""
    base = arrays[0].base
    if (isinstance(base, np.ndarray) and base.shape == (n, len(arrays), n_times)
            and base.dtype == np.float64 and all(a.base is base for a in arrays)
            and all(a.strides == base[:, j, :].strides and a.shape == base[:, j, :].shape
                    and a.ctypes.data == base[:, j, :].ctypes.data
                    for j, a in enumerate(arrays))):
        return base
    block = np.empty((n, len(arrays), n_times))
    for j, a in enumerate(arrays):
        block[:, j, :] = a
    return block


def _failure_attrs(n_failed: int, messages: list[str]) -> dict:
    text = "\n".join(messages)
    if n_failed > len(messages):
        text += f"\n(and {n_failed - len(messages)} more failed samples; see the 'failed' variable)"
    return {"n_failed": int(n_failed), "failure_messages": text}


def _finish_zarr(path: Path, extra_attrs: dict) -> None:
    import zarr

    group = zarr.open_group(str(path), mode="r+")
    group.attrs.update(extra_attrs)


class _NoBar:
    def advance(self, k):
        pass

    def close(self):
        pass


class _RichBar:
    def __init__(self, n_chunks: int, n_runs: int):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._p = Progress(TextColumn(f"ensemble ({n_chunks} chunk(s))"), BarColumn(),
                           MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                           transient=False)
        self._p.start()
        self._task = self._p.add_task("runs", total=n_runs)

    def advance(self, k):
        self._p.advance(self._task, k)

    def close(self):
        self._p.stop()


def _progress(on: bool, n_chunks: int, n_runs: int):
    return _RichBar(n_chunks, n_runs) if on else _NoBar()
