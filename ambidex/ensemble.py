"""Ensembles: many parameter sets of one model in one call, on the batched compiled engine.

>>> ds = ensemble(samples={"selectivity": np.linspace(0, 1, 1000)})
>>> ds.total_revenue.sel(time=2021)          # dims (sample,)
>>> ds.coords["selectivity"]                 # the sample values ride along as coordinates

A thin layer over :mod:`ambidex.solve` (the compiled engine): it checks the samples once against
the parameter table (names, shapes, bounds), splits the runs into chunks that fit a memory
budget, runs each chunk through :func:`ambidex.solve.run_plan` (which marks failed runs: NaN
outputs, ``failed`` True, a message naming the sample index, without touching the others) and
either assembles one in-memory ``xarray.Dataset`` or streams every chunk into a zarr store and
returns it opened lazily.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import xarray as xr

from .core.assembly import provenance, variable_attrs
from .core.errors import ModelError, ScenarioError
from .core.grid import save_times
from .core.model import Model, as_model, load_model
from .core.samples import _column, _sample_columns, check_samples  # noqa: F401
from .core.scenario import Scenario, load_scenario, validate
from .solve import plan, run_plan

METHODS = ("euler", "rk4", "dopri5", "bs3")
#: At most this many failure messages are kept in the ``failure_messages`` attr.
MAX_MESSAGES = 1000


# ------------------------------------------------------------------------------ setup
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
    """Every stock plus the key outputs of the model's profile (py names)."""
    from .core.profile import load_profile

    out = [s.py_name for s in model.stocks]
    out += [k for k in load_profile(model).key_outputs if k not in out]
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
    if not names:
        raise ScenarioError("variables: no output variables")
    return names


def _save_times(model: Model) -> np.ndarray:
    c = model.control
    return save_times(c["initial_time"], c["final_time"], c["saveper"])


def bytes_per_run(n_vars: int, n_times: int, n_params: int, n_sample_params: int = 0) -> int:
    """Memory one run of a chunk holds: the engine's output block (n_vars x n_times float64),
    one variable's copy while it is written out, its parameter row, its sample coordinates and
    its status/time/evaluation counters."""
    return int((n_vars + 1) * n_times * 8 + (n_params + n_sample_params) * 8 + 3 * 8 + 1)


# ------------------------------------------------------------------------------ running
def _check_solver(method: str, rtol, atol) -> None:
    """One clear line for a method the compiled engine lacks or a tolerance that is not > 0."""
    if method not in METHODS:
        raise ScenarioError(f"method {method!r}: ensemble() runs on the compiled engine, whose "
                            f"methods are {', '.join(METHODS)}")
    for nm, v in (("rtol", rtol), ("atol", atol)):
        if not (isinstance(v, numbers.Real) and v > 0):
            raise ScenarioError(f"{nm} must be a positive number, got {v!r}")


