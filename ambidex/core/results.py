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


def write_netcdf(ds, target: str | Path) -> Path:
    """Write an xarray Dataset to netCDF (h5netcdf engine) atomically; return the path."""
    with atomic_path(target) as tmp:
        ds.to_netcdf(tmp, engine="h5netcdf")
    return Path(target)


def write_text(text: str, target: str | Path) -> Path:
    """Write text (e.g. an HTML report or a TOML scenario) atomically; return the path."""
    with atomic_path(target) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return Path(target)
