"""Writing results atomically: a temporary file in the target folder, then a rename.

A failure part-way leaves no half-written file behind, and an earlier complete file stays intact.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target: str | Path):
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def to_netcdf(ds, path: str | Path) -> None:
    """Write ``ds`` as a netCDF-4 (HDF5) file: through the netCDF-C library (``netCDF4``)
    when installed -- 6x faster than h5netcdf for the 240 small variables of a scenario run
    (3.4 s vs 20.7 s at load 8; h5netcdf re-reads its dimension scales for every variable) --
    else, or for data it refuses, through h5netcdf.  Either file reads back identically with
    ``xr.open_dataset(path, engine="h5netcdf")``."""
    import importlib.util

    if importlib.util.find_spec("netCDF4") is not None:
        try:
            ds.to_netcdf(path, engine="netcdf4")
            return
        except (TypeError, ValueError, RuntimeError):
            pass
    ds.to_netcdf(path, engine="h5netcdf")


def write_netcdf(ds, target: str | Path) -> Path:
    """Write an xarray Dataset to netCDF-4 (:func:`to_netcdf`) atomically; return the path."""
    with atomic_path(target) as tmp:
        to_netcdf(ds, tmp)
    return Path(target)


def write_text(text: str, target: str | Path) -> Path:
    """Write text (e.g. an HTML report or a TOML scenario) atomically; return the path."""
    with atomic_path(target) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return Path(target)
