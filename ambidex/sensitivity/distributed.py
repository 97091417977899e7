"""Evaluate a sample matrix on a Dask cluster: each chunk of rows is one task; workers call the
(picklable) evaluator -- a :class:`~ambidex.sensitivity.model_eval.ModelEvaluator` loads the
model from the translation cache -- and write their rows into a zarr store; a failed task is
retried, then reported with its chunk.

``cluster``: ``"local"`` (a LocalCluster of worker processes on this machine), a scheduler
address (``"tcp://host:8786"``), or a ``distributed.Client`` already made.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..core.errors import AmbidexError, ScenarioError
from .evaluate import as_dict, chunks


class DistributedError(AmbidexError):
    """A chunk of samples failed on the cluster after its retries."""


@contextlib.contextmanager
def client_for(cluster, n_workers: int = 2):
    """A ``distributed.Client`` for ``cluster`` (closed afterwards if made here)."""
    from distributed import Client, LocalCluster

    if isinstance(cluster, Client):
        yield cluster
        return
    if cluster in ("local", None):
        with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as lc, Client(lc) as c:
            yield c
        return
    if not isinstance(cluster, str):
        raise AmbidexError(f"cluster: expected 'local', a scheduler address or a Client, got "
                           f"{type(cluster).__name__}")
    try:
        c = Client(cluster, timeout="20s")
    except OSError as exc:
        raise AmbidexError(f"cluster: cannot reach the Dask scheduler at {cluster!r}: {exc}") from None
    with c:
        yield c


def _run_chunk(evaluator, X, index: int, start: int, store: str, attempt_log: str | None = None):
    """Worker side: evaluate rows ``start..start+len(X)`` and write them into the zarr store."""
    import zarr

    if hasattr(evaluator, "offset"):
        import dataclasses
        evaluator = dataclasses.replace(evaluator, offset=start)
    out = as_dict(evaluator(X), X.shape[0])
    group = zarr.open_group(store, mode="r+")
    for k, v in out.items():
        group[_key(k)][start:start + X.shape[0]] = v
    return index, {k: v.shape[1:] for k, v in out.items()}


def _key(label: str) -> str:
    """Array name for an output label: no spaces or slashes (portable folder names); the
    labels themselves are in the group's ``labels`` attribute."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label)


def evaluate_in_chunks(evaluator, X, cluster, n_workers: int, chunk_size, least: int) -> dict:
    """:func:`evaluate_dask` for the analyses' ``cluster=`` argument: ``chunk_size`` rows per
    task (default N/8, at least ``least``); a failed chunk is one ScenarioError line."""
    n = X.shape[0]
    size = int(chunk_size) if chunk_size is not None else max(least, -(-n // 8))
    try:
        return evaluate_dask(evaluator, X, cluster=cluster, chunk_size=min(size, n),
                             n_workers=n_workers)
    except DistributedError as exc:
        raise ScenarioError(f"cluster: {exc}") from None


def evaluate_dask(evaluator, X, cluster="local", chunk_size: int = 256, store=None,
                  retries: int = 2, progress=None, n_workers: int = 2) -> dict:
    """``evaluator`` over the rows of ``X`` on Dask; returns label -> array like
    :func:`~ambidex.sensitivity.evaluate.evaluate` (identical values for the same sample).

    The first chunk is evaluated here to learn the outputs' names and shapes, so the zarr store
    (``store``, default a temporary folder) can be laid out with one zarr chunk per task; the
    other chunks run as tasks with ``retries``.  A chunk that still fails raises
    :class:`DistributedError` naming the chunk, its sample rows and the worker's error.
    """
    import zarr
    from distributed import as_completed

    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    parts = chunks(n, chunk_size)
    tmpdir = final = None
    if store is None:
        tmpdir = tempfile.mkdtemp(prefix="ambidex-sensitivity-")
        store = Path(tmpdir) / "samples.zarr"
    else:  # built under a hidden name, renamed when complete: no partial store on failure/Ctrl-C
        final = Path(store)
        final.parent.mkdir(parents=True, exist_ok=True)
        store = final.with_name(f".{final.name}.{os.getpid()}.partial")
    store = str(store)
    try:
        with client_for(cluster, n_workers) as client:
            # layout from a one-row probe on a worker (same code path as every task)
            probe = client.submit(lambda ev, x: {k: v.shape[1:] for k, v in
                                                  as_dict(ev(x), x.shape[0]).items()},
                                  evaluator, X[:1], pure=False, retries=retries)
            try:
                shapes = probe.result()
            except Exception as exc:
                raise DistributedError(f"chunk 0 (samples 0-{parts[0][1] - 1}) failed: "
                                       f"{type(exc).__name__}: {exc}") from exc
            group = zarr.open_group(store, mode="w")
            for k, shp in shapes.items():
                make = getattr(group, "create_array", None) or group.create_dataset  # zarr 3 / 2
                make(_key(k), shape=(n,) + tuple(shp), chunks=(chunk_size,) + tuple(shp),
                     dtype="f8", fill_value=np.nan)
            group.attrs["labels"] = list(shapes)
            ev_future = client.scatter(evaluator, broadcast=True)
            futures = {}
            for i, (a, b) in enumerate(parts):
                f = client.submit(_run_chunk, ev_future, X[a:b], i, a, store, retries=retries,
                                  pure=False, key=f"ambidex-chunk-{i}-{a}-{b}-{id(X)}")
                futures[f] = (i, a, b)
            done_rows = 0
            for f in as_completed(list(futures)):
                i, a, b = futures[f]
                if f.status == "error":
                    exc = f.exception()
                    for g in futures:
                        g.cancel()
                    raise DistributedError(
                        f"chunk {i} (samples {a}-{b - 1}) failed after {retries} retries: "
                        f"{type(exc).__name__}: {exc}")
                done_rows += b - a
                if progress is not None:
                    progress(done_rows, n)
        group = zarr.open_group(store, mode="r")
        result = {k: np.asarray(group[_key(k)][...]) for k in shapes}
        if final is not None:
            if final.exists():
                shutil.rmtree(final)
            os.replace(store, final)
        return result
    finally:
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)
        if final is not None and os.path.exists(store):
            shutil.rmtree(store, ignore_errors=True)