def ensemble(model=None, samples=None, scenario=None, method: str = "dopri5", rtol: float = 1e-6,
             atol: float = 1e-6, variables: Iterable[str] | None = None,
             chunk_size: int | None = None, max_memory_bytes: int = 512 * 2**20,
             store: str | os.PathLike | None = None, progress: bool = False,
             cluster=None, n_workers: int = 2, saveat=None) -> xr.Dataset:
    """Run ``model`` once per sample on the batched compiled engine; return one Dataset.

    ``samples``: dict of parameter name -> 1-D array (all of length N), a pandas DataFrame
    (columns = parameter names) or an xarray Dataset with a ``sample`` dim; names are model-file
    or Python names; every value is checked against the parameter's bounds.  ``None``: one run.
    ``scenario``: a scenario name, path or :class:`Scenario` whose parameter overrides apply to
    every sample (the samples win where both set a parameter); scheduled interventions, another
    horizon or TIME STEP are refused (the compiled engine cannot run them).  ``method``:
    ``"dopri5"`` or ``"bs3"`` (adaptive per run, ``rtol``/``atol``), ``"euler"`` or ``"rk4"`` (the model's TIME
    STEP).  ``variables``: output names (default: every stock plus the key outputs, see
    :func:`default_variables`).  A scenario's own ``[solver]`` method and tolerances are not
    used: ``method``, ``rtol`` and ``atol`` apply.  The ``sample`` coordinate is 0..N-1 for every
    kind of input (a DataFrame's index or a Dataset's own ``sample`` labels are not kept).
    ``saveat``: the save times (an increasing array inside the horizon; for euler/rk4 on the
    TIME STEP grid), default the model's SAVEPER grid.  A run's values at a time do not depend
    on which other times are saved, and fewer save times make a run cheaper.

    The runs are split into chunks of ``chunk_size`` (default: as many as fit
    ``max_memory_bytes``, see :func:`bytes_per_run`).  With ``store="path.zarr"`` each chunk is
    appended to a zarr store along ``sample`` (written beside the target and renamed into place
    when complete, replacing an existing store) and the store is returned opened lazily (dask),
    so the whole ensemble never sits in memory.  Without ``store`` the chunks are gathered into
    one in-memory Dataset (N x outputs x times x 8 bytes).  ``progress=True`` shows a bar
    (rich) advancing chunk by chunk.  ``cluster``: ``"local"`` (``n_workers`` processes), an
    address or a ``distributed.Client``: Dask tasks, identical results (:func:`_dask_chunks`).

    Returns an ``xarray.Dataset`` with dims (sample, time): one data variable per output, named
    by its Python name, with ``units``/``description``/``long_name`` attrs; the sample values as
    coordinates on ``sample`` (Python names); a boolean ``failed`` (sample) -- a failed run (NaN/
    inf, step-size collapse, too many steps, a physical stock below 0) has NaN outputs and does
    not affect the others; attrs from :func:`ambidex.core.provenance.stamp` plus ``method``, ``rtol``,
    ``atol``, ``scenario``, ``n_failed`` and ``failure_messages`` (one line per failed sample,
    naming its index).
    """
    model = as_model(model)
    _check_solver(method, rtol, atol)
    sc = _scenario(model, scenario)
    cols, n = check_samples(model, samples)
    var_names = _variables(model, variables)
    layout = _layout(model, var_names)
    width = (len(var_names) - len(layout)
             + sum(int(np.prod(shape)) for _, _, shape in layout.values()))
    saveat = None if saveat is None else np.atleast_1d(np.asarray(saveat, dtype=float))
    p = plan(model, sc, {"method": method, "rtol": float(rtol), "atol": float(atol)},
             "compiled", saveat)
    chunk = _chunk(chunk_size, max_memory_bytes,
                   bytes_per_run(width, len(p.times), len(model.compiled().param_names),
                                 len(cols)), n)
    bounds = [(lo, min(lo + chunk, n)) for lo in range(0, n, chunk)]
    attrs = provenance(model, [sc], [p.record()], ["compiled"], samples=list(cols),
                       n_samples=n, chunk_size=int(chunk))

    def run_chunk(lo, hi):
        """(block (hi-lo, V, T), failed mask, messages naming the sample index)."""
        part = {py: a[lo:hi] for py, a in cols.items()}
        block, failed, msgs = chunk_block(model, p, sc, part, hi - lo, var_names)
        return block, failed, [f"sample {lo + i}: {m}" for i, m in enumerate(msgs) if m]

    if cluster is not None:
        run_chunk = _dask_chunks(model, p, sc, cols, n, var_names, (method, rtol, atol, saveat),
                                 cluster, n_workers, chunk_size)

    def build(block, failed, lo, hi):
        return _chunk_dataset(model, var_names, block, failed, p.times,
                              {py: a[lo:hi] for py, a in cols.items()}, lo, layout)

    bar = _progress(progress, len(bounds), n)
    try:
        if store is None:
            return _in_memory(run_chunk, build, bounds, bar, attrs, n)
        return _to_zarr(run_chunk, build, bounds, bar, attrs, chunk, Path(store))
    finally:
        bar.close()


