"""Where generated model modules live, so that numba's ``cache=True`` can reuse machine code."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path

from ..core.paths import compiled_dir


def cache_dir() -> Path:
    """``$AMBIDEX_CACHE/compiled`` (see :mod:`ambidex.core.paths`)."""
    return compiled_dir()


def load_source(source: str):
    """Write ``source`` to a file named by its hash (once) and import it."""
    import numba

    key = hashlib.sha256((numba.__version__ + "\n" + source).encode()).hexdigest()[:24]
    modname = f"ambidex_model_{key}"
    if modname in sys.modules:
        return sys.modules[modname]
    path = cache_dir() / f"{modname}.py"
    if not path.exists() or path.read_text() != source:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(source)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[modname] = mod
    spec.loader.exec_module(mod)
    return mod
