"""Where ambidex keeps what it generates: one cache setting for everything.

``$AMBIDEX_CACHE`` (else the platform's user cache directory, ``~/.cache/ambidex`` on Linux)
holds the PySD translations (``<root>/<model hash>/``) and the compiled engine's generated
modules with numba's machine code (``<root>/compiled/``).  ``$AMBIDEX_CACHE_DIR`` is read as a
deprecated alias when ``$AMBIDEX_CACHE`` is not set.  Nothing is written next to a model file.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

#: the repository root (sd_models/, scenarios/ beside the package)
PACKAGE_ROOT = Path(__file__).resolve().parents[2]

ENV = "AMBIDEX_CACHE"
DEPRECATED_ENV = "AMBIDEX_CACHE_DIR"


def cache_base() -> Path:
    """The cache root as configured (not created)."""
    root = os.environ.get(ENV)
    if not root and os.environ.get(DEPRECATED_ENV):
        warnings.warn(f"${DEPRECATED_ENV} is deprecated; set ${ENV} instead (one cache for "
                      "translations and compiled code)", DeprecationWarning, stacklevel=2)
        root = os.environ[DEPRECATED_ENV]
    if root:
        return Path(root).expanduser()
    import platformdirs
    return Path(platformdirs.user_cache_dir("ambidex"))


def _writable(d: Path) -> bool:
    try:
        d.mkdir(parents=True, exist_ok=True)
        probe = d / f".probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
        return True
    except OSError:
        return False


def cache_dir(kind: str = "") -> Path:
    """``<root>/<kind>`` created on demand; a read-only root falls back to the temp folder."""
    d = cache_base() / kind if kind else cache_base()
    if _writable(d):
        return d
    fallback = Path(tempfile.gettempdir()) / "ambidex-cache" / kind
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def translations_dir() -> Path:
    """Folder of the PySD translations (one sub-folder per model hash and PySD version)."""
    return cache_dir()


def compiled_dir() -> Path:
    """Folder of the compiled engine's generated modules and numba's cache."""
    return cache_dir("compiled")