def chunk_block(model, p, sc, part: dict, n: int, var_names) -> tuple:
    """Run ``n`` samples (``part``: py name -> (n,)) under plan ``p``; (block (n, V, T) with
    subscripted outputs as extra columns, one per element, failed (n,), messages (n,))."""
    P = model.table.matrix(part, base=sc.parameters, n=n)
    block, _, failed, msgs, _, subs = run_plan(model, p, P, var_names, "mark")
    if subs:  # subscripted outputs ride in the block as extra columns, one per element
        extra = [subs[py][2].reshape(n, len(p.times), -1).transpose(0, 2, 1)
                 for py in var_names if py in subs]
        block = np.concatenate([block] + extra, axis=1)
    return block, failed, msgs


#: models loaded by this (worker) process, by path
_WORKER_MODELS: dict = {}


@dataclasses.dataclass
class EnsembleChunk:
    """Picklable chunk runner for Dask workers: ``task(X)`` runs the rows of ``X`` (columns:
    the py names ``columns``) like :func:`ensemble` does in one process, with the model at
    ``model_path`` loaded once per worker from the caches; {'b<j>': block column j (n, T),
    '__failed': (n,)}."""

    model_path: str
    scenario: Scenario
    columns: list
    method: str
    rtol: float
    atol: float
    var_names: list
    saveat: object = None  # save times (array) or None: the SAVEPER grid

    def __call__(self, X):
        X = np.asarray(X, dtype=float)
        model = _WORKER_MODELS.get(self.model_path)
        if model is None:  # once per worker process (translation and numba code from caches)
            model = _WORKER_MODELS[self.model_path] = load_model(self.model_path)
        p = plan(model, self.scenario, {"method": self.method, "rtol": self.rtol,
                                        "atol": self.atol}, "compiled", self.saveat)
        part = {py: X[:, j] for j, py in enumerate(self.columns)}
        block, failed, _ = chunk_block(model, p, self.scenario, part, X.shape[0],
                                       self.var_names)
        out = {f"b{j}": block[:, j, :] for j in range(block.shape[1])}
        out["__failed"] = np.asarray(failed, dtype=float)
        return out


def _dask_chunks(model, p, sc, cols: dict, n: int, var_names, solver: tuple, cluster,
                 n_workers: int, chunk_size):
    """``run_chunk(lo, hi)`` over results computed as Dask tasks (chunks of ``chunk_size``,
    default N/8 but at least 64; the workers load the model from the caches and stream their
    chunks into a zarr store); the failed rows' messages are recomputed here from their rows,
    so results and messages are those of a run in one process."""
    method, rtol, atol, saveat = solver
    task = EnsembleChunk(str(model.path), sc, list(cols), method, float(rtol), float(atol),
                         var_names, saveat)
    pre_block, pre_failed = _run_on_dask(task, cols, n, cluster, n_workers, chunk_size)

    def run_chunk(lo, hi):
        failed = pre_failed[lo:hi]
        idx = np.flatnonzero(failed)
        msgs = []
        if idx.size:  # the few failed rows again, here, for their messages
            part = {py: a[lo:hi][idx] for py, a in cols.items()}
            _, _, m = chunk_block(model, p, sc, part, idx.size, var_names)
            msgs = [f"sample {lo + i}: {mm}" for i, mm in zip(idx, m) if mm]
        return pre_block[lo:hi], failed, msgs

    return run_chunk


def _run_on_dask(task: EnsembleChunk, cols: dict, n: int, cluster, n_workers: int,
                 chunk_size) -> tuple[np.ndarray, np.ndarray]:
    """Every sample as Dask tasks (:func:`ambidex.sensitivity.distributed.evaluate_dask`:
    one task per chunk, the workers write into a zarr store); (block (n, V, T), failed)."""
    from .sensitivity.distributed import evaluate_in_chunks

    X = np.column_stack([cols[py] for py in cols]) if cols else np.zeros((n, 0))
    out = evaluate_in_chunks(task, X, cluster, n_workers, chunk_size, least=64)
    width = sum(1 for k in out if k.startswith("b"))
    block = np.stack([out[f"b{j}"] for j in range(width)], axis=1)
    return block, out["__failed"] != 0


