"""Where generated model modules live, so that numba's ``cache=True`` can reuse machine code."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from pathlib import Path


def cache_dir() -> Path:
    env = os.environ.get("AMBIDEX_CACHE_DIR")
    if env:
        base = Path(env)
    else:
        try:
            import platformdirs
            base = Path(platformdirs.user_cache_dir("ambidex"))
        except ImportError:  # pragma: no cover
            base = Path.home() / ".cache" / "ambidex"
    d = base / "compiled"
    try:
        d.mkdir(parents=True, exist_ok=True)
        probe = d / ".probe"
        probe.write_text("")
        probe.unlink()
    except OSError:  # read-only home: fall back to the temp folder
        d = Path(tempfile.gettempdir()) / "ambidex-compiled"
        d.mkdir(parents=True, exist_ok=True)
    return d


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
