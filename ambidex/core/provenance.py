"""Provenance recorded in every output file: model hash, versions, solver, scenarios."""

from __future__ import annotations

import datetime as _dt
import json
import platform
from functools import lru_cache
from importlib import metadata


@lru_cache(maxsize=1)
def _versions() -> tuple:
    return tuple(sorted(_read_versions().items()))


def versions() -> dict[str, str]:
    """Versions of ambidex and the libraries that shape its results (read once)."""
    return dict(_versions())


@lru_cache(maxsize=1)
def _versions_json() -> str:
    return json.dumps(versions(), sort_keys=True)


def _read_versions() -> dict[str, str]:
    """Versions of ambidex and the libraries that shape its results."""
    out = {}
    for pkg in ("ambidex", "pysd", "numpy", "scipy", "xarray", "pandas", "numba"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    out["python"] = platform.python_version()
    return out


def stamp(model, **extra) -> dict[str, str | float | int]:
    """Dataset attrs: plain strings and numbers only, so netCDF can store them."""
    attrs: dict[str, str | float | int] = {
        "model_path": str(model.path),
        "model_sha256": model.sha256,
        "model_name": model.name,
        "time_units": model.time_units,
        "created_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "versions": _versions_json(),
    }
    for k, v in extra.items():
        attrs[k] = v if isinstance(v, (str, int, float)) else json.dumps(v, sort_keys=True, default=str)
    return attrs