def _chunk(chunk_size, max_memory_bytes: int, per_run: int, n: int) -> int:
    """Runs per chunk: ``chunk_size``, else as many as fit ``max_memory_bytes``; at most n."""
    if chunk_size is None:
        chunk = max(1, int(max_memory_bytes) // per_run)
    else:
        if not (isinstance(chunk_size, numbers.Integral) and chunk_size >= 1):
            raise ScenarioError(f"chunk_size must be a positive integer, got {chunk_size!r}")
        chunk = int(chunk_size)
    return min(chunk, n)


def _layout(model, var_names) -> dict:
    """``{py: (dims, coords, shape)}`` of the subscripted outputs (their subscript ranges)."""
    subs = model.compiled().subscripted  # the compiled model's (read from its snapshot)
    return {py: (subs[py][0], subs[py][1], tuple(len(subs[py][1][d]) for d in subs[py][0]))
            for py in var_names if py in subs}


def _chunk_dataset(model, var_names, block, failed, times, part, lo, layout=None) -> xr.Dataset:
    """Dims (sample, time[, subscript ranges]) for samples ``lo ..``; the sample values as
    coordinates.  ``block`` holds the unsubscripted outputs first, then one column per element
    of each subscripted output (``layout``, see :func:`_layout`)."""
    n = block.shape[0]
    layout = layout or {}
    scalar = [py for py in var_names if py not in layout]
    data = {py: (("sample", "time"), block[:, j, :], variable_attrs(model, py))
            for j, py in enumerate(scalar)}
    col = len(scalar)
    extra_coords = {}
    for py in var_names:
        if py in layout:
            dims, dcoords, shape = layout[py]
            size = int(np.prod(shape))
            arr = block[:, col:col + size, :].transpose(0, 2, 1).reshape(n, len(times), *shape)
            data[py] = (("sample", "time", *dims), arr, variable_attrs(model, py))
            extra_coords.update({d: (d, list(dcoords[d])) for d in dims})
            col += size
    data["failed"] = (("sample",), failed, {"description": "the run failed; its outputs are NaN"})
    coords = {"sample": ("sample", np.arange(lo, lo + n, dtype=np.int64)),
              "time": ("time", times, {"units": model.time_units, "long_name": "time"}),
              **extra_coords}
    for py, a in part.items():
        coords[py] = ("sample", a, {"units": model.parameters[py].units,
                                    "long_name": model.parameters[py].name})
    return xr.Dataset(data, coords=coords)


def _in_memory(run_chunk, build, bounds, bar, attrs, n: int) -> xr.Dataset:
    """Every chunk written into one (n, V, T) block (one chunk: the engine's block, no copy)."""
    full, failed_all, messages = None, np.zeros(n, dtype=bool), []
    for lo, hi in bounds:
        block, failed, msgs = run_chunk(lo, hi)
        if len(bounds) == 1:
            full = block
        else:
            if full is None:
                full = np.empty((n,) + block.shape[1:])
            full[lo:hi] = block
        failed_all[lo:hi] = failed
        messages += msgs[:max(0, MAX_MESSAGES - len(messages))]
        del block
        bar.advance(hi - lo)
    ds = build(full, failed_all, 0, n)
    ds.attrs = {**attrs, **_failure_attrs(int(failed_all.sum()), messages)}
    return ds


def _to_zarr(run_chunk, build, bounds, bar, attrs, chunk: int, target: Path) -> xr.Dataset:
    """Each chunk appended to a zarr store beside ``target``, renamed into place when complete;
    returned opened lazily."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    messages, n_failed = [], 0
    try:
        for k, (lo, hi) in enumerate(bounds):
            block, failed, msgs = run_chunk(lo, hi)
            ds = build(block, failed, lo, hi)
            n_failed += int(failed.sum())
            messages += msgs[:max(0, MAX_MESSAGES - len(messages))]
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


def _failure_attrs(n_failed: int, messages: list[str]) -> dict:
    text = "\n".join(messages)
    if n_failed > len(messages):
        text += f"\n(and {n_failed - len(messages)} more failed samples; see the 'failed' variable)"
    return {"n_failed": int(n_failed), "failure_messages": text}


def _finish_zarr(path: Path, extra_attrs: dict) -> None:
    import zarr

    group = zarr.open_group(str(path), mode="r+")
    group.attrs.update(extra_attrs)


def _progress(on: bool, n_chunks: int, n_runs: int):
    from .progress import progress_bar

    return progress_bar(on, f"ensemble ({n_chunks} chunk(s))", n_runs)
