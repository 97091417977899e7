"""``ambidex doctor``: what a bug report needs -- versions, where the caches and the default model
are, and whether the optional tools (Chromium for the browser tests, a Dask scheduler) are there.
Reads package metadata only; imports no heavy library."""

from __future__ import annotations

import os
import platform
import shutil
import sys
from importlib import metadata
from pathlib import Path

PACKAGES = ("numpy", "scipy", "pandas", "xarray", "pysd", "numba", "SALib", "emcee", "plotly",
            "dash", "dask", "distributed", "zarr", "h5netcdf", "pint", "networkx", "typer",
            "rich", "mkdocs", "playwright")
CHROMIUM = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome executable, or None."""
    for c in CHROMIUM:
        hit = c if os.path.isabs(c) and os.access(c, os.X_OK) else shutil.which(c)
        if hit:
            return hit
    return None


def report() -> list[tuple[str, str]]:
    """(label, value) rows: ambidex, Python, platform, library versions, caches, Chromium."""
    import ambidex

    from .core.paths import DEPRECATED_ENV, ENV, cache_base

    pkg_dir = Path(ambidex.__file__).parent
    default_model = pkg_dir.parent / "sd_models" / "dual_business_model.mdl"
    rows = [("ambidex", f"{ambidex.__version__} ({pkg_dir})"),
            ("python", f"{platform.python_version()} ({sys.executable})"),
            ("platform", platform.platform()),
            ("cpus", str(os.cpu_count()))]
    rows += [(p, _version(p)) for p in PACKAGES]
    base = cache_base()
    env = os.environ.get(ENV) or (f"{os.environ[DEPRECATED_ENV]} (from deprecated ${DEPRECATED_ENV})"
                                  if os.environ.get(DEPRECATED_ENV) else "not set")
    rows += [(f"${ENV}", env),
             ("translations cache", str(base)),
             ("compiled-code cache", str(base / "compiled")),
             ("default model", f"{default_model} ({'found' if default_model.is_file() else 'MISSING'})"),
             ("chromium", find_chromium() or "not found (apt-get install chromium; needed by the "
                                             "browser tests only)")]
    return rows
