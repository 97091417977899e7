"""Where generated model modules live, so that numba's ``cache=True`` can reuse machine code."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from functools import lru_cache
from pathlib import Path

from ..core.paths import compiled_dir


def cache_dir() -> Path:
    """``$AMBIDEX_CACHE/compiled`` (see :mod:`ambidex.core.paths`)."""
    return compiled_dir()


@lru_cache(maxsize=1)
def _numba_version() -> str:
    """numba's version from its installed metadata (no ``import numba``)."""
    from importlib import metadata

    try:
        return metadata.version("numba")
    except metadata.PackageNotFoundError:  # pragma: no cover - numba is a dependency
        return "?"


def module_path(source: str) -> Path:
    """The file ``source`` is imported from: named by the hash of the source and numba's
    version (computed without importing numba, so the interpreted tier need not)."""
    key = hashlib.sha256((_numba_version() + "\n" + source).encode()).hexdigest()[:24]
    return cache_dir() / f"ambidex_model_{key}.py"


def load_source(source: str):
    """Write ``source`` to its :func:`module_path` (once) and import it (imports numba)."""
    path = module_path(source)
    modname = path.stem
    if modname in sys.modules:
        return sys.modules[modname]
    if not path.exists() or path.read_text() != source:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(source)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[modname] = mod
    spec.loader.exec_module(mod)
    return mod
